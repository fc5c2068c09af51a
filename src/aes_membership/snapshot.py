"""A snapshot: the answers for one valid date, as known at one point of the log.

Snapshots are immutable: the timeline they read is never changed by later recording, so a
snapshot kept in a notebook keeps giving the same answers. What a snapshot keeps to answer
faster (a bloc's members on its date) is read from that timeline, and changes no answer.
Its :attr:`Snapshot.basis` says exactly which question it answers, so the question can be
asked again later.
"""

from __future__ import annotations

import bisect
import html
from collections.abc import Mapping
from typing import Any, Final, NoReturn, SupportsIndex

import attrs
import pendulum

from ._pairmap import PART_MASK, Row
from .errors import shown, unknown_id
from .timeline import (
    CODE_KINDS,
    SUBJECT_KINDS,
    SUSPENDED,
    MembershipLine,
    Timeline,
    check_subject_kind,
)
from .truth import Truth

__all__ = ["Basis", "Membership", "Snapshot", "SnapshotDiff"]

# Questions per bloc of its timeline a snapshot answers from the pairs' lines before it keeps
# the members of the blocs it is asked about: computing one bloc's from its member index
# costs about five questions, and a bloc asked about once is not worth it.
_KEEP_AFTER: Final = 16
# Building a bloc's member index costs about this many questions per membership line in it
# (3.8 µs per line against 0.9 µs per question, at a million events).
_INDEX_COST: Final = 4


def _answered_before_keeping(timeline: Timeline) -> int:
    """Questions a snapshot of ``timeline`` answers from lines before it keeps members."""
    return _KEEP_AFTER * max(1, len(timeline.lined_blocs))


@attrs.frozen
class Basis:
    """What a snapshot answers: valid date ``on``, seeing the log up to ``position``.

    ``recorded_at`` is the instant of the last event seen (``None`` for an empty log);
    ``as_known_at`` is the instant asked for, when the question was asked by instant.
    """

    on: pendulum.Date
    position: int
    recorded_at: pendulum.DateTime | None
    as_known_at: pendulum.DateTime | None = None


@attrs.frozen
class Membership:
    """One state's membership of one bloc on the snapshot's date."""

    state: str
    bloc: str
    kind: str
    suspended: bool


@attrs.frozen
class SnapshotDiff:
    """What changed between two snapshots (on either time axis)."""

    joined: frozenset[tuple[str, str]]
    left: frozenset[tuple[str, str]]
    suspended: frozenset[tuple[str, str]]
    reinstated: frozenset[tuple[str, str]]
    kind_changed: frozenset[tuple[str, str]]
    holders_changed: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]

    def __bool__(self) -> bool:
        return bool(
            self.joined
            or self.left
            or self.suspended
            or self.reinstated
            or self.kind_changed
            or self.holders_changed
        )


