"""The registry's events by log position, as a sequence that only grows.

Opened from a checkpoint, the events are built in the order the checkpoint wrote them (the
timeline's, so that building its indexes walks memory in order), not in log order. Putting
them in log order means touching every event once more, in an order that jumps all over
memory — 0.2–0.35 s at a million events, spent before the first answer for a list
that most sessions index a few times. So the log keeps the written order and where each
position's event sits in it, and looks an event up through that when asked.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from typing import overload

from .events import Event

__all__ = ["EventLog"]


class EventLog(Sequence[Event]):
    """Events by position (0-based here; log positions start at 1): ``held[order[n]]`` for the
    first ``len(order)``, then the events added since.

    Every place in ``order`` must be one of ``held``'s: the checkpoint reader checks that.
    """

    __slots__ = ("_held", "_order", "_since")

    def __init__(self, held: Sequence[Event] = (), order: array[int] | None = None) -> None:
        # Without an order, the events held are in log order.
        self._order: array[int] = order if order is not None else array("Q", range(len(held)))
        self._held = held
        self._since: list[Event] = []

    def __len__(self) -> int:
        return len(self._order) + len(self._since)

    @overload
    def __getitem__(self, index: int) -> Event: ...

    @overload
    def __getitem__(self, index: slice) -> list[Event]: ...

    def __getitem__(self, index: int | slice) -> Event | list[Event]:
        held = len(self._order)
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return [self[n] for n in range(start, stop, step)]
            found = list(map(self._held.__getitem__, self._order[start:min(stop, held)]))
            found += self._since[max(start - held, 0) : max(stop - held, 0)]
            return found
        at = index + len(self) if index < 0 else index
        if not 0 <= at < len(self):
            raise IndexError(f"event log index {index} out of range for {len(self)} events")
        if at < held:
            return self._held[self._order[at]]
        return self._since[at - held]

    def __iter__(self) -> Iterator[Event]:
        return chain(map(self._held.__getitem__, self._order), self._since)

    def extend(self, events: Iterable[Event]) -> None:
        """Add ``events`` after the last."""
        self._since.extend(events)
