"""What recording an event changed: which answers differ, for which dates."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

import attrs
import pendulum

from .events import (
    BlocFounded,
    BlocRenamed,
    Event,
    EventRetracted,
    PersonRegistered,
    PersonRenamed,
    PostCreated,
    StateRegistered,
    StateRenamed,
)
from .timeline import Timeline, references

__all__ = ["Change", "Impact", "compare"]


@attrs.frozen
class Change:
    """Answers about ``subject`` differ over ``[start, end)`` (``end`` ``None``: from then on).

    ``subject`` is ``("membership", state, bloc)``, ``("post", post)`` (its holders) or
    ``("name", kind, id)`` (the name of a state, bloc or person, or a post's title, where a
    first name holds on every date before it too: its change starts on 0001-01-01).
    """

    subject: tuple[str, ...]
    start: pendulum.Date
    end: pendulum.Date | None


@attrs.frozen
class Impact:
    """Every range of dates whose answers a recording changed."""

    changes: tuple[Change, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.changes)

    @property
    def blocs(self) -> frozenset[str]:
        """Blocs whose membership answers changed."""
        return frozenset(c.subject[2] for c in self.changes if c.subject[0] == "membership")

    @property
    def posts(self) -> frozenset[str]:
        """Posts whose holder answers changed."""
        return frozenset(c.subject[1] for c in self.changes if c.subject[0] == "post")

    @property
    def names(self) -> frozenset[str]:
        """States, blocs, persons and posts whose name (or title) answers changed."""
        return frozenset(c.subject[2] for c in self.changes if c.subject[0] == "name")


def _ranges(
    points_a: Sequence[int], values_a: Sequence[Any], points_b: Sequence[int],
    values_b: Sequence[Any], empty: Any,
) -> list[tuple[int, int | None]]:
    boundaries = sorted(set(points_a) | set(points_b))
    found: list[tuple[int, int | None]] = []
    index_a = index_b = 0
    value_a = value_b = empty
    open_start: int | None = None
    for point in boundaries:
        while index_a < len(points_a) and points_a[index_a] <= point:
            value_a = values_a[index_a]
            index_a += 1
        while index_b < len(points_b) and points_b[index_b] <= point:
            value_b = values_b[index_b]
            index_b += 1
        differs = value_a != value_b
        if differs and open_start is None:
            open_start = point
        elif not differs and open_start is not None:
            found.append((open_start, point))
            open_start = None
    if open_start is not None:
        found.append((open_start, None))
    return found


# The events that give a subject its name (or a post its title), by the subject's kind.
_NAMING_EVENTS: Final[dict[type[Event], str]] = {
    StateRegistered: "state", StateRenamed: "state", PersonRegistered: "person",
    PersonRenamed: "person", BlocFounded: "bloc", BlocRenamed: "bloc", PostCreated: "post",
}
def _subjects(timeline: Timeline, event: Event) -> set[tuple[str, ...]]:
    if isinstance(event, EventRetracted):
        return set()
    subjects: set[tuple[str, ...]] = set()
    refs = dict(references(event))
    if "state" in refs and "bloc" in refs and not isinstance(event, PostCreated):
        subjects.add(("membership", refs["state"], refs["bloc"]))
    if "post" in refs:
        subjects.add(("post", refs["post"]))
    kind = _NAMING_EVENTS.get(type(event))
    if kind is not None:
        subjects.add(("name", kind, refs[kind]))
    if "bloc" in refs and "state" not in refs and "post" not in refs:
        bloc = refs["bloc"]
        for state, _ in timeline.memberships.column(bloc):
            subjects.add(("membership", state, bloc))
        for post in timeline.bloc_posts.get(bloc) or ():
            subjects.add(("post", post))
    return subjects


def compare(before: Timeline, after: Timeline, events: Iterable[Event]) -> Impact:
    """The answers that differ between ``before`` and ``after`` for what ``events`` touch."""
    subjects: set[tuple[str, ...]] = set()
    for event in events:
        subjects |= _subjects(after, event)
        subjects |= _subjects(before, event)
        if isinstance(event, EventRetracted):
            target = before.live.get(event.target.int)
            if target is not None:
                subjects |= _subjects(before, before.event_of(target))
    changes = []
    for subject in sorted(subjects):
        if subject[0] == "membership":
            key = (subject[1], subject[2])
            line_a = before.memberships.get(key)
            line_b = after.memberships.get(key)
            ranges = _ranges(
                line_a.points if line_a else (), line_a.codes if line_a else (),
                line_b.points if line_b else (), line_b.codes if line_b else (), 0,
            )
        elif subject[0] == "name":
            ranges = _ranges(*before.names(subject[1], subject[2]),
                             *after.names(subject[1], subject[2]), None)
        else:
            post_a = before.posts.get(subject[1])
            post_b = after.posts.get(subject[1])
            ranges = _ranges(
                post_a.points if post_a else (), post_a.holders if post_a else (),
                post_b.points if post_b else (), post_b.holders if post_b else (), (),
            )
        for start, end in ranges:
            changes.append(
                Change(
                    subject,
                    pendulum.Date.fromordinal(start),
                    pendulum.Date.fromordinal(end) if end is not None else None,
                )
            )
    return Impact(tuple(changes))
