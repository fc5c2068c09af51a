"""The valid-time timeline: events folded into interval indexes, with every invariant checked.

Pure and free of I/O. A :class:`Timeline` is immutable: :meth:`Timeline.apply` returns a new
timeline that shares everything the batch did not touch (see :mod:`aes_membership._pmap` and
:mod:`aes_membership._pairmap`), so a snapshot taken earlier never changes.

Each (state, bloc) pair and each post has its own line: its events sorted by effective date
(first possible day, then last possible day, then recorded order), walked once to check it and
derive a step function — sorted change points with the status that holds from each point.
Point-in-time questions are a binary search in that step function, never a replay. A
membership's spells (its periods, kinds and suspensions) come from the same walk, made again
the first time they are asked for.

An entry names its event by log position; the timeline's :class:`EventLog` (shared by the
timelines that grow from one another) holds the events, built on first use when they come
from a checkpoint.

Partial dates. In boolean answers a partial date counts from its first day (``"1977"`` is
1977-01-01); three-valued answers use the whole span. Two events of one line whose spans nest
strictly (``"2000"`` around ``2000-06-01``) have no knowable order and are rejected unless the
timeline is told ``ambiguous="allow"``.
"""

from __future__ import annotations

import bisect
import functools
import operator
import uuid
from collections.abc import Callable, Iterable, Sequence
from itertools import chain, compress
from typing import Any, Final, Literal, NamedTuple, TypeAlias

import attrs
import pendulum

from ._collector import collector_paused
from ._days import CHUNK_BITS, CHUNK_MASK, SharedDays
from ._eventlog import EventLog
from ._memo import memo
from ._pairmap import PairMap
from ._pmap import PMap, PMapEvolver
from .dates import When, span
from .errors import (
    AmbiguousDateError,
    FieldError,
    InvariantError,
    MembershipError,
    UnknownIdError,
    unknown_id,
)
from .events import (
    BlocDissolved,
    BlocFounded,
    BlocRenamed,
    Event,
    EventRetracted,
    HolderAppointed,
    HolderLeft,
    KindChanged,
    PersonRegistered,
    PersonRenamed,
    PostAbolished,
    PostCreated,
    StateJoined,
    StateRegistered,
    StateReinstated,
    StateRenamed,
    StateSuspended,
    StateWithdrew,
    event_classes,
)

__all__ = [
    "KIND_CODES",
    "SUBJECT_KINDS",
    "Entry",
    "MembershipLine",
    "Period",
    "PostLine",
    "Spell",
    "Tenure",
    "Timeline",
    "check_subject_kind",
    "entry_for",
]

Entry: TypeAlias = tuple[int, int, int, int]
"""An event placed in time: (first day, last day, recorded sequence, the event's log position).

The sequence is the position too, but in the merged list a line is walked in, where a bloc's or
a post's lifetime is put first or last on its day.
"""
EventAt: TypeAlias = Callable[[int], Event]
"""The event at a log position (see :meth:`EventLog.getter`)."""

KIND_CODES: Final = {"full": 1, "associate": 2, "observer": 3}
CODE_KINDS: Final = {code: kind for kind, code in KIND_CODES.items()}
SUSPENDED: Final = 4
_FIRST: Final = -1  # sequence that puts a lifetime's start first on its day
_LAST: Final = 1 << 62  # … and its end last
_NO_DATE: Final = 0  # events without an effective date sort before every date
_INFINITY: Final = 1 << 40
_POSITION: Final = operator.itemgetter(3)

Ambiguity = Literal["reject", "allow"]

SUBJECT_KINDS: Final = ("state", "bloc", "person", "post")
"""The kinds of what has an id, a lifetime and a name."""


def check_subject_kind(kind: object) -> None:
    """Raise :class:`FieldError` unless ``kind`` is one of :data:`SUBJECT_KINDS`."""
    if kind not in SUBJECT_KINDS:
        raise FieldError("kind", kind, ", ".join(SUBJECT_KINDS[:-1]) + " or " + SUBJECT_KINDS[-1])


class Period(NamedTuple):
    """A half-open span ``[start, end)``; ``end`` is ``None`` while it is still open."""

    start: When
    end: When | None


class Tenure(NamedTuple):
    """A person holding a post over ``[start, end)``."""

    person: str
    start: When
    end: When | None


@attrs.frozen
class Spell:
    """One continuous membership of a state in a bloc."""

    start: When
    end: When | None
    kinds: tuple[tuple[When, str], ...]
    suspensions: tuple[Period, ...]
    start_span: tuple[int, int]
    end_span: tuple[int, int] | None


@attrs.frozen
class MembershipLine:
    """Every event of one (state, bloc) pair and what follows from them.

    Its spells are derived on first use (:meth:`Timeline.spells`) and kept here: point
    questions need only the step function, and most lines are never asked for their spells.
    A line whose events or bloc change is a new line, so what is kept never goes stale.
    """

    entries: tuple[Entry, ...]
    points: tuple[int, ...] = ()
    codes: tuple[int, ...] = ()
    spells_kept: tuple[Spell, ...] | None = attrs.field(
        default=None, init=False, eq=False, repr=False)

    def code_on(self, day: int) -> int:
        index = bisect.bisect_right(self.points, day)
        return self.codes[index - 1] if index else 0


@attrs.frozen
class PostLine:
    """Every appointment and departure of one post, and the holders that follow from them."""

    entries: tuple[Entry, ...]
    points: tuple[int, ...] = ()
    holders: tuple[tuple[str, ...], ...] = ()
    tenures: tuple[Tenure, ...] = ()
    tenure_spans: tuple[tuple[tuple[int, int], tuple[int, int] | None], ...] = ()

    def holders_on(self, day: int) -> tuple[str, ...]:
        index = bisect.bisect_right(self.points, day)
        return self.holders[index - 1] if index else ()


# Day ordinals repeat across a log: each is one shared int, not made anew per event, found
# by place (see _days) rather than through a dict keyed by the date.
_DAYS: Final = SharedDays()
_DATE: Final = pendulum.Date


def shared_day(ordinal: int) -> int:
    """The one ``int`` this process uses for the day ordinal ``ordinal``."""
    return _DAYS[ordinal]


def _shared_span(when: When) -> tuple[int, int]:
    lo, hi = span(when)
    return shared_day(lo), shared_day(hi)


# A partial date's span takes two dates to work out: kept for up to 4,096 of them.
_partial_span, _ = memo(_shared_span, 1 << 12)


def _span(when: When) -> tuple[int, int]:
    if type(when) is _DATE:
        day = shared_day(when.toordinal())
        return day, day
    return _partial_span(when)


def entry_for(event: Event, seq: int) -> Entry:
    """Place ``event`` on the timeline with recorded sequence ``seq``."""
    on = event.effective
    if on is None:
        return (_NO_DATE, _NO_DATE, seq, seq)
    lo, hi = _span(on)
    return (lo, hi, seq, seq)


# What each subject's lifecycle events are, by subject kind.
_CREATORS: Final[dict[str, type[Event]]] = {
    "state": StateRegistered,
    "person": PersonRegistered,
    "bloc": BlocFounded,
    "post": PostCreated,
}
_ENDERS: Final[dict[str, type[Event]]] = {"bloc": BlocDissolved, "post": PostAbolished}
_CREATED_WORD: Final = {
    "state": "registered",
    "person": "registered",
    "bloc": "founded",
    "post": "created",
}
_SUBJECT_EVENTS: Final[dict[type[Event], str]] = {
    StateRegistered: "state",
    StateRenamed: "state",
    PersonRegistered: "person",
    PersonRenamed: "person",
    BlocFounded: "bloc",
    BlocRenamed: "bloc",
    BlocDissolved: "bloc",
    PostCreated: "post",
    PostAbolished: "post",
}
_MEMBERSHIP_EVENTS: Final = (
    StateJoined,
    KindChanged,
    StateSuspended,
    StateReinstated,
    StateWithdrew,
)
_MEMBERSHIP_CLASSES: Final[frozenset[type[Event]]] = frozenset(_MEMBERSHIP_EVENTS)
_MembershipEvent: TypeAlias = (
    StateJoined | KindChanged | StateSuspended | StateReinstated | StateWithdrew
)
_TENURE_EVENTS: Final = (HolderAppointed, HolderLeft)


