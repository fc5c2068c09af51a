"""A persistent (copy-on-write) mapping keyed by pairs, held as one row per first item.

The timeline keeps its membership lines here, keyed by (state, bloc): a point question then
takes two look-ups on strings whose hashes are cached, with no key tuple built, hashed or
compared, and it touches one row per state rather than a dict spread over the whole history.
The rows' keys are also the timeline's index of the blocs each state has a line with, and a
bloc's lines are found by a look-up in each row (:meth:`PairMap.column`): states are a few
hundred, and an index by bloc would be one more map to copy at every insert of a new line.

An update copies the outer dict (one reference per state) and the row it touches. A row is
one dict (bloc -> line) until it holds more than :data:`SPLIT_AT` lines; then it is 16
dicts, by the low bits of the blocs' hashes, and an update copies the 16 references and
the one dict it writes to. At a million events a state has lines with about 750 blocs:
copying them all, and the young collection's walk over the copy, cost a retroactive insert
by an existing state more than half again the insert's own work.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping
from typing import Generic, TypeAlias, TypeVar

__all__ = ["PARTS", "PART_MASK", "SPLIT_AT", "PairMap", "PairMapEvolver", "pairs_from_items"]

A = TypeVar("A", bound=Hashable)
B = TypeVar("B", bound=Hashable)
V = TypeVar("V")

# Lines past which a row is split (when a draft that wrote to it is made persistent).
SPLIT_AT = 128
# The dicts of a split row; a second item's part is ``hash(second) & PART_MASK``.
PARTS = 16
PART_MASK = PARTS - 1

# A row: one dict, or the PARTS dicts of a split row.
Row: TypeAlias = "dict[B, V] | tuple[dict[B, V], ...]"
# A row a draft has copied: a split row as a list, each part copied when first written.
_DraftRow: TypeAlias = "dict[B, V] | list[dict[B, V]]"


def _split(row: dict[B, V]) -> tuple[dict[B, V], ...]:
    """The PARTS dicts of a split row holding ``row``'s items."""
    parts: tuple[dict[B, V], ...] = tuple({} for _ in range(PARTS))
    for second, value in row.items():
        parts[hash(second) & PART_MASK][second] = value
    return parts


def _part(row: Row[B, V] | list[dict[B, V]], second: B) -> dict[B, V]:
    """The dict of ``row`` that holds ``second`` if anything does."""
    if row.__class__ is dict:
        return row
    return row[hash(second) & PART_MASK]  # type: ignore[index, return-value]  # (a split row)


def _column(rows: Mapping[A, Row[B, V] | list[dict[B, V]]], second: B) -> list[tuple[A, V]]:
    # _part, inlined with the part picked once: a call for each of a few hundred rows.
    part = hash(second) & PART_MASK
    found: list[tuple[A, V]] = []
    for first, row in rows.items():
        held: dict[B, V] = row if row.__class__ is dict else row[part]  # type: ignore[assignment, index]  # (split)
        if second in held:
            found.append((first, held[second]))
    return found


def _row_items(row: Row[B, V] | list[dict[B, V]]) -> Iterator[tuple[B, V]]:
    if isinstance(row, dict):
        yield from row.items()
    else:
        for part in row:
            yield from part.items()


class PairMap(Mapping[tuple[A, B], V], Generic[A, B, V]):
    """An immutable mapping of ``(first, second)`` keys whose updates share structure."""

    __slots__ = ("_len", "_rows")

    def __init__(self, rows: dict[A, Row[B, V]] | None = None, length: int = 0) -> None:
        # Never changed once made.
        self._rows: dict[A, Row[B, V]] = rows if rows is not None else {}
        self._len = length

    @property
    def rows(self) -> Mapping[A, Row[B, V]]:
        """The rows by first item, read-only, for the hottest look-ups: a row is a dict by
        second item, or (when split) a tuple of :data:`PARTS` dicts, the one holding
        ``second`` being ``row[hash(second) & PART_MASK]``."""
        return self._rows

    def __getitem__(self, key: tuple[A, B]) -> V:
        # (_part inlined: indexes are built by a look-up per line)
        first, second = key
        row = self._rows[first]
        if row.__class__ is dict:
            return row[second]
        return row[hash(second) & PART_MASK][second]  # type: ignore[index]  # (split)

    def get(self, key: tuple[A, B], default: V | None = None) -> V | None:  # type: ignore[override]
        first, second = key
        row = self._rows.get(first)
        if row is None:
            return default
        if row.__class__ is dict:
            return row.get(second, default)
        return row[hash(second) & PART_MASK].get(second, default)  # type: ignore[index, union-attr]  # (split)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, tuple) or len(key) != 2:
            return False
        row = self._rows.get(key[0])
        return row is not None and key[1] in _part(row, key[1])

    def __iter__(self) -> Iterator[tuple[A, B]]:
        for first, row in self._rows.items():
            for second, _ in _row_items(row):
                yield first, second

    def __len__(self) -> int:
        return self._len

    def row_items(self, first: A) -> Iterator[tuple[B, V]]:
        """The ``(second, value)`` items under ``first`` (none if it has no row)."""
        row = self._rows.get(first)
        return _row_items(row) if row is not None else iter(())

    def column(self, second: B) -> list[tuple[A, V]]:
        """The ``(first, value)`` items whose second item is ``second``, in row order: a
        look-up in every row (a bloc's lines are looked for among the states' rows)."""
        return _column(self._rows, second)

    def evolver(self) -> PairMapEvolver[A, B, V]:
        """A mutable draft; ``persistent()`` turns it into a new PairMap."""
        return PairMapEvolver(self)


