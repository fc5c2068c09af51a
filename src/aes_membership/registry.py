"""The registry: the object users hold.

Commands (``join``, ``appoint``, ``retract``…) build events, validate them against the whole
timeline and append them to the store; queries (``snapshot``, ``periods``…) read the indexed
timeline. Every query can be asked *as known at* an earlier instant or log position.

Writers sharing a store use optimistic concurrency: the registry validates against the log up
to position P and appends "expecting P"; if another writer got there first, it catches up,
validates again and retries, and raises :class:`~aes_membership.errors.ConcurrencyError` after
``max_retries`` lost races.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import os
import threading
import time
import uuid
import warnings
import weakref
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import repeat
from operator import attrgetter
from typing import Any, NoReturn, SupportsIndex, TypeVar

import attrs
import pendulum

from . import _checkpoint
from ._collector import collector_paused
from .dates import When, parse_day, parse_instant, utc_now
from .errors import (
    CheckpointWarning,
    ConcurrencyError,
    FieldError,
    InvariantError,
    MembershipError,
    TamperWarning,
    UnknownIdError,
    check_number,
    shown,
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
    new_id,
)
from .impact import Impact, compare
from .snapshot import Basis, Snapshot
from .stores import open_store
from .stores.base import (
    Recorded,
    Store,
    VerifyReport,
    check_duplicates,
    check_position,
    first_not_event,
    instants_not_one_per_event,
    seconds,
)
from .stores.memory import MemoryStore
from .timeline import (
    SUBJECT_KINDS,
    Ambiguity,
    Period,
    Spell,
    Tenure,
    Timeline,
    build,
    check_subject_kind,
)

__all__ = ["KnownAt", "Registry"]

_E = TypeVar("_E", bound=Event)

KnownAt = _dt.datetime | str | int | None
"""An "as known at" point: an instant (aware datetime or ISO text) or a log position."""

_CACHE_SIZE = 8


_EVENT = attrgetter("event")
_RECORDED_AT = attrgetter("recorded_at")


def _restore(store: Store) -> _checkpoint.RegistryState | None:
    """The state kept in the store's checkpoint, if there is one that can be used."""
    found = store.load_checkpoint()
    if found is None:
        return None
    position, data = found
    try:
        state = _checkpoint.loads(data)
    except _checkpoint.CheckpointUnusable as why:
        if why.damaged:
            warnings.warn(CheckpointWarning(position, str(why)), stacklevel=3)
        return None
    if state.position != position:
        warnings.warn(CheckpointWarning(
            position, f"its content covers {state.position} events"), stacklevel=3)
        return None
    return state


