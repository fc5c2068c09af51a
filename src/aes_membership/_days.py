"""Day ordinals shared: one ``int`` per calendar day, found by the day's ordinal.

A large batch names tens of thousands of dates in no order. Looking a day's shared value
up in a dict keyed by the date compares the key found with the one asked (another object,
somewhere else in memory) and misses the caches several times per event at a million
events. Here a day's ``int`` sits at a place worked out from its ordinal: two list
indexings. The ints are made 512 consecutive days at a time, in C (a few microseconds), so
days close in time also sit close in memory.
"""

from __future__ import annotations

from typing import Final

import pendulum

__all__ = ["CHUNK_BITS", "CHUNK_MASK", "SharedDays"]

CHUNK_BITS: Final = 9
CHUNK_DAYS: Final = 1 << CHUNK_BITS
CHUNK_MASK: Final = CHUNK_DAYS - 1
_LAST_ORDINAL: Final = pendulum.Date.max.toordinal()
# At most this many runs of days are kept (about 700 years); past it the table starts afresh.
_MOST_CHUNKS: Final = 512


class SharedDays:
    """One ``int`` for every day ordinal, made a run of 512 days at a time and kept.

    Hot loops index ``chunks`` themselves: ``(days.chunks[o >> CHUNK_BITS] or
    days.chunk(o))[o & CHUNK_MASK]``, for an ``o`` that ``date.toordinal()`` gave; ``chunks``
    is one list for the table's life, which such a loop may hold.
    """

    __slots__ = ("_made", "chunks")

    def __init__(self) -> None:
        self._made = 0
        self.chunks: list[list[int] | None] = [None] * ((_LAST_ORDINAL >> CHUNK_BITS) + 1)

    def chunk(self, ordinal: int) -> list[int]:
        """The run of days holding ``ordinal``, made now if it is not kept."""
        if not 1 <= ordinal <= _LAST_ORDINAL:
            raise ValueError(f"day ordinal {ordinal} is not one of a calendar day (1–{_LAST_ORDINAL})")
        place = ordinal >> CHUNK_BITS
        found = self.chunks[place]
        if found is not None:
            return found
        if self._made >= _MOST_CHUNKS:  # emptied in place: hot loops hold the list
            self.chunks[:] = [None] * len(self.chunks)
            self._made = 0
        first = place << CHUNK_BITS
        made = self.chunks[place] = list(range(first, first + CHUNK_DAYS))
        self._made += 1
        return made

    def __getitem__(self, ordinal: int) -> int:
        chunk = self.chunks[ordinal >> CHUNK_BITS] if 1 <= ordinal <= _LAST_ORDINAL else None
        return (chunk or self.chunk(ordinal))[ordinal & CHUNK_MASK]