def _subject_id(event: Event, kind: str) -> str:
    value: str = getattr(event, kind)
    return value


_REFERENCE_KINDS: Final[dict[type[Event], tuple[str, ...]]] = {
    cls: tuple(k for k in ("state", "bloc", "post", "person") if k in attrs.fields_dict(cls))
    for cls in event_classes()
}


# The values of those fields, read in C: what a batch's reference check remembers.
_NAMED: Final[dict[type[Event], Callable[[Event], Any]]] = {
    cls: operator.attrgetter(*kinds) for cls, kinds in _REFERENCE_KINDS.items() if kinds
}


def references(event: Event) -> list[tuple[str, str]]:
    """The (kind, id) pairs an event concerns."""
    found = []
    for kind in _REFERENCE_KINDS[type(event)]:
        value = getattr(event, kind)
        if value is not None:
            found.append((kind, value))
    return found


def _entries_naming(
    subject: str,
    lifecycle: Callable[[str, str], Sequence[Entry]],
    line: Callable[[str, str], Sequence[Entry]],
    post: Callable[[str], Sequence[Entry]],
    grown: Callable[[str, str], Iterable[str]],
    state_lines: Callable[[str], Iterable[tuple[str, MembershipLine]]],
    bloc_lines: Callable[[str], Iterable[tuple[str, MembershipLine]]],
    event_at: EventAt,
) -> list[Entry]:
    """The live entries whose events name ``subject``, sorted, from the subject indexes
    (``state_lines``: a state's row of membership lines, by bloc; ``bloc_lines``: a bloc's
    lines, by state)."""
    found: dict[int, Entry] = {}

    def take(entries: Iterable[Entry], keep: Callable[[Event], bool] | None = None) -> None:
        for entry in entries:
            if keep is None or keep(event_at(entry[3])):
                found[entry[2]] = entry

    for kind in SUBJECT_KINDS:
        take(lifecycle(kind, subject))
    for bloc, _ in state_lines(subject):
        take(line(subject, bloc))
    for state, _ in bloc_lines(subject):
        take(line(state, subject))
    for owned in grown("state_posts", subject):
        take(lifecycle("post", owned), lambda e: getattr(e, "state", None) == subject)
    for owned in grown("bloc_posts", subject):
        take(lifecycle("post", owned), lambda e: getattr(e, "bloc", None) == subject)
    for held in grown("person_posts", subject):
        take(post(held), lambda e: getattr(e, "person", None) == subject)
    take(post(subject))
    return sorted(found.values())


class _Violation(Exception):
    def __init__(
        self, event: Event, conflicting: Event | None, reason: str, *, ambiguous: bool = False
    ) -> None:
        super().__init__(reason)
        self.event = event
        self.conflicting = conflicting
        self.reason = reason
        self.ambiguous = ambiguous


def _remove(entries: list[Entry], position: int) -> None:
    for index, entry in enumerate(entries):
        if entry[3] == position:
            del entries[index]
            return


class _BatchIds:
    """The ids (as integers) of the events a batch records, gathered when first asked for.

    Only a pair of strictly nested partial dates asks, and most batches have none: a set of
    a million ids, each read from its event, would cost a fifth of a second for nothing.
    """

    __slots__ = ("_events", "_ids")

    def __init__(self, events: Sequence[Event]) -> None:
        self._events = events
        self._ids: frozenset[int] | None = None

    def __contains__(self, ident: int) -> bool:
        if self._ids is None:
            self._ids = frozenset(e.id.int for e in self._events)
        return ident in self._ids


def _check_ambiguity(merged: Sequence[Entry], is_new: _BatchIds, event_at: EventAt) -> None:
    """Reject strictly nested spans where one of the pair is being recorded now (``is_new``:
    the batch's ids as integers)."""
    for i, first in enumerate(merged):
        if first[0] == first[1]:
            continue  # an exact date cannot strictly contain another span
        for second in merged[i + 1 :]:
            if second[0] > first[1]:
                break
            if first[0] < second[0] and second[1] < first[1]:
                one, two = event_at(first[3]), event_at(second[3])
                new, other = (one, two) if one.id.int in is_new else (two, one)
                if new.id.int in is_new:
                    raise _Violation(
                        new,
                        other,
                        f"the order of {new.effective} and {other.effective} cannot be known "
                        "(one partial date strictly contains the other)",
                        ambiguous=True,
                    )


def _derive_membership(
    entries: tuple[Entry, ...],
    bloc_lifecycle: tuple[Entry, ...],
    event_at: EventAt,
    *,
    strict: bool,
    new: _BatchIds | None,
) -> MembershipLine:
    points, codes, _ = _walk_membership(entries, bloc_lifecycle, event_at, strict=strict,
                                        new=new, with_spells=False)
    return MembershipLine(entries, points, _shared_codes(codes))


@functools.lru_cache(maxsize=1 << 12)
def _shared_codes(codes: tuple[int, ...]) -> tuple[int, ...]:
    # Most lines step through the same few sequences (joined, left; joined, suspended, …):
    # one tuple each, shared by every line, and by a checkpoint's lines after reading it.
    return codes


def _membership_spells(entries: tuple[Entry, ...], bloc_lifecycle: tuple[Entry, ...],
                       event_at: EventAt) -> tuple[Spell, ...]:
    # The walk that made the line, again: it was checked then, so nothing fails now.
    return _walk_membership(entries, bloc_lifecycle, event_at, strict=False, new=None,
                            with_spells=True)[2]


# What a membership event does to its line, by its class: looked up once per event, where a
# chain of isinstance() calls cost up to five.
_JOIN, _CHANGE_KIND, _SUSPEND, _REINSTATE, _WITHDRAW = range(1, 6)
_STEPS: Final[dict[type[Event], int]] = {
    StateJoined: _JOIN,
    KindChanged: _CHANGE_KIND,
    StateSuspended: _SUSPEND,
    StateReinstated: _REINSTATE,
    StateWithdrew: _WITHDRAW,
}


def _step_of(event: Event) -> int:
    """What ``event`` does to a membership line (0: nothing), for any class, subclasses too."""
    return next((step for cls, step in _STEPS.items() if isinstance(event, cls)), 0)


_ENDS_ON_ITS_FIRST_DAY: Final = "the membership would end on the day it begins"