@attrs.frozen(repr=False)
class Snapshot:
    """Who belonged to which bloc, and who held which post, on one date."""

    timeline: Timeline = attrs.field(eq=False)
    basis: Basis
    _day: int = attrs.field(
        init=False, eq=False, repr=False,
        default=attrs.Factory(lambda self: self.basis.on.toordinal(), takes_self=True),
    )
    # The membership lines by state, then bloc (a long row split in PARTS dicts by the
    # bloc's hash): is_member reads them without a method call.
    _lines_by_state: Mapping[str, Row[str, MembershipLine]] = attrs.field(
        init=False, eq=False, repr=False,
        default=attrs.Factory(lambda self: self.timeline.memberships.rows, takes_self=True),
    )
    # What is_member needs to tell a known pair without a line from an unknown id.
    _states: frozenset[str] = attrs.field(
        init=False, eq=False, repr=False,
        default=attrs.Factory(lambda self: self.timeline.known("state"), takes_self=True),
    )
    _blocs: frozenset[str] = attrs.field(
        init=False, eq=False, repr=False,
        default=attrs.Factory(lambda self: self.timeline.known("bloc"), takes_self=True),
    )
    # Each bloc's members on this date (state -> code), kept once computed: by members() or
    # suspended(), and by is_member once the snapshot has answered enough questions.
    _kept: dict[str, dict[str, int]] = attrs.field(init=False, eq=False, repr=False, factory=dict)
    # [questions is_member answers from lines before it keeps members, 1 once it may build a
    # bloc's member index for that]: a list, as the snapshot is frozen and this is hot. Not
    # locked: threads sharing a snapshot may lose a count, which moves when it starts keeping
    # members, never what it answers.
    _keeping: list[int] = attrs.field(
        init=False, eq=False, repr=False,
        default=attrs.Factory(
            lambda self: [_answered_before_keeping(self.timeline), 0],
            takes_self=True),
    )

    @property
    def on(self) -> pendulum.Date:
        """The valid date the snapshot answers for."""
        return self.basis.on

    # -- membership -----------------------------------------------------------------------

    def _line(self, state: str, bloc: str) -> MembershipLine | None:
        try:
            line = self.timeline.memberships.get((state, bloc))
        except TypeError:  # an unhashable id: refused as not text, by name
            self._refuse_ids_not_text(("state", state), ("bloc", bloc))
            raise
        if line is None:
            self.timeline.require("state", state)
            self.timeline.require("bloc", bloc)
        return line

    @staticmethod
    def _refuse_ids_not_text(*named: tuple[str, object]) -> None:
        """Raise :class:`FieldError` for the first of ``named`` (kind, value) that is not text."""
        for kind, value in named:
            if not isinstance(value, str):
                raise unknown_id(kind, value, ()) from None

    def is_member(self, state: str, bloc: str) -> bool:
        """Whether ``state`` belongs to ``bloc`` on this date (suspended members included).

        A snapshot answers its first questions from the pair's own line. Once it has
        answered 16 per bloc of its timeline, it keeps the members on its date of each bloc
        it is then asked about, and answers from them: a look-up in a small dict, as quick
        in a long history as in a short one. Keeping a bloc's members reads its member
        index; if that is not built yet, the snapshot first answers as many more questions
        from lines as building every index would cost (four per membership line), then
        builds those it needs, kept for every later snapshot of the timeline too.
        """
        try:
            keeping = self._keeping
            if keeping[0] > 0:
                keeping[0] -= 1
            else:
                kept = self._kept.get(bloc)
                if kept is None:
                    kept = self._keep(bloc)
                if kept is not None:
                    if state in kept:
                        return True
                    if state not in self._states:
                        self._line(state, bloc)  # an unknown id raises, with suggestions
                    return False
            lines = self._lines_by_state.get(state)
            if lines is None:
                line = None
            elif lines.__class__ is dict:
                line = lines.get(bloc)
            else:
                line = lines[hash(bloc) & PART_MASK].get(bloc)  # type: ignore[index, union-attr]  # (split)
            if line is None:
                if state not in self._states or bloc not in self._blocs:
                    self._line(state, bloc)  # unknown ids raise, with suggestions
                return False
            index = bisect.bisect_right(line.points, self._day)
            return index > 0 and line.codes[index - 1] > 0
        except TypeError:  # an unhashable id: refused as not text, by name
            self._refuse_ids_not_text(("state", state), ("bloc", bloc))
            raise

    def _keep(self, bloc: str) -> dict[str, int] | None:
        """The bloc's members on this date, now kept; ``None`` to answer from lines for now."""
        if bloc not in self._blocs:
            return None  # the line path refuses it, with suggestions
        timeline = self.timeline
        keeping = self._keeping
        if (not keeping[1] and bloc in timeline.lined_blocs
                and timeline.bloc_indexes.built(bloc) is None):
            keeping[1] = 1
            # Answered from lines so far: this question and those before it.
            asked = _answered_before_keeping(timeline) + 1
            wait = _INDEX_COST * len(timeline.memberships) - asked
            if wait >= 0:
                keeping[0] = wait
                return None
        return self._codes(bloc)

    def _code(self, state: str, bloc: str) -> int:
        """The pair's membership code on this date (0 for none), from kept members if any."""
        try:
            kept = self._kept.get(bloc)
            if kept is not None and state in self._states:
                return kept.get(state, 0)
        except TypeError:  # an unhashable id: refused as not text, by name
            self._refuse_ids_not_text(("state", state), ("bloc", bloc))
            raise
        line = self._line(state, bloc)  # unknown ids raise, with suggestions
        return line.code_on(self._day) if line is not None else 0

    def is_suspended(self, state: str, bloc: str) -> bool:
        """Whether ``state`` is a suspended member of ``bloc`` on this date."""
        return bool(self._code(state, bloc) & SUSPENDED)

    def kind(self, state: str, bloc: str) -> str | None:
        """The kind of membership (full, associate, observer), or ``None`` if not a member."""
        code = self._code(state, bloc)
        return CODE_KINDS[code & ~SUSPENDED] if code else None

    def _codes(self, bloc: str) -> dict[str, int]:
        """The bloc's members on this date (never changed: callers only read it), kept."""
        try:
            codes = self._kept.get(bloc)
        except TypeError:  # an unhashable id: refused as not text, by name
            self._refuse_ids_not_text(("bloc", bloc))
            raise
        if codes is None:
            timeline = self.timeline
            if bloc in timeline.lined_blocs:
                codes = timeline.bloc_index(bloc).codes_on(self._day)
            else:
                timeline.require("bloc", bloc)
                codes = {}
            self._kept[bloc] = codes
        return codes

    def members(self, bloc: str) -> frozenset[str]:
        """The bloc's members on this date, suspended ones included.

        A partial date counts from its first day (the documented boolean rule); see
        :meth:`members_certain` and :meth:`members_possible` for the honest bounds.
        """
        return frozenset(self._codes(bloc))

    def suspended(self, bloc: str) -> frozenset[str]:
        """The bloc's suspended members on this date."""
        return frozenset(state for state, code in self._codes(bloc).items() if code & SUSPENDED)

    def blocs_of(self, state: str) -> frozenset[str]:
        """The blocs ``state`` belongs to on this date."""
        self.timeline.require("state", state)
        day = self._day
        return frozenset(
            bloc for bloc, line in self.timeline.memberships.row_items(state) if line.code_on(day)
        )

    def blocs(self) -> frozenset[str]:
        """The blocs that exist on this date (founded, not yet dissolved)."""
        day = self._day
        return frozenset(
            bloc
            for bloc in self.timeline.ids.get("bloc") or ()
            if self.timeline.alive_on("bloc", bloc, day)
        )

    def memberships(self) -> tuple[Membership, ...]:
        """Every membership in force on this date, sorted by bloc then state."""
        day = self._day
        timeline = self.timeline
        found = []
        for bloc in sorted(timeline.lined_blocs):
            codes = timeline.bloc_index(bloc).codes_on(day)
            for state in sorted(codes):
                code = codes[state]
                found.append(
                    Membership(state, bloc, CODE_KINDS[code & ~SUSPENDED], bool(code & SUSPENDED))
                )
        return tuple(found)

    # -- three-valued answers -------------------------------------------------------------

    def truth_member(self, state: str, bloc: str) -> Truth:
        """YES, NO or UNKNOWN: whether ``state`` belongs to ``bloc``, honest about partial dates.

        UNKNOWN when the date falls inside the span of a partial start or end date and the
        answer depends on which day it stands for.
        """
        line = self._line(state, bloc)
        if line is None:
            return Truth.NO
        day = self._day
        certain = possible = False
        for spell in self.timeline.spells_of(line, bloc):
            start_lo, start_hi = spell.start_span
            end_lo, end_hi = spell.end_span if spell.end_span else (1 << 40, 1 << 40)
            if start_hi <= day < end_lo:
                certain = True
            if start_lo <= day < end_hi:
                possible = True
        return Truth.of(certain, possible)

    def members_certain(self, bloc: str) -> frozenset[str]:
        """Members for sure on this date, whatever day each partial date stands for."""
        self.timeline.require("bloc", bloc)
        return frozenset(
            s for s, _ in self.timeline.memberships.column(bloc) if self.truth_member(s, bloc).certain
        )

    def members_possible(self, bloc: str) -> frozenset[str]:
        """States that may be members on this date (certain ones included)."""
        self.timeline.require("bloc", bloc)
        return frozenset(
            s
            for s, _ in self.timeline.memberships.column(bloc)
            if self.truth_member(s, bloc).possible
        )

    def truth_holds(self, post: str, person: str) -> Truth:
        """YES, NO or UNKNOWN: whether ``person`` holds ``post`` on this date."""
        self.timeline.require("post", post)
        self.timeline.require("person", person)
        line = self.timeline.posts.get(post)
        if line is None:
            return Truth.NO
        day = self._day
        certain = possible = False
        for tenure, (start_span, end_span) in zip(line.tenures, line.tenure_spans, strict=True):
            if tenure.person != person:
                continue
            end_lo, end_hi = end_span if end_span else (1 << 40, 1 << 40)
            if start_span[1] <= day < end_lo:
                certain = True
            if start_span[0] <= day < end_hi:
                possible = True
        return Truth.of(certain, possible)

    # -- posts ----------------------------------------------------------------------------

    def holders(self, post: str) -> tuple[str, ...]:
        """Everyone holding a seat of ``post`` on this date, sorted."""
        try:
            line = self.timeline.posts.get(post)
        except TypeError:  # an unhashable id: refused as not text, by name
            self._refuse_ids_not_text(("post", post))
            raise
        if line is None:
            self.timeline.require("post", post)
            return ()
        return line.holders_on(self._day)

    def holder(self, post: str) -> str | None:
        """The holder of ``post`` on this date, or ``None`` when vacant.

        For a post with several seats use :meth:`holders`.
        """
        holders = self.holders(post)
        return holders[0] if holders else None

    def posts_of(self, person: str) -> frozenset[str]:
        """The posts ``person`` holds on this date."""
        self.timeline.require("person", person)
        day = self._day
        return frozenset(
            post
            for post in self.timeline.person_posts.get(person) or ()
            if person in self.timeline.posts[post].holders_on(day)
        )

    def posts(self, bloc: str | None = None) -> frozenset[str]:
        """Posts that exist on this date (of ``bloc`` only, when given)."""
        if bloc is not None:
            self.timeline.require("bloc", bloc)
        day = self._day
        candidates = (
            self.timeline.bloc_posts.get(bloc) or ()
            if bloc is not None
            else self.timeline.ids.get("post") or ()
        )
        return frozenset(p for p in candidates if self.timeline.alive_on("post", p, day))

    # -- names ----------------------------------------------------------------------------

    def name(self, ident: str, kind: str | None = None) -> str:
        """The name in force on this date of a state, bloc, person or post (its title)."""
        if kind is not None:
            check_subject_kind(kind)
        kinds = (kind,) if kind is not None else SUBJECT_KINDS
        if not isinstance(ident, str):
            raise self.timeline.unknown(ident, kinds, kind or "id")
        for candidate in kinds:
            if self.timeline.exists(candidate, ident):
                found = self.timeline.name_on(candidate, ident, self._day)
                if found is not None:
                    return found
        raise self.timeline.unknown(ident, kinds, kind or "id")

    # -- comparing ------------------------------------------------------------------------

    def diff(self, other: Snapshot) -> SnapshotDiff:
        """What changed from this snapshot to ``other`` (joins, exits, suspensions, holders)."""
        if not isinstance(other, Snapshot):
            raise TypeError(f"diff() takes a Snapshot, got {type(other).__name__} {shown(other)}")
        before = {(m.state, m.bloc): m for m in self.memberships()}
        after = {(m.state, m.bloc): m for m in other.memberships()}
        common = before.keys() & after.keys()
        posts = (self.timeline.ids.get("post") or frozenset()) | (
            other.timeline.ids.get("post") or frozenset()
        )
        changes = []
        for post in sorted(posts):
            was = _holders_or_empty(self, post)
            now = _holders_or_empty(other, post)
            if was != now:
                changes.append((post, was, now))
        return SnapshotDiff(
            joined=frozenset(after.keys() - before.keys()),
            left=frozenset(before.keys() - after.keys()),
            suspended=frozenset(k for k in common if after[k].suspended and not before[k].suspended),
            reinstated=frozenset(
                k for k in common if before[k].suspended and not after[k].suspended
            ),
            kind_changed=frozenset(k for k in common if before[k].kind != after[k].kind),
            holders_changed=tuple(changes),
        )

    # -- display --------------------------------------------------------------------------

    def __repr__(self) -> str:
        known = f", as_known_at={self.basis.as_known_at}" if self.basis.as_known_at else ""
        return f"<Snapshot on={self.basis.on} position={self.basis.position}{known}>"

    # A snapshot never changes what it answers: a copy of it is itself.
    def __copy__(self) -> Snapshot:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Snapshot:
        return self

    def __reduce_ex__(self, protocol: SupportsIndex) -> NoReturn:
        # Pickled, it would carry its registry's whole timeline (a worker process's task,
        # snap.members sent to a pool, would ship every event), and its locks refuse anyway.
        raise TypeError(
            "a Snapshot cannot be pickled: it reads its registry's whole timeline. Send its "
            "answers (memberships(), to_frame()), or its basis, and ask a registry opened in "
            "the other process: Registry.open(target).snapshot(basis.on, "
            f"as_known_at=basis.position), here on={str(self.basis.on)!r}, "
            f"as_known_at={self.basis.position}")

    def to_frame(self) -> Any:
        """The memberships in force on this date as a pandas DataFrame (``pandas`` extra)."""
        from .interop.frames import snapshot_frame

        return snapshot_frame(self)

    def _repr_html_(self) -> str:
        rows = []
        for m in self.memberships():
            status = "suspended" if m.suspended else ""
            rows.append(
                f"<tr><td>{html.escape(m.bloc)}</td><td>{html.escape(m.state)}</td>"
                f"<td>{html.escape(m.kind)}</td><td>{status}</td></tr>"
            )
        return (
            f"<p>Memberships on {self.basis.on} (log position {self.basis.position})</p>"
            "<table><thead><tr><th>bloc</th><th>state</th><th>kind</th><th></th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )


def _holders_or_empty(snapshot: Snapshot, post: str) -> tuple[str, ...]:
    line = snapshot.timeline.posts.get(post)
    return line.holders_on(snapshot.basis.on.toordinal()) if line is not None else ()
