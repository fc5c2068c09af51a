"""The events of a log by position, shared by the timelines that grow from one another.

A timeline's entries name their events by log position and look them up here. Opened from
a checkpoint, the log does not build its events: it keeps the checkpoint's columns and builds
an event when it is first asked for, then keeps it. Most sessions ask for few — a point
question reads the lines' steps, never their events — and built all at once, a million
events cost over a second before the first answer.

The log only grows, and a timeline reads no position after its own last, so the timelines of
one history share one log. A batch goes at the end of the log before it is applied, and is
taken away again if it is refused; a batch applied to a timeline that is not the log's last
(another batch was applied to it before) gets a copy of the log up to that timeline, which
shares the events built so far and the columns of the others.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from .events import Event

__all__ = ["EventColumns", "EventLog", "EventSource"]

# Asked for more events than this that are not built yet, the log builds all it has (in
# columns, a field at a time): one by one, each costs a few times as much.
_BUILD_ALL_ABOVE = 4096


# Events as a checkpoint writes them: each one's id (as an int) and class index, in log order,
# and per class a list per field, in log order.
EventColumns = tuple[list[int], bytes, list[tuple[list[Any], ...]]]


class EventSource(Protocol):
    """Events not built yet, by index from 0 (a checkpoint's columns)."""

    def __len__(self) -> int: ...

    def columns(self, count: int) -> EventColumns | None:
        """The first ``count`` events as columns, none built; ``None`` if they are gone."""

    def event(self, index: int) -> Event:
        """A new event: the one at ``index``."""

    def fill(self, built: list[Event | None], *, release: bool) -> None:
        """Put every event ``built`` does not hold yet (``None`` there) at index + 1, new;
        ``release``: let go of what it was built from as it goes (no other log shares it)."""


class EventLog:
    """Events by log position (from 1): built on first use where a ``source`` holds them."""

    __slots__ = ("_built", "_lock", "_prefix", "_shared", "_source")

    def __init__(self, source: EventSource | None = None) -> None:
        # Slot 0 is no position: a position indexes the list as it is.
        self._built: list[Event | None] = [None] * (len(source) + 1 if source else 1)
        self._source = source if source else None
        # The first positions whose events are the source's (built or not); every later one
        # is built. A copy or a truncation shortens it: what comes after is another event.
        self._prefix = len(source) if source else 0
        self._shared = False  # whether another log (a copy) builds from the same source
        # Two threads building the same event would make two objects of it, and timelines
        # tell events apart by identity.
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._built) - 1

    def __repr__(self) -> str:
        return f"<EventLog events={len(self)} unbuilt={self.unbuilt}>"

    @property
    def unbuilt(self) -> int:
        """How many of the events are not built yet."""
        return self._built.count(None) - 1 if self._source is not None else 0

    def at(self, position: int) -> Event:
        """The event at ``position``."""
        try:
            event = self._built[position] if position > 0 else None
        except IndexError:
            event = None  # (the error is _build's, which names the log's length)
        return event if event is not None else self._build(position)

    def getter(self) -> Callable[[int], Event]:
        """:meth:`at`, as fast as it can be: the list's own look-up once every event is built."""
        if self._source is None:
            return self._built.__getitem__  # type: ignore[return-value]  # (none is None)
        return self.at

    def span(self, after: int, until: int) -> list[Event]:
        """The events at positions ``after + 1`` to ``until``."""
        if not 0 <= after <= until <= len(self):
            raise IndexError(f"positions {after + 1}–{until} are not all among the log's "
                             f"{len(self)}")
        found = self._built[after + 1 : until + 1]
        if self._source is not None:
            missing = found.count(None)
            if missing > _BUILD_ALL_ABOVE:
                self._build_all()
                found = self._built[after + 1 : until + 1]
            elif missing:
                found = [self.at(n) for n in range(after + 1, until + 1)]
        return found  # type: ignore[return-value]  # (none is None now)

    def extend(self, events: Iterable[Event]) -> None:
        """Add ``events`` after the last."""
        self._built.extend(events)

    def truncate(self, length: int) -> None:
        """Forget the events after position ``length`` (a batch that was not recorded)."""
        del self._built[length + 1 :]
        self._prefix = min(self._prefix, length)

    def columns(self, until: int) -> tuple[EventColumns | None, list[Event]]:
        """The events up to position ``until``, building none: the columns of the first ones
        where the source holds them (``None`` when it holds none), and the later ones, built.

        A checkpoint of a log opened from a checkpoint writes its columns again, rather
        than build a million events only to take them apart.
        """
        if not 0 <= until <= len(self):
            raise IndexError(f"position {until} is not among the log's {len(self)}")
        with self._lock:  # (building them all lets go of the source's columns)
            head = None
            prefix = min(self._prefix, until) if self._source is not None else 0
            if prefix:
                head = self._source.columns(prefix)  # type: ignore[union-attr]
                if head is None:
                    prefix = 0
        return head, self.span(prefix, until)

    def ready_for(self, position: int) -> EventLog:
        """A log whose next event goes at ``position``: this one if it ends just before,
        else a copy of its first ``position - 1`` events."""
        if position == len(self._built):
            return self
        if not 0 < position <= len(self._built):
            raise ValueError(f"the next event goes at position {len(self._built)}, "
                             f"not {position}")
        copy = EventLog()
        with self._lock:  # (not while all are being built: the source may be let go of)
            copy._built = self._built[:position]
            if self._source is not None and position > 1:
                # Each builds its own events from the source, which neither may then let go of.
                copy._source = self._source
                copy._prefix = min(self._prefix, position - 1)
                copy._shared = self._shared = True
        return copy

    def _build(self, position: int) -> Event:
        if not 0 < position <= len(self):
            raise IndexError(f"position {position} is not among the log's {len(self)}")
        with self._lock:
            event = self._built[position]
            if event is None:
                assert self._source is not None  # (only a source's events are not built)
                event = self._built[position] = self._source.event(position - 1)
        return event

    def _build_all(self) -> None:
        with self._lock:
            source = self._source
            if source is None:
                return
            # Those built already stay: a timeline may hold them.
            source.fill(self._built, release=not self._shared)
            self._source = None