def _walk_membership(
    entries: tuple[Entry, ...],
    bloc_lifecycle: tuple[Entry, ...],
    event_at: EventAt,
    *,
    strict: bool,
    new: _BatchIds | None,
    with_spells: bool,
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[Spell, ...]]:
    """One line's events in order, checked (``strict``) and folded into its step function,
    and its spells if asked (a spell's kinds and suspensions are gathered only then)."""
    founded = ended = None
    founding = ending = None
    for lived in bloc_lifecycle:
        happened = event_at(lived[3])
        if founded is None and isinstance(happened, BlocFounded):
            founded, founding = lived, happened
        elif ended is None and isinstance(happened, BlocDissolved):
            ended, ending = lived, happened
    merged: list[Entry] = list(entries)
    if founded is not None:
        merged.append((founded[0], founded[1], _FIRST, founded[3]))
    if ended is not None:
        merged.append((ended[0], ended[1], _LAST, ended[3]))
    merged.sort()  # sequences are unique: tuples compare on (lo, hi, seq), never further
    if strict and new is not None:
        _check_ambiguity(merged, new, event_at)

    points: list[int] = []
    codes: list[int] = []
    spells: list[Spell] = []
    is_founded = founded is None and not strict
    dissolved_by: Event | None = None
    code = 0
    start: Entry | None = None
    started: Event | None = None  # the event of ``start``
    kind = ""  # the kind of membership now
    kinds: list[tuple[When, str]] = []
    suspensions: list[Period] = []
    suspended_since: When | None = None
    last_exit: Event | None = None

    # Each branch that changes the line sets ``code`` and reaches the step at the end of the
    # loop; one that changes nothing continues (or raises, if ``strict``). No nested
    # functions: a closure's variables are slower to reach in every turn of the loop.
    for entry in merged:
        event = event_at(entry[3])
        if event is founding:
            is_founded = True
            continue
        if event is ending:
            dissolved_by = event
            if start is None:
                continue
            what = _WITHDRAW  # the dissolution ends the open spell as a withdrawal would
        elif not is_founded:
            if strict:
                raise _Violation(event, founding, "it falls before the bloc was founded")
            continue
        elif dissolved_by is not None:
            if strict:
                raise _Violation(event, dissolved_by, f"the bloc was dissolved on {dissolved_by.effective}")
            continue
        else:
            what = _STEPS.get(type(event)) or _step_of(event)
        member: _MembershipEvent = event  # type: ignore[assignment]  # (by its class)
        if what == _JOIN:
            joined: StateJoined = event  # type: ignore[assignment]  # (by its class)
            if started is not None:
                if strict:
                    raise _Violation(event, started,
                                     f"the state is already a member since {started.effective}")
                continue
            start, started = entry, event
            kind = joined.kind
            if with_spells:
                kinds = [(joined.on, kind)]
                suspensions = []
            code = KIND_CODES[kind]
        elif start is None:
            if strict:
                raise _Violation(event, last_exit, "the state is not a member of the bloc at that date")
            continue
        elif what == _WITHDRAW:
            if strict and start[0] == start[1] == entry[0] == entry[1]:
                raise _Violation(event, started, _ENDS_ON_ITS_FIRST_DAY)
            if with_spells:
                _close_spell(start, entry, event, suspended_since, kinds, suspensions, spells,
                             event_at)
            start = started = suspended_since = None
            last_exit = event
            code = 0
        elif what == _SUSPEND:
            if suspended_since is not None:
                if strict:
                    raise _Violation(event, None,
                                     f"the state is already suspended since {suspended_since}")
                continue
            suspended_since = member.on
            code |= SUSPENDED
        elif what == _REINSTATE:
            if suspended_since is None:
                if strict:
                    raise _Violation(event, None, "the state is not suspended at that date")
                continue
            if with_spells:
                suspensions.append(Period(suspended_since, member.on))
            suspended_since = None
            code &= ~SUSPENDED
        elif what == _CHANGE_KIND:
            changed: KindChanged = event  # type: ignore[assignment]  # (by its class)
            if kind == changed.kind:
                if strict:
                    raise _Violation(event, started,
                                     f"the state is already a member of kind {changed.kind!r}")
                continue
            kind = changed.kind
            if with_spells:
                kinds.append((changed.on, kind))
            code = KIND_CODES[kind] | (code & SUSPENDED)
        else:
            continue
        at = entry[0]
        if points and points[-1] == at:  # a later change the same day replaces the earlier
            codes[-1] = code
        else:
            points.append(at)
            codes.append(code)

    if start is not None and with_spells:
        if suspended_since is not None:
            suspensions.append(Period(suspended_since, None))
        spells.append(_spell(start, None, kinds, suspensions, event_at))
    return tuple(points), tuple(codes), tuple(spells)


def _close_spell(start: Entry, entry: Entry, event: Event, suspended_since: When | None,
                 kinds: list[tuple[When, str]], suspensions: list[Period], spells: list[Spell],
                 event_at: EventAt) -> None:
    """Add the spell that ``event`` (at ``entry``) ends, its suspension closed too."""
    if suspended_since is not None:
        suspensions.append(Period(suspended_since, event.effective))
    spells.append(_spell(start, entry, kinds, suspensions, event_at))


def _spell(begun: Entry, closing: Entry | None, kinds: list[tuple[When, str]],
           suspensions: list[Period], event_at: EventAt) -> Spell:
    start_when = event_at(begun[3]).effective
    assert start_when is not None
    return Spell(
        start=start_when,
        end=event_at(closing[3]).effective if closing is not None else None,
        kinds=tuple(kinds),
        suspensions=tuple(suspensions),
        start_span=(begun[0], begun[1]),
        end_span=(closing[0], closing[1]) if closing is not None else None,
    )


def _first_of(cls: type[Event], lifecycle: tuple[Entry, ...], event_at: EventAt
              ) -> tuple[Entry | None, Any]:
    """The first entry of ``lifecycle`` whose event is a ``cls``, and that event."""
    for entry in lifecycle:
        event = event_at(entry[3])
        if isinstance(event, cls):
            return entry, event
    return None, None


_SPAN_AND_SEQ: Final = operator.itemgetter(0, 1, 2)
_new_tuple: Final = tuple.__new__  # a NamedTuple made without its generated __new__ (Python)


def _derive_post(
    entries: tuple[Entry, ...],
    post_lifecycle: tuple[Entry, ...],
    bloc_lifecycle: tuple[Entry, ...],
    event_at: EventAt,
    *,
    strict: bool,
    new: _BatchIds | None,
) -> PostLine:
    created, creation = _first_of(PostCreated, post_lifecycle, event_at)
    abolished, abolition = _first_of(PostAbolished, post_lifecycle, event_at)
    bloc_founded, founding = _first_of(BlocFounded, bloc_lifecycle, event_at)
    bloc_ended, ending = _first_of(BlocDissolved, bloc_lifecycle, event_at)
    merged: list[Entry] = list(entries)
    if created is not None:
        merged.append((created[0], created[1], _FIRST, created[3]))
    if bloc_founded is not None:
        merged.append((bloc_founded[0], bloc_founded[1], _FIRST - 1, bloc_founded[3]))
    for end in (abolished, bloc_ended):
        if end is not None:
            merged.append((end[0], end[1], _LAST, end[3]))
    merged.sort(key=_SPAN_AND_SEQ)
    if strict and new is not None:
        _check_ambiguity(merged, new, event_at)

    seats = creation.seats if creation is not None else 1
    bloc_ok = bloc_founded is None  # a bloc's post is created once the bloc is founded
    is_created = created is None and not strict
    ended_by: Event | None = None
    sitting: dict[str, Entry] = {}
    points: list[int] = []
    holders: list[tuple[str, ...]] = []
    tenures: list[_TenureAt] = []

    # Each branch that changes the holders reaches the step at the end of the loop; one that
    # changes nothing continues (or raises, if ``strict``). No nested functions: a closure's
    # variables are slower to reach in every turn of the loop.
    for entry in merged:
        event = event_at(entry[3])
        if founding is not None and event is founding:
            bloc_ok = True
            continue
        if creation is not None and event is creation:
            if not bloc_ok and strict:
                raise _Violation(event, None, "the post is created before its bloc was founded")
            is_created = True
            continue
        if (abolition is not None and event is abolition) or (
                ending is not None and event is ending):
            if ended_by is not None:
                continue
            if creation is not None and not is_created and strict:
                why = (f"its bloc was dissolved on {event.effective}" if event is ending
                       else f"it is abolished on {event.effective}")
                raise _Violation(creation, event, f"the post would be created after {why}")
            for person in sorted(sitting):
                _end_tenure(sitting, person, entry, event, event_at, strict, tenures)
            ended_by = event
        elif not is_created:
            if strict:
                raise _Violation(event, creation, "it falls before the post was created")
            continue
        elif ended_by is not None:
            if strict:
                word = ("abolished" if isinstance(ended_by, PostAbolished)
                        else "dissolved with its bloc")
                raise _Violation(event, ended_by, f"the post was {word} on {ended_by.effective}")
            continue
        elif isinstance(event, HolderAppointed):
            person = event.person
            if person in sitting:
                if strict:
                    raise _Violation(event, event_at(sitting[person][3]),
                                     f"{person!r} already holds the post")
                continue
            if len(sitting) >= seats:
                if seats == 1:
                    _end_tenure(sitting, next(iter(sitting)), entry, event, event_at, strict,
                                tenures)
                else:
                    if strict:
                        latest = max(sitting.values(), key=lambda e: (e[0], e[2]))
                        raise _Violation(event, event_at(latest[3]),
                                         f"all {seats} seats of the post are taken")
                    continue
            sitting[person] = entry
        elif isinstance(event, HolderLeft):
            if event.person not in sitting:
                if strict:
                    raise _Violation(event, None,
                                     f"{event.person!r} does not hold the post at that date")
                continue
            _end_tenure(sitting, event.person, entry, event, event_at, strict, tenures)
        else:
            continue
        at = entry[0]
        current = tuple(sorted(sitting)) if len(sitting) > 1 else tuple(sitting)
        if points and points[-1] == at:  # a later change the same day replaces the earlier
            holders[-1] = current
        else:
            points.append(at)
            holders.append(current)

    for person, began in sitting.items():
        began_on = event_at(began[3]).effective
        assert began_on is not None
        tenures.append((began[2], _new_tuple(Tenure, (person, began_on, None)),
                        (began[0], began[1]), None))
    tenures.sort(key=_tenure_order)
    return PostLine(
        entries,
        tuple(points),
        tuple(holders),
        tuple(t[1] for t in tenures),
        tuple((t[2], t[3]) for t in tenures),
    )


