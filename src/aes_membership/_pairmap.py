"""A persistent (copy-on-write) mapping keyed by pairs, held as one dict per first item.

The timeline keeps its membership lines here, keyed by (state, bloc): a point question then
takes two look-ups on strings whose hashes are cached, with no key tuple built, hashed or
compared, and it touches one dict per state rather than one spread over the whole history.
An update copies the outer dict (one reference per state) and the one inner dict it
touches (one per bloc the state has a line in): both are bounded by the number of states
and blocs, not by the length of the history.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping
from typing import Generic, TypeVar

__all__ = ["PairMap", "PairMapEvolver", "pairs_from_items"]

A = TypeVar("A", bound=Hashable)
B = TypeVar("B", bound=Hashable)
V = TypeVar("V")


class PairMap(Mapping[tuple[A, B], V], Generic[A, B, V]):
    """An immutable mapping of ``(first, second)`` keys whose updates share structure."""

    __slots__ = ("_len", "_rows")

    def __init__(self, rows: dict[A, dict[B, V]] | None = None, length: int = 0) -> None:
        # Never changed once made.
        self._rows: dict[A, dict[B, V]] = rows if rows is not None else {}
        self._len = length

    @property
    def rows(self) -> Mapping[A, Mapping[B, V]]:
        """The values by first item, then by second: read-only, for the hottest look-ups."""
        return self._rows

    def __getitem__(self, key: tuple[A, B]) -> V:
        first, second = key
        return self._rows[first][second]

    def get(self, key: tuple[A, B], default: V | None = None) -> V | None:  # type: ignore[override]
        first, second = key
        row = self._rows.get(first)
        return row.get(second, default) if row is not None else default

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, tuple) or len(key) != 2:
            return False
        row = self._rows.get(key[0])
        return row is not None and key[1] in row

    def __iter__(self) -> Iterator[tuple[A, B]]:
        for first, row in self._rows.items():
            for second in row:
                yield first, second

    def __len__(self) -> int:
        return self._len

    def evolver(self) -> PairMapEvolver[A, B, V]:
        """A mutable draft; ``persistent()`` turns it into a new PairMap."""
        return PairMapEvolver(self)


def pairs_from_items(items: Iterable[tuple[tuple[A, B], V]]) -> PairMap[A, B, V]:
    """A PairMap of ``items`` (a later duplicate key wins)."""
    rows: dict[A, dict[B, V]] = {}
    for (first, second), value in items:
        row = rows.get(first)
        if row is None:
            row = rows[first] = {}
        row[second] = value
    return PairMap(rows, sum(map(len, rows.values())))


class PairMapEvolver(Generic[A, B, V]):
    """Collects updates to a :class:`PairMap`, copying the outer dict and each touched row
    once. Nothing is copied until the first write. There is no delete: a membership line,
    once made, stays (a line whose events are all retracted is an empty line)."""

    __slots__ = ("_base", "_copied", "_len", "_rows")

    def __init__(self, base: PairMap[A, B, V]) -> None:
        self._base = base
        self._rows: dict[A, dict[B, V]] | None = None
        self._copied: set[A] = set()  # first items whose row this draft owns
        self._len = base._len

    def _read(self) -> dict[A, dict[B, V]]:
        return self._rows if self._rows is not None else self._base._rows

    def __getitem__(self, key: tuple[A, B]) -> V:
        first, second = key
        return self._read()[first][second]

    def get(self, key: tuple[A, B], default: V | None = None) -> V | None:
        first, second = key
        row = self._read().get(first)
        return row.get(second, default) if row is not None else default

    def __contains__(self, key: tuple[A, B]) -> bool:
        first, second = key
        row = self._read().get(first)
        return row is not None and second in row

    def _own_row(self, first: A) -> dict[B, V]:
        rows = self._rows
        if rows is None:
            rows = self._rows = dict(self._base._rows)
        if first in self._copied:
            return rows[first]
        shared = rows.get(first)
        row = rows[first] = dict(shared) if shared is not None else {}
        self._copied.add(first)
        return row

    def __setitem__(self, key: tuple[A, B], value: V) -> None:
        first, second = key
        row = self._own_row(first)
        size = len(row)
        row[second] = value
        self._len += len(row) - size

    def persistent(self) -> PairMap[A, B, V]:
        if self._rows is None:
            return self._base
        self._base = PairMap(self._rows, self._len)
        self._rows = None  # the evolver may go on from the new map, copying afresh
        self._copied = set()
        return self._base