def pairs_from_items(items: Iterable[tuple[tuple[A, B], V]]) -> PairMap[A, B, V]:
    """A PairMap of ``items`` (a later duplicate key wins)."""
    built: dict[A, dict[B, V]] = {}
    for (first, second), value in items:
        row = built.get(first)
        if row is None:
            row = built[first] = {}
        row[second] = value
    rows: dict[A, Row[B, V]] = {
        first: _split(row) if len(row) > SPLIT_AT else row for first, row in built.items()}
    return PairMap(rows, sum(map(len, built.values())))


class PairMapEvolver(Generic[A, B, V]):
    """Collects updates to a :class:`PairMap`, copying the outer dict and each touched row
    (or a split row's touched part) once. Nothing is copied until the first write. There is
    no delete: a membership line, once made, stays (a line whose events are all retracted is
    an empty line)."""

    __slots__ = ("_base", "_len", "_owned", "_parts", "_rows")

    def __init__(self, base: PairMap[A, B, V]) -> None:
        self._base = base
        self._rows: dict[A, Row[B, V] | list[dict[B, V]]] | None = None
        self._owned: dict[A, _DraftRow[B, V]] = {}  # the rows this draft has copied
        self._parts: set[tuple[A, int]] = set()  # the parts of split rows it has copied
        self._len = base._len

    def _read(self) -> Mapping[A, Row[B, V] | list[dict[B, V]]]:
        return self._rows if self._rows is not None else self._base._rows

    def __getitem__(self, key: tuple[A, B]) -> V:
        first, second = key
        return _part(self._read()[first], second)[second]

    def get(self, key: tuple[A, B], default: V | None = None) -> V | None:
        first, second = key
        row = self._read().get(first)
        return _part(row, second).get(second, default) if row is not None else default

    def __contains__(self, key: tuple[A, B]) -> bool:
        first, second = key
        row = self._read().get(first)
        return row is not None and second in _part(row, second)

    def row_items(self, first: A) -> Iterator[tuple[B, V]]:
        """The ``(second, value)`` items under ``first`` as this draft has them."""
        row = self._read().get(first)
        return _row_items(row) if row is not None else iter(())

    def column(self, second: B) -> list[tuple[A, V]]:
        """The ``(first, value)`` items whose second item is ``second``, as this draft has
        them."""
        return _column(self._read(), second)

    def _own(self, first: A, second: B) -> dict[B, V]:
        """The dict to write ``(first, second)`` to, copied from the base's if not yet."""
        rows = self._rows
        if rows is None:
            rows = self._rows = dict(self._base._rows)
        row = self._owned.get(first)
        if row is None:
            shared = rows.get(first)
            if shared is None:
                row = {}
            elif isinstance(shared, tuple):
                row = list(shared)
            else:
                row = dict(shared)  # type: ignore[arg-type]  # (a dict: not a tuple)
            rows[first] = self._owned[first] = row
        if isinstance(row, dict):
            return row
        part = hash(second) & PART_MASK
        if (first, part) not in self._parts:
            self._parts.add((first, part))
            row[part] = dict(row[part])
        return row[part]

    def __setitem__(self, key: tuple[A, B], value: V) -> None:
        first, second = key
        target = self._own(first, second)
        size = len(target)
        target[second] = value
        self._len += len(target) - size

    def persistent(self) -> PairMap[A, B, V]:
        rows = self._rows
        if rows is None:
            return self._base
        # Only the rows written to are lists or new dicts: freeze those, and split a row
        # that has grown past SPLIT_AT lines.
        for first, row in self._owned.items():
            if isinstance(row, list):
                rows[first] = tuple(row)
            elif len(row) > SPLIT_AT:
                rows[first] = _split(row)
        self._base = PairMap(rows, self._len)  # type: ignore[arg-type]  # (frozen, above)
        self._rows = None  # the evolver may go on from the new map, copying afresh
        self._owned, self._parts = {}, set()
        return self._base