# A tenure as it is derived: its appointment's sequence, the tenure, and the spans of the
# days it began and ended on; tenures are given in the order of those spans.
_TenureAt: TypeAlias = tuple[int, Tenure, tuple[int, int], tuple[int, int] | None]


def _tenure_order(tenure: _TenureAt) -> tuple[int, int, int]:
    return tenure[2][0], tenure[2][1], tenure[0]


def _end_tenure(sitting: dict[str, Entry], person: str, entry: Entry, event: Event,
                event_at: EventAt, strict: bool, tenures: list[_TenureAt]) -> None:
    """End ``person``'s tenure at ``entry`` (``event``), and add it to ``tenures``."""
    began = sitting.pop(person)
    appointment = event_at(began[3])
    began_on = appointment.effective
    assert began_on is not None
    if (strict and began[0] == began[1] == entry[0] == entry[1] and began[3] != entry[3]
            and not isinstance(event, HolderAppointed)):
        raise _Violation(event, appointment, "the tenure would end on the day it begins")
    tenures.append((began[2], _new_tuple(Tenure, (person, began_on, event.effective)),
                    (began[0], began[1]), (entry[0], entry[1])))


def _created(kind: str, entries: Iterable[Entry], event_at: EventAt) -> bool:
    """Whether a subject of ``kind`` with these lifecycle ``entries`` has been created."""
    creator = _CREATORS[kind]
    for entry in entries:  # noqa: SIM110 - a plain loop is faster here
        if isinstance(event_at(entry[3]), creator):
            return True
    return False


def _check_subject(kind: str, subject: str, entries: tuple[Entry, ...], strict: bool,
                   event_at: EventAt) -> None:
    """One creation, at most one end, renames between them."""
    if not strict:
        return
    creator = _CREATORS[kind]
    ender = _ENDERS.get(kind)
    created: Entry | None = None
    creation: Event | None = None
    for entry in entries:  # (most subjects have one or two: no list of their events)
        event = event_at(entry[3])
        if isinstance(event, creator):
            if creation is not None:
                raise _Violation(
                    event, creation, f"{kind} {subject!r} is already {_CREATED_WORD[kind]}"
                )
            created, creation = entry, event
    dated = creation is not None and creation.effective is not None
    ending: Event | None = None
    for entry in entries:  # sorted by date
        event = event_at(entry[3])
        if isinstance(event, creator):
            continue
        if ender is not None and isinstance(event, ender):
            if ending is not None:
                raise _Violation(event, ending, f"{kind} {subject!r} already ended")
            if dated and created is not None and (
                entry[1] < created[0]
                or (entry[0] == entry[1] == created[0] == created[1])
            ):
                raise _Violation(
                    event, creation, f"{kind} {subject!r} would end before it begins"
                )
            ending = event
            continue
        # a rename
        if dated and created is not None and entry[1] < created[0]:
            raise _Violation(
                event, creation, f"{kind} {subject!r} is renamed before it was {_CREATED_WORD[kind]}"
            )
        if ending is not None:
            raise _Violation(event, ending, f"{kind} {subject!r} is renamed after it ended")


_CHECKPOINT = 16  # changes between full copies in a bloc index
_CODES: Final = (max(KIND_CODES.values()) | SUSPENDED) + 1  # a kind, perhaps suspended; 0 for none

# One (state, code) pair per state and code, shared by every bloc index built from the same
# cache: a change and a checkpoint then cost a reference each, not a tuple each.
_Pairs: TypeAlias = dict[str, tuple[tuple[str, int], ...]]


class BlocIndex:
    """Every member of one bloc on any day: a merged step function of its lines.

    The members on every ``_CHECKPOINT``-th change are kept; a day's members are the
    nearest earlier checkpoint plus at most that many changes, so answering costs
    O(members). Changes and checkpoints hold shared ``(state, code)`` pairs.
    """

    __slots__ = ("changes", "checkpoints", "expanded", "points")

    def __init__(self, lines: Iterable[tuple[str, MembershipLine]], pairs: _Pairs) -> None:
        days: list[int] = []
        steps: list[tuple[str, int]] = []
        for state, line in lines:
            row = pairs.get(state)
            if row is None:
                row = pairs[state] = tuple((state, code) for code in range(_CODES))
            days += line.points
            steps += map(row.__getitem__, line.codes)
        # A stable sort by day alone: a line's changes on one day keep their order, and
        # different states' changes on one day commute.
        order = sorted(range(len(days)), key=days.__getitem__)
        self.points: tuple[int, ...] = tuple(map(days.__getitem__, order))
        self.changes: tuple[tuple[str, int], ...] = tuple(map(steps.__getitem__, order))
        checkpoints: list[tuple[tuple[str, int], ...]] = []
        current: dict[str, tuple[str, int]] = {}
        for index, change in enumerate(self.changes):
            if change[1]:
                current[change[0]] = change
            else:
                current.pop(change[0], None)
            if not index % _CHECKPOINT:
                checkpoints.append(tuple(current.values()))
        self.checkpoints: tuple[tuple[tuple[str, int], ...], ...] = tuple(checkpoints)
        # The checkpoint asked for last, as a dict: copying a dict is ten times faster than
        # making one (and a comprehension makes one faster than dict() of pairs), and
        # questions come in runs on one date. One per index bounds the memory.
        self.expanded: tuple[int, dict[str, int]] = (-1, {})

    def codes_on(self, day: int) -> dict[str, int]:
        """state → membership code (see ``KIND_CODES``) for the members on ``day``."""
        index = bisect.bisect_right(self.points, day) - 1
        if index < 0:
            return {}
        number = index // _CHECKPOINT
        expanded = self.expanded
        if expanded[0] != number:
            # Replaced whole, never changed: a reader in another thread sees one or the other.
            expanded = self.expanded = (number, {s: c for s, c in self.checkpoints[number]})
        current = expanded[1].copy()
        for state, code in self.changes[number * _CHECKPOINT + 1:index + 1]:
            if code:
                current[state] = code
            else:
                current.pop(state, None)
        return current