class Registry:
    """An append-only, bitemporal history of blocs, states, memberships and posts.

    ``Registry()`` keeps its log in memory; :meth:`open` opens a durable store.
    ``ambiguous="allow"`` accepts events whose partial dates leave their order unknown
    (ordered by first possible day); the default rejects them.
    """

    def __init__(
        self,
        store: Store | None = None,
        *,
        ambiguous: Ambiguity = "reject",
        max_retries: int = 8,
    ) -> None:
        self._start(store if store is not None else MemoryStore(), ambiguous=ambiguous,
                    max_retries=max_retries)

    def _start(self, store: Store, *, ambiguous: Ambiguity = "reject", max_retries: int = 8,
               restored: _checkpoint.RegistryState | None = None) -> None:
        if ambiguous not in ("reject", "allow"):
            raise FieldError("ambiguous", ambiguous, "'reject' or 'allow'")
        check_number("max_retries", max_retries, least=1, whole=True)
        if isinstance(store, (str, bytes, os.PathLike)):  # (not echoed: it may hold a password)
            raise TypeError(f"store: expected a Store (see aes_membership.stores), got "
                            f"{type(store).__name__}: to open a file or a connection string, "
                            f"use Registry.open(target)")
        if not isinstance(store, Store):
            raise TypeError(f"store: expected a Store (see aes_membership.stores), "
                            f"got {type(store).__name__} {shown(store)}")
        self._store: Store = store
        self._ambiguous: Ambiguity = ambiguous
        self._max_retries = max_retries
        self._lock = threading.RLock()
        self._stamps = array("d")  # recorded_at of each position, as POSIX seconds
        self._instants: dict[float, pendulum.DateTime] = {}
        # Positions of logged events that are not live in the current timeline (retractions
        # and what they retracted); live ones carry their position in the timeline already.
        self._not_live: dict[int, int] = {}  # keyed by the id's integer, as the timeline
        self._timeline = Timeline()
        self._past: OrderedDict[int, Timeline] = OrderedDict()
        self._last_change: tuple[Timeline, Timeline, list[Event]] | None = None
        self._last_impact: Impact | None = Impact()
        self.lost_races = 0  # appends refused because another writer got there first
        if restored is not None:
            self._stamps = restored.stamps
            self._instants = restored.instants
            self._not_live = restored.not_live
            self._timeline = restored.timeline
        self.refresh()

    @classmethod
    def open(cls, target: str | os.PathLike[str], *, on_tamper: str = "warn",
             checkpoint: bool = True, **options: Any) -> Registry:
        """Open a durable registry.

        ``target`` is a file path (SQLite, created if absent; reopening replays it),
        ``":memory:"``, or a PostgreSQL connection string — a ``postgresql://`` URL or libpq's
        ``host=… dbname=…`` pairs (needs the ``postgres`` extra). If the store keeps a
        checkpoint (see :meth:`checkpoint`) that still fits the log, the registry starts from
        it and replays only the events after it (``checkpoint=False`` replays the whole log).
        The store's hash chain is checked on opening — from the checkpoint on, or all of it
        without one: a broken chain emits a :class:`~aes_membership.errors.TamperWarning`
        (``on_tamper="warn"``), raises :class:`~aes_membership.errors.TamperError`
        (``"refuse"``), or is not checked (``"skip"``). Options other than the registry's own
        go to the store.
        """
        if on_tamper not in ("warn", "refuse", "skip"):
            raise FieldError("on_tamper", on_tamper, "'warn', 'refuse' or 'skip'")
        if not isinstance(checkpoint, bool):  # ("no" would be taken as yes)
            raise FieldError("checkpoint", checkpoint, "True or False")
        registry_options = {k: options.pop(k) for k in ("ambiguous", "max_retries") if k in options}
        store = open_store(target, **options)
        try:
            with collector_paused():
                restored = _restore(store) if checkpoint else None
                if on_tamper != "skip":
                    report = store.verify(restored.position if restored else 0)
                    if not report.ok:
                        if on_tamper == "refuse":
                            report.raise_for_error()
                        warnings.warn(TamperWarning(report), stacklevel=2)
                registry = cls.__new__(cls)
                registry._start(store, restored=restored, **registry_options)
                return registry
        except BaseException:
            store.close()
            raise

    def checkpoint(self) -> int:
        """Keep the replayed state in the store, so that opening it need not replay the log.

        Returns the position the checkpoint covers (0, and nothing kept, for an empty log).
        The checkpoint replaces the store's previous one. It is a cache, never a source of
        truth: it is anchored on the hash of the last row it covers, and a checkpoint that no
        longer fits the log, comes from another version of the library or was damaged is
        ignored (the last with a :class:`~aes_membership.errors.CheckpointWarning`).
        """
        with self._lock:  # copies of the growing parts; the timeline never changes
            position = self.position
            state = _checkpoint.RegistryState(
                position, self._timeline.events, array("d", self._stamps),
                dict(self._instants), dict(self._not_live), self._timeline)
        if not position:
            return 0
        # Written outside the lock: queries and recordings go on meanwhile. The collector is
        # paused: writing makes millions of short-lived objects, none in a cycle, which would
        # set off collections that walk every object the registry holds.
        with collector_paused():
            data = _checkpoint.dumps(state)
        self._store.save_checkpoint(position, data)
        return position

    @property
    def store(self) -> Store:
        """The backend holding the log."""
        return self._store

    @property
    def position(self) -> int:
        """The last log position this registry has seen."""
        return len(self._stamps)  # one per event

    def close(self) -> None:
        """Close the store."""
        self._store.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Registry events={self.position} store={self._store!r}>"

    def __reduce_ex__(self, protocol: SupportsIndex) -> NoReturn:
        # (copy.copy and copy.deepcopy ask this too: a copy would share, or lose, the store)
        raise TypeError("a Registry cannot be pickled or copied: it holds an open store. Open "
                        "the same store again where it is needed, with Registry.open(target)")

    def _repr_html_(self) -> str:
        counts = {kind: len(self._timeline.known(kind))  # (those retracted are not counted)
                  for kind in ("bloc", "state", "post", "person")}
        cells = "".join(f"<td>{n}</td>" for n in counts.values())
        heads = "".join(f"<th>{k}s</th>" for k in counts)
        return (f"<p>Registry: {self.position} events</p><table><tr>{heads}</tr>"
                f"<tr>{cells}</tr></table>")

    # -- following the log ----------------------------------------------------------------

    def refresh(self) -> int:
        """Catch up with events other writers appended; returns how many were new."""
        with self._lock, collector_paused():
            new = list(self._store.read(self.position))
            if new:
                self._absorb(new, trusted=True)
            return len(new)

    def _absorb(self, recorded: Sequence[Recorded], *, trusted: bool,
                timeline: Timeline | None = None) -> None:
        first = self.position + 1
        if recorded and recorded[0].position != first:
            raise ConcurrencyError(self.position, recorded[0].position - 1)
        events = list(map(_EVENT, recorded))
        if timeline is None:
            if first == 1 and trusted:
                timeline = build(events)
            else:
                timeline = self._timeline.apply(events, first, validate=False)
        instants = list(map(_RECORDED_AT, recorded))
        stamps = self._stamps
        if instants and instants.count(instants[0]) == len(instants):  # one for the batch
            stamp = instants[0].timestamp()
            self._instants.setdefault(stamp, instants[0])
            stamps.extend(repeat(stamp, len(instants)))
        else:
            last_instant: object = None
            stamp = 0.0
            for instant in instants:
                if instant is not last_instant:  # runs share one instant object
                    last_instant = instant
                    stamp = instant.timestamp()
                    self._instants.setdefault(stamp, instant)
                stamps.append(stamp)
        # Every event of a batch is live unless the batch retracts it (a timeline keeps even
        # the events a trusted replay finds out of place): without retractions, none to note.
        if any(issubclass(cls, EventRetracted) for cls in set(map(type, events))):
            live = timeline.live
            for r in recorded:
                if r.event.id.int not in live:  # a retraction, or an event it removed
                    self._not_live[r.event.id.int] = r.position
                if isinstance(r.event, EventRetracted):
                    target = self._position_of(r.event.target)
                    if target is not None:
                        self._not_live[r.event.target.int] = target
        self._timeline = timeline

    def _position_of(self, event_id: uuid.UUID) -> int | None:
        """The log position of a recorded event, or None."""
        entry = self._timeline.live.get(event_id.int)
        if entry is not None:
            return entry[2]
        return self._not_live.get(event_id.int)

    def follow(self, *, poll: float = 1.0, timeout: float | None = None) -> Iterator[Recorded]:
        """Yield events as other writers commit them (blocking); stops after ``timeout``
        seconds without news when given. ``poll`` is the longest wait for news before the
        store is asked again."""
        check_number("poll", poll, least=0, exclusive=True)  # (now, not at the first next())
        if timeout is not None:
            check_number("timeout", timeout, least=0)
        return self._follow(seconds(poll), None if timeout is None else seconds(timeout))

    def _follow(self, poll: float, timeout: float | None) -> Iterator[Recorded]:
        # The time without news is counted from the last news (or the start), by the clock:
        # a store's wait may return before ``poll`` has passed.
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            start = self.position
            wait = poll if deadline is None else min(poll, max(0.0, deadline - time.monotonic()))
            if not self._store.wait(start, wait):
                if deadline is not None and time.monotonic() >= deadline:
                    return
                continue
            with self._lock:
                before = self.position
                self.refresh()
                news = self.events(after=before)
            yield from news
            if timeout is not None and news:
                deadline = time.monotonic() + timeout

    # -- recording ------------------------------------------------------------------------

    def record(
        self,
        *events: Event,
        recorded_at: _dt.datetime | str | Sequence[_dt.datetime | str] | None = None,
    ) -> list[Event]:
        """Validate and append ``events`` as one all-or-nothing batch.

        Events whose id is already recorded with the same content are not appended again
        (idempotent retries). ``recorded_at`` backdates the batch — one instant, or one per
        event — when loading a history with its original recording instants; it may not
        precede the last recorded instant nor lie in the future. Returns the events, in the
        order given.
        """
        stray = first_not_event(events)
        if stray is not None:
            event = stray[1]
            hint = (" (to record a list of events, unpack it: record(*events))"
                    if isinstance(event, (list, tuple)) else "")
            raise TypeError(f"record() takes events, got {type(event).__name__} {shown(event)}{hint}")
        stamps: dict[uuid.UUID, pendulum.DateTime] | pendulum.DateTime | None = None
        if isinstance(recorded_at, (str, _dt.datetime)):
            stamps = parse_instant(recorded_at, field="recorded_at")
        elif isinstance(recorded_at, Iterable):
            given = list(recorded_at)
            if len(given) != len(events):
                raise instants_not_one_per_event(given, len(events))
            stamps = {
                e.id: parse_instant(t, field="recorded_at")
                for e, t in zip(events, given, strict=True)
            }
        elif recorded_at is not None:
            raise FieldError("recorded_at", recorded_at,
                             "an instant (an aware datetime or ISO text), or one per event")
        with self._lock, collector_paused():
            expected = self.position
            for attempt in range(1, self._max_retries + 1):
                self.refresh()
                expected = self.position
                fresh, checked = self._fresh(events)
                if not fresh:  # all of it recorded already: this call changes no answer
                    self._last_change, self._last_impact = None, Impact()
                    return list(events)
                before = self._timeline
                try:
                    after = before.apply(fresh, expected + 1, ambiguous=self._ambiguous)
                except MembershipError:
                    if checked:
                        raise
                    # A first batch is checked for repeated ids only if it is refused: an
                    # event given twice is kept once, and the rest is validated again.
                    fresh = check_duplicates(events, {})[0]
                    if len(fresh) == len(events):
                        raise
                    after = before.apply(fresh, expected + 1, ambiguous=self._ambiguous)
                batch_stamps = (
                    [stamps[e.id] for e in fresh] if isinstance(stamps, dict) else stamps
                )
                try:
                    recorded = self._store.append(
                        fresh, expected_position=expected, recorded_at=batch_stamps
                    )
                except BaseException as error:
                    # The batch's events go at the log's end before they are applied: those
                    # of a batch the store did not take are not the log's.
                    after.events.truncate(expected)
                    if not isinstance(error, ConcurrencyError):
                        raise
                    self.lost_races += 1
                    time.sleep(0.001 * attempt)
                    continue
                if len(recorded) != len(fresh):  # another writer stored some of them: re-read
                    after.events.truncate(expected)
                    self.refresh()
                    self._last_change, self._last_impact = (before, self._timeline, fresh), None
                    return list(events)
                self._absorb(recorded, trusted=False, timeline=after)
                # Worked out when asked: comparing costs as much as recording a large batch.
                self._last_change, self._last_impact = (before, after, fresh), None
                return list(events)
            raise ConcurrencyError(expected, self._store.last_position(), attempts=self._max_retries)

    @property
    def last_impact(self) -> Impact:
        """Which answers the last batch this registry recorded changed, for which dates.

        Empty after a call that recorded nothing new (an idempotent retry). When another
        writer stored part of the batch first, what changed from before the call to after it.
        """
        with self._lock:
            if self._last_impact is None:
                assert self._last_change is not None
                self._last_impact = compare(*self._last_change)
                self._last_change = None
            return self._last_impact

    def _fresh(self, events: Sequence[Event]) -> tuple[list[Event], bool]:
        """The events of the batch not recorded yet, each once, and whether repeats were
        looked for: not in a first batch (a first load), where validation finds them (a
        set of a million ids would cost a fifth of a second for nothing)."""
        # Ids already recorded are looked for in one pass over the batch (most batches
        # have none); only those found are fetched from the log.
        if not self.position:  # nothing recorded yet: no id to look for
            return list(events), False
        ids = [e.id.int for e in events]
        recorded = set(self._timeline.live.present(ids))
        not_live = self._not_live
        if not_live:
            recorded.update(i for i in ids if i in not_live)
        known = {}
        if recorded:
            for event, ident in zip(events, ids, strict=True):
                if ident in recorded:
                    position = self._position_of(event.id)
                    assert position is not None
                    known[event.id] = self._timeline.events.at(position)
        fresh, _ = check_duplicates(events, known)
        return fresh, True

    def _one(self, event: _E) -> _E:
        self.record(event)
        return event

    # -- commands: who exists -------------------------------------------------------------

    def register_state(self, state: str, *, name: str, identifiers: Mapping[str, str] | None = None,
                       on: When | _dt.date | str | None = None, **common: Any) -> StateRegistered:
        """Make a state known (ISO 3166-1 alpha-3 ids are recommended: ``"MLI"``)."""
        return self._one(StateRegistered(state=state, name=name, identifiers=identifiers or {},
                                         on=on, **common))

    def register_person(self, person: str, *, name: str,
                        identifiers: Mapping[str, str] | None = None, **common: Any
                        ) -> PersonRegistered:
        """Make a person known (slug ids are recommended: ``"assimi-goita"``)."""
        return self._one(PersonRegistered(person=person, name=name,
                                          identifiers=identifiers or {}, **common))

    def rename(self, ident: str, *, name: str, on: When | _dt.date | str, **common: Any) -> Event:
        """Record that a state, bloc or person is known by ``name`` from ``on``."""
        timeline = self._timeline
        if isinstance(ident, str):  # (anything else is named as no id below)
            if timeline.exists("state", ident):
                return self._one(StateRenamed(state=ident, name=name, on=on, **common))
            if timeline.exists("bloc", ident):
                return self._one(BlocRenamed(bloc=ident, name=name, on=on, **common))
            if timeline.exists("person", ident):
                return self._one(PersonRenamed(person=ident, name=name, on=on, **common))
        raise timeline.unknown(ident, ("state", "bloc", "person"), "state, bloc or person")

    def found(self, bloc: str, *, name: str, on: When | _dt.date | str,
              identifiers: Mapping[str, str] | None = None, **common: Any) -> BlocFounded:
        """Record that a bloc came into being on ``on``."""
        return self._one(BlocFounded(bloc=bloc, name=name, on=on,
                                     identifiers=identifiers or {}, **common))

    def dissolve(self, bloc: str, *, on: When | _dt.date | str, **common: Any) -> BlocDissolved:
        """Record that a bloc ceased on ``on``; its memberships and tenures end that day."""
        return self._one(BlocDissolved(bloc=bloc, on=on, **common))

    # -- commands: membership -------------------------------------------------------------

    def join(self, state: str, bloc: str, *, on: When | _dt.date | str, kind: str = "full",
             **common: Any) -> StateJoined:
        """Record that ``state`` became a member of ``bloc`` on ``on``."""
        return self._one(StateJoined(state=state, bloc=bloc, on=on, kind=kind, **common))

    def change_kind(self, state: str, bloc: str, *, kind: str, on: When | _dt.date | str,
                    **common: Any) -> KindChanged:
        """Record that a member became a full member, an associate or an observer."""
        return self._one(KindChanged(state=state, bloc=bloc, kind=kind, on=on, **common))

    def suspend(self, state: str, bloc: str, *, on: When | _dt.date | str,
                **common: Any) -> StateSuspended:
        """Record that a member was suspended from ``on`` (it stays a member)."""
        return self._one(StateSuspended(state=state, bloc=bloc, on=on, **common))

    def reinstate(self, state: str, bloc: str, *, on: When | _dt.date | str,
                  **common: Any) -> StateReinstated:
        """Record that a suspended member was reinstated on ``on``."""
        return self._one(StateReinstated(state=state, bloc=bloc, on=on, **common))

    def withdraw(self, state: str, bloc: str, *, on: When | _dt.date | str,
                 announced: When | _dt.date | str | None = None, **common: Any) -> StateWithdrew:
        """Record that ``state`` left ``bloc``, effective ``on`` (not a member that day)."""
        return self._one(StateWithdrew(state=state, bloc=bloc, on=on, announced=announced,
                                       **common))

    # -- commands: posts ------------------------------------------------------------------

    def create_post(self, post: str, *, title: str, on: When | _dt.date | str,
                    bloc: str | None = None, state: str | None = None, seats: int = 1,
                    **common: Any) -> PostCreated:
        """Create a leadership post of a bloc (``bloc=``) or of a state (``state=``)."""
        return self._one(PostCreated(post=post, title=title, on=on, bloc=bloc, state=state,
                                     seats=seats, **common))

    def abolish_post(self, post: str, *, on: When | _dt.date | str,
                     **common: Any) -> PostAbolished:
        """Abolish a post on ``on``; its holders leave that day."""
        return self._one(PostAbolished(post=post, on=on, **common))

    def appoint(self, post: str, person: str, *, on: When | _dt.date | str,
                **common: Any) -> HolderAppointed:
        """Record that ``person`` took a seat of ``post`` on ``on``.

        On a single-seat post the sitting holder's tenure ends that same day.
        """
        return self._one(HolderAppointed(post=post, person=person, on=on, **common))

    def leave(self, post: str, person: str, *, on: When | _dt.date | str,
              **common: Any) -> HolderLeft:
        """Record that ``person`` left ``post`` on ``on`` (not the holder that day)."""
        return self._one(HolderLeft(post=post, person=person, on=on, **common))

    # -- commands: corrections ------------------------------------------------------------

    def retract(self, event_id: uuid.UUID | str, *, reason: str, **common: Any) -> EventRetracted:
        """Record that an earlier event was wrong. The event stays in the log; from now on it
        no longer counts, and earlier ``as_known_at`` questions still see it."""
        target = self._target(event_id)
        return self._one(EventRetracted(target=target.id, reason=reason, **common))

    def correct(self, event_id: uuid.UUID | str, replacement: Event | None = None, *,
                reason: str, source: str | None = None, note: str | None = None,
                **changes: Any) -> Event:
        """Retract an event and record its replacement in one atomic batch.

        Give the ``replacement`` event, or the fields to change (``on="2023-11-29"``): the
        replacement is then the original with those changes and a new id. Returns it.
        """
        target = self._target(event_id)
        if isinstance(target, EventRetracted):
            # Nothing was made to record: the retraction is what the request conflicts with.
            raise InvariantError("a retraction cannot be corrected; record the event again instead",
                                 conflicting=target)
        if replacement is None:
            if not changes:
                raise FieldError("replacement", None, "a replacement event or fields to change")
            if source is not None:
                changes["source"] = source
            try:
                replacement = attrs.evolve(target, id=new_id(), **changes)
            except TypeError:  # a field the event does not have (a bad value raises FieldError)
                names = ", ".join(a.name for a in attrs.fields(type(target)) if a.name != "id")
                raise FieldError("changes", sorted(changes),
                                 f"fields of {target.TYPE} ({names})") from None
        elif changes:
            raise FieldError("changes", sorted(changes), "none when a replacement event is given")
        else:
            self._check_replacement(replacement)
        if attrs.evolve(replacement, id=target.id) == target:
            # A retraction and the same facts again would only lengthen the history.
            if changes:
                raise FieldError("changes", changes, f"at least one value that differs from the "
                                 f"recorded {target.TYPE}'s")
            raise FieldError("replacement", replacement,
                             "an event that differs from the one it corrects, not only in its id")
        retraction = EventRetracted(target=target.id, reason=reason, replacement=replacement.id,
                                    source=source, note=note)
        self.record(retraction, replacement)
        return replacement

    def _check_replacement(self, replacement: object) -> None:
        """Refuse a replacement that is no event, a retraction, or an event already
        recorded (the corrected one among them): its retraction would stand alone."""
        if not isinstance(replacement, Event):
            raise TypeError(f"correct() takes an event as its replacement, got "
                            f"{type(replacement).__name__} {shown(replacement)}")
        if isinstance(replacement, EventRetracted):
            raise FieldError("replacement", replacement, "an event that is not a retraction "
                             "(retract() retracts without a replacement)")
        if self._position_of(replacement.id) is not None:  # (the corrected event's among them)
            raise FieldError("replacement", replacement, "an event not recorded yet, under a "
                             "new id", shown=f"the recorded event {replacement.id}")

    def _target(self, event_id: uuid.UUID | str) -> Event:
        try:
            ident = event_id if isinstance(event_id, uuid.UUID) else uuid.UUID(str(event_id))
        except ValueError:
            raise FieldError("event_id", event_id, "an event id (a UUID)") from None
        self.refresh()
        position = self._position_of(ident)
        if position is None:
            raise UnknownIdError("event", str(ident), ())
        return self._timeline.events.at(position)

    # -- reading: which point of the log --------------------------------------------------

    def _position_at(self, as_known_at: KnownAt, field: str = "as_known_at",
                     ) -> tuple[int, pendulum.DateTime | None]:
        if as_known_at is None:
            return self.position, None
        if not isinstance(as_known_at, (str, _dt.datetime)):
            if not hasattr(as_known_at, "__index__") or isinstance(as_known_at, bool):
                raise FieldError(field, as_known_at, "an instant, ISO instant text or log position")
            return check_position(field, as_known_at, last=self.position), None
        instant = parse_instant(as_known_at, field=field)
        return bisect.bisect_right(self._stamps, instant.timestamp()), instant

    def _timeline_at(self, position: int) -> Timeline:
        if position == self.position:
            return self._timeline
        cached = self._past.get(position)
        if cached is not None:
            self._past.move_to_end(position)
            return cached
        log = self._timeline.events
        timeline = build(log.span(0, position), log)
        # (a weak reference: a snapshot kept after its registry must not keep the store open)
        registry = weakref.ref(self)

        def known_later(kind: str, ident: str) -> bool:
            now = registry()
            return now is not None and now._timeline.exists(kind, ident)

        object.__setattr__(timeline, "past", (position, known_later))
        self._past[position] = timeline
        if len(self._past) > _CACHE_SIZE:
            self._past.popitem(last=False)
        return timeline

    def _view(self, as_known_at: KnownAt) -> tuple[Timeline, int, pendulum.DateTime | None]:
        with self._lock:
            position, instant = self._position_at(as_known_at)
            return self._timeline_at(position), position, instant

    def recorded_at(self, position: int) -> pendulum.DateTime | None:
        """The instant the event at ``position`` was recorded (``None`` for position 0)."""
        position = check_position("position", position, last=self.position)
        if position == 0:
            return None
        return self._instants[self._stamps[position - 1]]

    # -- queries --------------------------------------------------------------------------

    def snapshot(self, on: _dt.date | str | None = None, *, as_known_at: KnownAt = None) -> Snapshot:
        """The answers for valid date ``on`` (default: today, UTC), as known at a point.

        ``as_known_at`` is an instant (aware datetime or ISO text) or a log position: the
        snapshot then sees exactly the events recorded by then, minus those retracted by then.
        """
        day = parse_day(on) if on is not None else parse_day(utc_now().date())
        timeline, position, instant = self._view(as_known_at)
        return Snapshot(timeline, Basis(day, position, self.recorded_at(position), instant))

    def _spells(self, state: str, bloc: str, as_known_at: KnownAt) -> tuple[Spell, ...]:
        """The spells of one membership; unknown ids raise, with suggestions."""
        timeline, _, _ = self._view(as_known_at)
        line = timeline.memberships.get((state, bloc)) if _hashable(state, bloc) else None
        if line is None:
            timeline.require("state", state)
            timeline.require("bloc", bloc)
            return ()
        return timeline.spells_of(line, bloc)

    def periods(self, state: str, bloc: str, *, as_known_at: KnownAt = None) -> list[Period]:
        """The spells of ``state`` in ``bloc``, ordered: ``(start, end)``, ``end`` None if open."""
        return [Period(s.start, s.end) for s in self._spells(state, bloc, as_known_at)]

    def suspensions(self, state: str, bloc: str, *, as_known_at: KnownAt = None) -> list[Period]:
        """The periods during which ``state`` was a suspended member of ``bloc``."""
        return [p for s in self._spells(state, bloc, as_known_at) for p in s.suspensions]

    def kinds(self, state: str, bloc: str, *, as_known_at: KnownAt = None) -> list[tuple[When, str]]:
        """Each kind of membership ``state`` had in ``bloc``, with the date it began."""
        return [k for s in self._spells(state, bloc, as_known_at) for k in s.kinds]

    def tenures(self, post: str, *, as_known_at: KnownAt = None) -> list[Tenure]:
        """Everyone who held ``post``, ordered: ``(person, start, end)``, ``end`` None if sitting."""
        timeline, _, _ = self._view(as_known_at)
        timeline.require("post", post)
        line = timeline.posts.get(post)
        return list(line.tenures) if line is not None else []

    def history(self, ident: str, *, as_known_at: KnownAt = None) -> list[Event]:
        """Events concerning a state, bloc, person or post, in valid-time order."""
        timeline, _, _ = self._view(as_known_at)
        found = timeline.history(ident) if isinstance(ident, str) else ()
        if not found:
            raise timeline.unknown(ident, SUBJECT_KINDS, "id")
        return list(found)

    def ids(self, kind: str, *, as_known_at: KnownAt = None) -> frozenset[str]:
        """The known ids of one kind: ``"state"``, ``"bloc"``, ``"person"`` or ``"post"``."""
        check_subject_kind(kind)
        timeline, _, _ = self._view(as_known_at)
        return frozenset(i for i in timeline.ids.get(kind) or () if timeline.exists(kind, i))

    def events(self, *, after: int = 0) -> list[Recorded]:
        """Every recorded event after position ``after``, in recorded order, with its envelope."""
        with self._lock:
            return self._recorded(check_position("after", after, last=self.position),
                                  self.position)

    def _recorded(self, after: int, until: int) -> list[Recorded]:
        return [
            Recorded(position, self._instants[self._stamps[position - 1]], event)
            for position, event in enumerate(self._timeline.events.span(after, until),
                                             start=after + 1)
        ]

    def get(self, event_id: uuid.UUID | str) -> Recorded:
        """The recorded event with this id."""
        event = self._target(event_id)
        position = self._position_of(event.id)
        assert position is not None  # _target found it
        return Recorded(position, self._instants[self._stamps[position - 1]], event)

    def is_retracted(self, event_id: uuid.UUID | str, *, as_known_at: KnownAt = None) -> bool:
        """Whether the event was retracted (as known at the given point)."""
        event = self._target(event_id)
        timeline, _, _ = self._view(as_known_at)
        return event.id.int in timeline.retractions

    def learned(self, since: KnownAt = None, until: KnownAt = None) -> list[Recorded]:
        """The events recorded after ``since`` and up to ``until`` (instants or positions).

        ``until`` before ``since`` is refused: it is most likely the two given the wrong
        way round, whose answer would be an empty list that looks like a quiet spell."""
        with self._lock:
            start, first = self._position_at(since, "since") if since is not None else (0, None)
            end, last = (self._position_at(until, "until") if until is not None
                         else (self.position, None))
            if end < start or (first is not None and last is not None and last < first):
                raise FieldError("until", until, f"an instant or position not before since, {since!r}")
            return self._recorded(start, end)

    def impact(self, event_id: uuid.UUID | str) -> Impact:
        """Which answers recording this event changed, for which dates."""
        event = self._target(event_id)
        position = self._position_of(event.id)
        assert position is not None  # _target found it
        return compare(self._timeline_at(position - 1), self._timeline_at(position), [event])

    def verify(self) -> VerifyReport:
        """Re-read the store and check that no row was changed behind the library's back."""
        return self._store.verify()

    # -- tables and pictures (optional extras) -----------------------------------------------

    def memberships_frame(self, *, as_known_at: KnownAt = None) -> Any:
        """A pandas DataFrame with one row per stretch of membership (``pandas`` extra);
        see :func:`aes_membership.interop.frames.memberships_frame`."""
        from .interop.frames import memberships_frame

        return memberships_frame(self, as_known_at=as_known_at)

    def tenures_frame(self, *, as_known_at: KnownAt = None) -> Any:
        """A pandas DataFrame with one row per tenure of a post (``pandas`` extra)."""
        from .interop.frames import tenures_frame

        return tenures_frame(self, as_known_at=as_known_at)

    def chart(self, subject: str, out: str | os.PathLike[str] | None = None, *,
              as_known_at: KnownAt = None, until: _dt.date | str | None = None) -> Any:
        """A timeline chart of a bloc (its members, suspensions and leaders) or of a state
        (its blocs), as a matplotlib Figure, saved to ``out`` (PNG or SVG) when given
        (``plot`` extra); see :mod:`aes_membership.interop.charts`."""
        from .interop.charts import chart

        return chart(self, subject, out, as_known_at=as_known_at, until=until)


def _hashable(*values: object) -> bool:
    """Whether every value can be looked up (an unhashable id is refused as not text)."""
    try:
        hash(values)
    except TypeError:
        return False
    return True