class _BlocIndexCache:
    """Bloc indexes built on first use; a derived timeline inherits those its batch left alone."""

    __slots__ = ("_built", "_depth", "_pairs", "_parent", "_stale")

    def __init__(self, parent: _BlocIndexCache | None = None,
                 stale: frozenset[str] = frozenset()) -> None:
        # Long chains would make look-ups slow: start afresh now and then.
        self._depth: int = parent._depth + 1 if parent is not None else 0
        self._parent = parent if parent is not None and self._depth < 16 else None
        self._pairs: _Pairs = parent._pairs if parent is not None else {}
        self._stale = stale
        self._built: dict[str, BlocIndex] = {}

    def built(self, bloc: str) -> BlocIndex | None:
        """The index of ``bloc`` if this timeline, or one it derives from, has built it."""
        index = self._built.get(bloc)
        if index is None and bloc not in self._stale:
            parent = self._parent
            while parent is not None:
                index = parent._built.get(bloc)
                if index is not None or bloc in parent._stale:
                    break
                parent = parent._parent
            if index is not None:
                self._built[bloc] = index
        return index

    def get(self, timeline: Timeline, bloc: str) -> BlocIndex:
        index = self.built(bloc)
        if index is None:
            with collector_paused():
                index = BlocIndex(timeline.memberships.column(bloc), self._pairs)
            self._built[bloc] = index
        return index


@attrs.frozen
class Timeline:
    """An immutable, indexed fold of live (recorded, unretracted) events."""

    subjects: PMap[tuple[str, str], tuple[Entry, ...]] = attrs.field(factory=PMap)
    memberships: PairMap[str, str, MembershipLine] = attrs.field(factory=PairMap)
    posts: PMap[str, PostLine] = attrs.field(factory=PMap)
    # The blocs some state has a line with (each True). A state's blocs are the keys of its
    # row of memberships, a bloc's states the rows that have it (memberships.column).
    lined_blocs: PMap[str, bool] = attrs.field(factory=PMap)
    bloc_posts: PMap[str, frozenset[str]] = attrs.field(factory=PMap)
    person_posts: PMap[str, frozenset[str]] = attrs.field(factory=PMap)
    state_posts: PMap[str, frozenset[str]] = attrs.field(factory=PMap)
    # Keyed by the event id's 128-bit integer: ints hash in C, a UUID's hash is Python code.
    live: PMap[int, Entry] = attrs.field(factory=PMap)
    retractions: PMap[int, Entry] = attrs.field(factory=PMap)
    ids: PMap[str, frozenset[str]] = attrs.field(factory=PMap)
    # The events the entries name, by log position: shared with the timelines this one grows
    # from and into, so it may hold events after this one's last.
    events: EventLog = attrs.field(factory=EventLog, eq=False, repr=False)
    bloc_indexes: _BlocIndexCache = attrs.field(factory=_BlocIndexCache, eq=False, repr=False)
    known_ids: dict[str, frozenset[str]] = attrs.field(factory=dict, eq=False, repr=False)
    # Set on a timeline of an earlier point of a registry's log (as_known_at): that position,
    # and what tells whether an id of a kind was recorded after it. Unknown ids are told as
    # unknown at that point, not as unknown at all.
    past: tuple[int, Callable[[str, str], bool]] | None = attrs.field(
        default=None, init=False, eq=False, repr=False)

    @property
    def event_count(self) -> int:
        """How many events are live: recorded and not retracted (retractions not counted)."""
        return len(self.live)

    # -- building -------------------------------------------------------------------------

    def apply(
        self,
        events: Sequence[Event],
        first_seq: int,
        *,
        validate: bool = True,
        ambiguous: Ambiguity = "reject",
    ) -> Timeline:
        """A new timeline with ``events`` recorded at sequences ``first_seq``, ``first_seq+1``…

        With ``validate`` every invariant is checked and :class:`InvariantError` (or
        :class:`UnknownIdError`) raised for the first event that breaks one, or that gives an
        id given before or recorded already (the registry takes identical repeats out first,
        or when this refuses a first batch); ``self`` is never changed. Without it (replaying
        a trusted log), events that do not fit are skipped instead.
        """
        log = self.events.ready_for(first_seq)
        log.extend(events)
        try:
            draft = _Draft(self, log)
            draft.add_all(enumerate(events, first_seq), validate=validate)
            return draft.finish(events, validate=validate, ambiguous=ambiguous)
        except BaseException:
            log.truncate(first_seq - 1)  # the events of a batch that is refused
            raise

    # -- reading --------------------------------------------------------------------------

    def bloc_index(self, bloc: str) -> BlocIndex:
        """The members of ``bloc`` on every day (built on first use, then kept)."""
        return self.bloc_indexes.get(self, bloc)

    def event_of(self, entry: Entry) -> Event:
        """The event ``entry`` (one of this timeline's) names."""
        return self.events.at(entry[3])

    def lifecycle(self, kind: str, subject: str) -> tuple[Entry, ...]:
        return self.subjects.get((kind, subject)) or ()

    def spells(self, state: str, bloc: str) -> tuple[Spell, ...]:
        """The spells of one membership line, oldest first (none for an unknown pair)."""
        line = self.memberships.get((state, bloc))
        return self.spells_of(line, bloc) if line is not None else ()

    def spells_of(self, line: MembershipLine, bloc: str) -> tuple[Spell, ...]:
        """The spells of ``line``, a line of ``bloc`` in this timeline, oldest first."""
        found = line.spells_kept
        if found is None:
            found = _membership_spells(line.entries, self.lifecycle("bloc", bloc),
                                       self.events.getter())
            # Kept on the immutable line: a change to its events or its bloc makes a new line.
            object.__setattr__(line, "spells_kept", found)
        return found

    def exists(self, kind: str, subject: str) -> bool:
        return _created(kind, self.subjects.get((kind, subject)) or (), self.events.getter())

    def known(self, kind: str) -> frozenset[str]:
        """The ids of ``kind`` whose creation stands (computed once per timeline)."""
        found = self.known_ids.get(kind)
        if found is None:
            found = self.known_ids[kind] = frozenset(
                i for i in self.ids.get(kind) or () if self.exists(kind, i))
        return found

    def require(self, kind: str, subject: str) -> None:
        """Raise :class:`UnknownIdError` (with close matches) if ``subject`` is unknown, or
        :class:`FieldError` if it is not text."""
        if not isinstance(subject, str) or not self.exists(kind, subject):
            raise self.unknown(subject, (kind,), kind)

    def unknown(self, subject: object, kinds: Iterable[str], label: str) -> MembershipError:
        """The error for ``subject``, which is none of ``kinds``: an :class:`UnknownIdError`
        named ``label``, suggesting close matches among their ids (a :class:`FieldError` if
        ``subject`` is not text)."""
        known: set[str] = set()
        retracted = False
        kinds = tuple(kinds)
        for kind in kinds:
            known |= self.known(kind)  # (ids whose creation was retracted are not suggested)
            retracted = retracted or (isinstance(subject, str)
                                      and subject in (self.ids.get(kind) or ()))
        known_as = [kind for kind in SUBJECT_KINDS if kind not in kinds
                    and isinstance(subject, str) and self.exists(kind, subject)]
        position, later = None, False
        if self.past is not None:
            position, known_later = self.past
            later = isinstance(subject, str) and any(known_later(kind, subject) for kind in kinds)
        return unknown_id(label, subject, known, retracted=retracted, known_as=known_as,
                          as_known_at=position, recorded_later=later)

    def lifetime(self, kind: str, subject: str) -> tuple[Entry | None, Entry | None]:
        created: Entry | None = None
        ended: Entry | None = None
        ender = _ENDERS.get(kind)
        event_at = self.events.getter()
        for entry in self.lifecycle(kind, subject):
            event = event_at(entry[3])
            if isinstance(event, _CREATORS[kind]):
                created = entry
            elif ender is not None and isinstance(event, ender):
                ended = entry
        if kind == "post" and created is not None:
            post = event_at(created[3])
            assert isinstance(post, PostCreated)
            if post.bloc is not None:
                bloc_end = self.lifetime("bloc", post.bloc)[1]
                if bloc_end is not None and (ended is None or bloc_end[0] < ended[0]):
                    ended = bloc_end
        return created, ended

    def names(self, kind: str, subject: str) -> tuple[list[int], list[str]]:
        """The days from which each of ``subject``'s names (a post's titles) holds, in order,
        and the names. The first holds on every date before its own too: its day is 1
        (0001-01-01)."""
        points: list[int] = []
        names: list[str] = []
        event_at = self.events.getter()
        for entry in self.lifecycle(kind, subject):  # stored sorted by date
            event = event_at(entry[3])
            text = getattr(event, "name", None) or getattr(event, "title", None)
            if text is not None:
                points.append(entry[0] if points else 1)
                names.append(text)
        return points, names

    def name_on(self, kind: str, subject: str, day: int) -> str | None:
        points, names = self.names(kind, subject)
        # (the first name for a day before any: day 0 asks for it)
        return names[max(bisect.bisect_right(points, day) - 1, 0)] if names else None

    def alive_on(self, kind: str, subject: str, day: int) -> bool:
        created, ended = self.lifetime(kind, subject)
        if created is None:
            return False
        return created[0] <= day and (ended is None or day < ended[0])

    def history(self, subject: str) -> tuple[Event, ...]:
        """Every live event naming ``subject`` (as a state, bloc, person or post), in order.

        Derived from the other indexes when asked, so that recording an event never copies
        a history that grows with the log.
        """
        def line(state: str, bloc: str) -> tuple[Entry, ...]:
            found = self.memberships.get((state, bloc))
            return found.entries if found is not None else ()

        def post(ident: str) -> tuple[Entry, ...]:
            found = self.posts.get(ident)
            return found.entries if found is not None else ()

        def grown(name: str, key: str) -> Iterable[str]:
            index: PMap[str, frozenset[str]] = getattr(self, name)
            return index.get(key) or ()

        event_at = self.events.getter()
        entries = _entries_naming(subject, self.lifecycle, line, post, grown,
                                  self.memberships.row_items, self.memberships.column, event_at)
        return tuple(map(event_at, map(_POSITION, entries)))


class _Draft:
    """Working copy of a timeline while one batch is applied."""

    def __init__(self, base: Timeline, log: EventLog) -> None:
        self.base = base
        self.log = log  # holds the batch's events already
        self.event_at = log.getter()
        self.subjects: PMapEvolver[tuple[str, str], tuple[Entry, ...]] = base.subjects.evolver()
        self.memberships = base.memberships.evolver()
        self.posts = base.posts.evolver()
        self.lined_blocs = base.lined_blocs.evolver()
        self.bloc_posts = base.bloc_posts.evolver()
        self.person_posts = base.person_posts.evolver()
        self.state_posts = base.state_posts.evolver()
        self.live = base.live.evolver()
        # Entries wait here for the live map until something reads it (a retraction, or the
        # end of the batch), then go in one loop: written one per event, amid the lines'
        # work, they cost twice as much in a large batch (the map's dicts fall out of cache).
        self.live_pending: list[Entry] = []
        self.repeated = False  # whether the live map was given an id it had (when flushed)
        self.retractions = base.retractions.evolver()
        self.ids = base.ids.evolver()
        self.line_work: dict[tuple[str, str], list[Entry]] = {}
        self.post_work: dict[str, list[Entry]] = {}
        self.subject_work: dict[tuple[str, str], list[Entry]] = {}
        self.dirty_blocs: set[str] = set()
        self.retracted_now: set[int] = set()  # ids of the events this batch retracts
        # lines the batch's loop reached: their states and blocs are checked, and their blocs
        # noted among the lined ones, in finish()
        self.lines_reached: set[tuple[str, str]] = set()
        # what the batch adds to each set that grows, joined to it once in finish()
        self.growing: dict[tuple[str, str], set[str]] = {}
        # first event of the batch that touched each key: the one an error is pinned on
        self.touched: dict[Any, Event] = {}
        self._targets: dict[str, tuple[dict[Any, list[Entry]], Any]] = {
            "subject": (self.subject_work, self.subjects),
            "line": (self.line_work, self.memberships),
            "post": (self.post_work, self.posts),
        }

    # -- collecting -----------------------------------------------------------------------

    def _list(self, work: dict[Any, list[Entry]], key: Any, base: Any) -> list[Entry]:
        items = work.get(key)
        if items is None:
            existing = base.get(key)
            if existing is None:
                items = []
            elif isinstance(existing, tuple):
                items = list(existing)
            else:
                items = list(existing.entries)
            work[key] = items
        return items

    def _touch(self, key: Any, event: Event) -> None:
        self.touched.setdefault(key, event)

    def _add_to(self, kind: str, key: Any, entry: Entry, remove: bool) -> None:
        work, base = self._targets[kind]
        items = self._list(work, key, base)
        if remove:
            _remove(items, entry[3])
        else:
            # Kept sorted as it grows: re-sorting a long history for one insert would make
            # retroactive inserts cost O(history). Sequences are unique, so tuples compare
            # on (lo, hi, seq) and never reach the event.
            bisect.insort(items, entry)

    def _grow(self, name: str, key: str, value: str) -> None:
        added = self.growing.get((name, key))
        if added is None:
            target: PMapEvolver[str, frozenset[str]] = getattr(self, name)
            existing = target.get(key)
            if existing is not None and value in existing:
                return
            added = self.growing[(name, key)] = set()
        added.add(value)

    def add_all(self, numbered: Iterable[tuple[int, Event]], *, validate: bool) -> None:
        """Add each (sequence, event) pair, in order.

        A membership event (most of any history) is placed here, in the loop, for it runs
        once per event: what entry_for and _place do for it (always dated), with the work
        its line needs once per batch (its list, the event an error is pinned on, the
        bloc's and the state's indexes) done when the batch first reaches the line.
        """
        pending = self.live_pending
        line_work = self.line_work
        chunks = _DAYS.chunks  # (one list for the table's life)
        for seq, event in numbered:
            if type(event) not in _MEMBERSHIP_CLASSES and not isinstance(event, _MEMBERSHIP_EVENTS):
                self._add_other(event, seq, validate=validate)
                continue
            member: _MembershipEvent = event  # type: ignore[assignment]  # (by its class, above)
            on = member.on
            if type(on) is _DATE:  # _span, inlined
                ordinal = on.toordinal()
                day = (chunks[ordinal >> CHUNK_BITS] or _DAYS.chunk(ordinal))[ordinal & CHUNK_MASK]
                entry = (day, day, seq, seq)
            else:
                lo, hi = _partial_span(on)
                entry = (lo, hi, seq, seq)
            pending.append(entry)
            key = (member.state, member.bloc)
            items = line_work.get(key)
            if items is None:
                items = self._start_line(key, member)
            items.append(entry)  # (put in order once, when the line is derived)

    def _start_line(self, key: tuple[str, str], event: _MembershipEvent) -> list[Entry]:
        """The batch's working list for a membership line it reaches for the first time.

        A line already there was reached before by this batch, or by a retraction of one of
        its events, which makes it a line of the base, whose bloc is lined already.
        """
        items = self._list(self.line_work, key, self.memberships)
        state, bloc = key
        self._touch(("line", state, bloc), event)
        self.lines_reached.add(key)
        return items

    def _add_other(self, event: Event, seq: int, *, validate: bool) -> None:
        if isinstance(event, EventRetracted):
            self._retract(event, seq, validate=validate)
            return
        entry = entry_for(event, seq)
        self.live_pending.append(entry)
        self._place(entry, event, event, remove=False)

    def _flush_live(self, events: Sequence[Event] = ()) -> None:
        """Write the pending entries into the live map; ``events``: the batch's, at its end."""
        pending = self.live_pending
        if pending:
            if len(pending) == len(events):
                # Nothing was flushed before and nothing retracted: the entries are the
                # batch's events, in order, read where they are rather than by position.
                ids = [event.id.int for event in events]
            else:
                event_at = self.event_at
                ids = [event_at(entry[3]).id.int for entry in pending]
            if self.live.set_all(ids, pending) != len(pending):
                self.repeated = True  # an id given twice, or one already live
            pending.clear()

    def _refuse_repeated_id(self, events: Sequence[Event]) -> None:
        """Raise for the first event whose id the batch gave before, or that is live already."""
        seen: dict[int, Event] = {}
        for event in events:
            key = event.id.int
            earlier = seen.get(key)
            if earlier is None:
                live = self.base.live.get(key)
                earlier = self.event_at(live[3]) if live is not None else None
            if earlier is not None:
                raise InvariantError(
                    f"event id {event.id} is given twice, or is recorded already", event=event,
                    conflicting=earlier)
            seen[key] = event

    def _retract(self, event: EventRetracted, seq: int, *, validate: bool) -> None:
        self._flush_live()
        target = self.live.get(event.target.int)
        if target is None:
            if not validate:
                return
            if event.target.int in self.retractions:
                earlier = self.event_at(self.retractions[event.target.int][3])
                # (a second correction of the same event: point to what stands in its place)
                replaced = (f"; it was replaced by {earlier.replacement}: correct or retract "
                            "that event instead" if isinstance(earlier, EventRetracted)
                            and earlier.replacement is not None else "")
                raise InvariantError(f"event {event.target} is already retracted{replaced}",
                                     event=event, conflicting=earlier)
            retraction = self._retraction_named(event.target)  # (not live, not retracted)
            if retraction is not None:
                raise InvariantError(
                    "a retraction cannot itself be retracted; record the retracted event "
                    "again, under a new id, instead", event=event, conflicting=retraction)
            raise UnknownIdError("event", str(event.target), ())
        retracted = self.event_at(target[3])
        if isinstance(retracted, EventRetracted):  # pragma: no cover - retractions are not live
            raise InvariantError("a retraction cannot itself be retracted", event=event)
        del self.live[event.target.int]
        self.retracted_now.add(event.target.int)
        self.retractions[event.target.int] = (0, 0, seq, seq)
        self._place(target, retracted, event, remove=True)

    def _place(self, entry: Entry, event: Event, cause: Event, *, remove: bool) -> None:
        subject_kind = _SUBJECT_EVENTS.get(type(event))
        if subject_kind is not None:
            subject = _subject_id(event, subject_kind)
            key = (subject_kind, subject)
            self._add_to("subject", key, entry, remove)
            self._touch(("subject", *key), cause)
            if not remove and isinstance(event, _CREATORS[subject_kind]):
                self._grow("ids", subject_kind, subject)
            if subject_kind == "bloc":
                self.dirty_blocs.add(subject)
                self._touch(("bloc-lifetime", subject), cause)
            elif subject_kind == "post":
                self._list(self.post_work, subject, self.posts)
                self._touch(("post", subject), cause)
                if isinstance(event, PostCreated) and event.bloc is not None:
                    self._grow("bloc_posts", event.bloc, subject)
                if isinstance(event, PostCreated) and event.state is not None:
                    self._grow("state_posts", event.state, subject)
        elif isinstance(event, _MEMBERSHIP_EVENTS):
            # Only a retraction's target gets here: a membership event is added to its line
            # by _Draft.add_all.
            state: str = event.state
            bloc: str = event.bloc
            self._add_to("line", (state, bloc), entry, remove)
            self._touch(("line", state, bloc), cause)
        elif isinstance(event, _TENURE_EVENTS):
            self._add_to("post", event.post, entry, remove)
            self._touch(("post", event.post), cause)
            if not remove:
                self._grow("person_posts", event.person, event.post)

    # -- checking and deriving ------------------------------------------------------------

    def _lifecycle(self, kind: str, subject: str) -> tuple[Entry, ...]:
        key = (kind, subject)
        if key in self.subject_work:
            return tuple(self.subject_work[key])
        return self.subjects.get(key) or ()

    def _exists(self, kind: str, subject: str) -> bool:
        key = (kind, subject)
        items: Sequence[Entry] | None = self.subject_work.get(key)
        if items is None:
            # A subject the batch left alone exists as it did in the base: the ids the base
            # has worked out (for a snapshot) answer without reading the subject map, most
            # of whose rows are out of the caches in a long history.
            known = self.base.known_ids.get(kind)
            if known is not None:
                return subject in known
            items = self.subjects.get(key) or ()
        return _created(kind, items, self.event_at)

    def _lines_refer_to_known_ids(self, found: set[tuple[str, str]], blocs: set[str]) -> bool:
        """Whether the state and bloc of every line this batch added to exist (``blocs``:
        theirs; those not answered from the base's known ids are added to ``found``)."""
        # Sets of a few hundred states and blocs between them, made once per batch.
        for kind, named in (("state", {state for state, _ in self.lines_reached}),
                            ("bloc", blocs)):
            # A batch that creates or ends no subject leaves their ids as the base has them:
            # where it has worked them out, one subset test in C answers for all.
            known = None if self.subject_work else self.base.known_ids.get(kind)
            if known is not None:
                if not named <= known:
                    return False
                continue  # (found spares later look-ups only: events of other kinds skip it)
            for ident in named:
                reference = (kind, ident)
                if reference not in found:
                    if not self._exists(kind, ident):
                        return False
                    found.add(reference)
        return True

    def _check_references(self, events: Sequence[Event], blocs_reached: set[str]) -> None:
        found: set[tuple[str, str]] = set()  # a batch names the same few ids again and again
        # … and the same few combinations: a membership line's events all name its pair
        seen: set[tuple[type[Event], Any]] = set()
        retracted_now = self.retracted_now
        # Membership events, most of a batch, name only their line's state and bloc: when
        # every line's pair exists they are checked once per line, not once per event.
        # Otherwise (or when the batch retracts) each event is checked in order, so that
        # the error names the first unknown id as the batch gives it.
        checked_by_line: frozenset[type[Event]] = (
            _MEMBERSHIP_CLASSES
            if not retracted_now and self._lines_refer_to_known_ids(found, blocs_reached)
            else frozenset()
        )
        if checked_by_line:  # the events left to look at, picked out in C
            events = list(compress(events, map(operator.not_, map(checked_by_line.__contains__,
                                                                  map(type, events)))))
        for event in events:
            cls = type(event)
            if isinstance(event, EventRetracted):
                continue
            if retracted_now and event.id.int in retracted_now:
                continue  # retracted again within the same batch
            named = _NAMED.get(cls)
            if named is None:
                continue  # it names no subject
            combination = (cls, named(event))
            if combination in seen:
                continue
            seen.add(combination)
            own_kind = _SUBJECT_EVENTS.get(cls)
            for reference in references(event):
                if reference in found:
                    continue
                kind, ident = reference
                if kind == own_kind and isinstance(event, _CREATORS[kind]):
                    continue
                if not self._exists(kind, ident):
                    ever = self.ids.get(kind) or frozenset()
                    raise UnknownIdError(kind, ident, {i for i in ever if self._exists(kind, i)},
                                         retracted=ident in ever, known_as=[
                                             other for other in SUBJECT_KINDS
                                             if other != kind and self._exists(other, ident)])
                found.add(reference)
        # A retracted creation must leave nothing that still refers to its subject.
        for event in events if retracted_now else ():
            if not isinstance(event, EventRetracted):
                continue
            if event.replacement is not None:
                self._check_replacement(event, event.replacement, events)
            removed = self.base.live.get(event.target.int)
            if removed is None:
                continue
            removed_event = self.event_at(removed[3])
            removed_kind = _SUBJECT_EVENTS.get(type(removed_event))
            if removed_kind is None or not isinstance(removed_event, _CREATORS[removed_kind]):
                continue
            kind = removed_kind
            subject = _subject_id(removed_event, kind)
            if self._exists(kind, subject):
                continue
            for entry in self._entries_naming(subject):
                naming = self.event_at(entry[3])
                if any(k == kind and i == subject for k, i in references(naming)):
                    raise InvariantError(
                        f"retracting it would leave {kind} {subject!r} unknown to a recorded event",
                        event=event,
                        conflicting=naming,
                    )

    def _check_replacement(self, retraction: EventRetracted, replacement: uuid.UUID,
                           batch: Sequence[Event]) -> None:
        """A retraction's replacement is another event of the log, recorded before it or in
        its batch (live, or retracted since): a link to nothing would mislead its readers."""
        if replacement == retraction.target:
            raise InvariantError("an event cannot be its own replacement", event=retraction)
        if replacement.int in self.live or replacement.int in self.retractions:
            return
        found = self._retraction_named(replacement, batch)
        if found is not None:
            raise InvariantError("its replacement is a retraction, which cannot take an event's "
                                 "place", event=retraction, conflicting=found)
        raise InvariantError(f"its replacement {replacement} is not an event recorded before "
                             "it or in its batch", event=retraction)

    def _retraction_named(self, ident: uuid.UUID, batch: Sequence[Event] = ()
                          ) -> EventRetracted | None:
        """The retraction whose own id is ``ident``, among those recorded before the batch
        and ``batch``'s, or None. Looked for only on the way to an error, for an id that is
        neither live nor retracted (retractions are few)."""
        retractions = chain((self.event_at(entry[3]) for entry in self.base.retractions.values()),
                            batch)
        return next((r for r in retractions if isinstance(r, EventRetracted) and r.id == ident),
                    None)

    def _entries_naming(self, subject: str) -> list[Entry]:
        def line(state: str, bloc: str) -> Sequence[Entry]:
            items = self.line_work.get((state, bloc))
            if items is not None:
                return items
            found = self.memberships.get((state, bloc))
            return found.entries if found is not None else ()

        def post(ident: str) -> Sequence[Entry]:
            items = self.post_work.get(ident)
            if items is not None:
                return items
            found = self.posts.get(ident)
            return found.entries if found is not None else ()

        def grown(name: str, key: str) -> Iterable[str]:
            index: PMapEvolver[str, frozenset[str]] = getattr(self, name)
            return index.get(key) or ()

        # A state's row as the base has it (lines are put in the map once derived): a line
        # this batch starts names a state the batch must not retract, which the check of the
        # ids its events name has refused already.
        return _entries_naming(subject, self._lifecycle, line, post, grown,
                               self.memberships.row_items, self.memberships.column, self.event_at)

    def _raise(self, violation: _Violation, key: Any, events: Sequence[Event]) -> None:
        batch_ids = {e.id for e in events}
        error = AmbiguousDateError if violation.ambiguous else InvariantError
        if violation.event.id in batch_ids:
            raise error(
                violation.reason, event=violation.event, conflicting=violation.conflicting
            ) from None
        cause = self.touched.get(key)
        raise error(
            f"it would invalidate the recorded {violation.event.TYPE} event of "
            f"{violation.event.effective}: {violation.reason}",
            event=cause,
            conflicting=violation.event,
        ) from None

    def finish(self, events: Sequence[Event], *, validate: bool, ambiguous: Ambiguity) -> Timeline:
        self._flush_live(events)
        if self.repeated and validate:
            self._refuse_repeated_id(events)
        strict = validate
        new = _BatchIds(events) if validate and ambiguous == "reject" else None
        for (name, key), added in self.growing.items():
            target: PMapEvolver[str, frozenset[str]] = getattr(self, name)
            existing = target.get(key)
            # One copy of a set that may be long (the ids of a kind), not two.
            target[key] = existing.union(added) if existing is not None else frozenset(added)
        self.growing.clear()
        blocs_reached = {bloc for _, bloc in self.lines_reached}
        lined = self.lined_blocs
        for bloc in blocs_reached:
            if bloc not in lined:
                lined[bloc] = True
        if validate:
            self._check_references(events, blocs_reached)
        for subject_key, items in self.subject_work.items():
            value = tuple(items)
            try:
                _check_subject(subject_key[0], subject_key[1], value, strict, self.event_at)
            except _Violation as violation:
                self._raise(violation, ("subject", *subject_key), events)
            if value:
                self.subjects[subject_key] = value
            elif subject_key in self.subjects:
                del self.subjects[subject_key]
        # Lines to derive again: the touched ones, and every line of a bloc whose lifetime moved.
        line_work = self.line_work
        for bloc in self.dirty_blocs:
            moved = self.touched[("bloc-lifetime", bloc)]
            # The base's lines of the bloc: those the batch reached are in line_work already.
            for state, _ in self.memberships.column(bloc):
                if (state, bloc) not in line_work:
                    self._list(line_work, (state, bloc), self.memberships)
                    self.touched.setdefault(("line", state, bloc), moved)
            for post in self.bloc_posts.get(bloc) or ():
                self._list(self.post_work, post, self.posts)
                self.touched.setdefault(("post", post), self.touched[("bloc-lifetime", bloc)])
        for (state, bloc), items in self.line_work.items():
            items.sort()  # the batch's loop appends a line's entries in the batch's order
            try:
                line = _derive_membership(
                    tuple(items), self._lifecycle("bloc", bloc), self.event_at, strict=strict,
                    new=new)
            except _Violation as violation:
                self._raise(violation, ("line", state, bloc), events)
            self.memberships[(state, bloc)] = line
        for post, items in self.post_work.items():
            lifecycle = self._lifecycle("post", post)
            created = next((e for e in map(self.event_at, map(_POSITION, lifecycle))
                            if isinstance(e, PostCreated)), None)
            bloc_lifecycle: tuple[Entry, ...] = ()
            if isinstance(created, PostCreated) and created.bloc is not None:
                bloc_lifecycle = self._lifecycle("bloc", created.bloc)
            try:
                post_line = _derive_post(
                    tuple(items), lifecycle, bloc_lifecycle, self.event_at, strict=strict,
                    new=new)
            except _Violation as violation:
                self._raise(violation, ("post", post), events)
            self.posts[post] = post_line
        made = Timeline(
            subjects=self.subjects.persistent(),
            memberships=self.memberships.persistent(),
            posts=self.posts.persistent(),
            lined_blocs=self.lined_blocs.persistent(),
            bloc_posts=self.bloc_posts.persistent(),
            person_posts=self.person_posts.persistent(),
            state_posts=self.state_posts.persistent(),
            live=self.live.persistent(),
            retractions=self.retractions.persistent(),
            ids=self.ids.persistent(),
            events=self.log,
            bloc_indexes=_BlocIndexCache(
                self.base.bloc_indexes,
                frozenset({bloc for _, bloc in self.line_work}.union(self.dirty_blocs)),
            ),
        )
        # Which ids of a kind exist changes only with that kind's subjects: the sets the base
        # worked out are carried over, this batch's subjects looked at again, so that the
        # first snapshot after a batch does not test every id (a millisecond at 1M).
        made.known_ids.update(self.base.known_ids)
        if self.subject_work:  # (a batch of memberships changes no subject)
            changed: dict[str, set[str]] = {}
            for kind, subject in self.subject_work:
                changed.setdefault(kind, set()).add(subject)
            for kind, subjects in changed.items():
                found = made.known_ids.get(kind)
                if found is not None:
                    made.known_ids[kind] = (found - subjects) | {
                        s for s in subjects if made.exists(kind, s)}
        return made


def build(events: Sequence[Event], log: EventLog | None = None) -> Timeline:
    """Fold the first events of a trusted log into a timeline, without validation.

    ``log``, when given, holds them already at positions 1… (and perhaps more after): the
    timeline shares it.
    """
    if log is None:
        log = EventLog()
        log.extend(events)
    if not events:
        return Timeline(events=log)
    draft = _Draft(Timeline(events=log), log)
    draft.add_all(enumerate(events, 1), validate=False)
    return draft.finish(events, validate=False, ambiguous="allow")
