"""A small persistent (copy-on-write) mapping.

Snapshots must never change once handed out, yet recording one event into a history of a
million must stay cheap. Keys are spread over a two-level table of 64 × 64 dicts: an update
copies one top-level row (64 references), and the one small dict it touches — never the
whole mapping, and never a part that grows with the mapping faster than size / 4096.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Final, Generic, TypeVar

__all__ = ["PMap", "PMapEvolver", "from_items", "from_shards"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_BITS = 6
_WIDTH = 1 << _BITS
_MASK = _WIDTH - 1
_SLOTS = _WIDTH * _WIDTH - 1  # the bits that pick a row and a dict in it

def _empty() -> tuple[tuple[dict[K, V], ...], ...]:
    """A table of new empty dicts, for a map built in place (:func:`from_items`)."""
    return tuple(tuple({} for _ in range(_WIDTH)) for _ in range(_WIDTH))


# The table of every map made empty. An evolver copies a dict before it first writes to it,
# and nothing else writes to a map's dicts, so empty maps can share one table: a timeline
# holds ten maps, and their 40,960 new dicts took 2–3 ms and 2.6 MB for each new registry.
_EMPTY: Final[tuple[tuple[dict[Any, Any], ...], ...]] = _empty()


class PMap(Mapping[K, V], Generic[K, V]):
    """An immutable mapping whose updates share structure with the original."""

    __slots__ = ("_len", "_rows")

    def __init__(self, rows: tuple[tuple[dict[K, V], ...], ...] | None = None,
                 length: int = 0) -> None:
        self._rows: tuple[tuple[dict[K, V], ...], ...] = rows or _EMPTY
        self._len = length

    def _shard(self, key: object) -> dict[K, V]:
        code = hash(key)
        return self._rows[code & _MASK][(code >> _BITS) & _MASK]

    def __getitem__(self, key: K) -> V:
        return self._shard(key)[key]

    def get(self, key: K, default: V | None = None) -> V | None:  # type: ignore[override]
        code = hash(key)
        return self._rows[code & _MASK][(code >> _BITS) & _MASK].get(key, default)

    def __contains__(self, key: object) -> bool:
        code = hash(key)
        return key in self._rows[code & _MASK][(code >> _BITS) & _MASK]

    def present(self, keys: Iterable[K]) -> list[K]:
        """The keys among ``keys`` that the map holds, in their order: one call for a
        batch, where a call of ``in`` per key would cost more than the look-ups."""
        rows = self._rows
        return [key for key in keys
                if key in rows[(code := hash(key)) & _MASK][(code >> _BITS) & _MASK]]

    def __iter__(self) -> Iterator[K]:
        for row in self._rows:
            for shard in row:
                yield from shard

    def shards(self) -> Iterator[dict[K, V]]:
        """The dicts holding the items, in table order (what :func:`from_shards` takes)."""
        for row in self._rows:
            yield from row

    def __len__(self) -> int:
        return self._len

    def evolver(self) -> PMapEvolver[K, V]:
        """A mutable draft; ``persistent()`` turns it into a new PMap."""
        return PMapEvolver(self)


def from_items(items: Iterable[tuple[K, V]]) -> PMap[K, V]:
    """A PMap of ``items`` (a later duplicate key wins), sharded by this process's hashes."""
    rows: tuple[tuple[dict[K, V], ...], ...] = _empty()
    for key, value in items:
        code = hash(key)
        rows[code & _MASK][(code >> _BITS) & _MASK][key] = value
    return PMap(rows, sum(len(shard) for row in rows for shard in row))


def from_shards(shards: Sequence[dict[K, V]]) -> PMap[K, V]:
    """A PMap of the dicts :meth:`PMap.shards` gave, as they are.

    Only for keys whose hashes are the same in every process (ints, not strings): each dict
    must hold exactly the keys that hash to its place, or look-ups would miss them.
    """
    if len(shards) != _WIDTH * _WIDTH:
        raise ValueError(f"shards: expected {_WIDTH * _WIDTH} dicts, got {len(shards)}")
    rows = tuple(tuple(shards[top * _WIDTH : (top + 1) * _WIDTH]) for top in range(_WIDTH))
    return PMap(rows, sum(map(len, shards)))


class PMapEvolver(Generic[K, V]):
    """Collects updates to a :class:`PMap`, copying each touched row and dict once.

    Nothing is copied until the first write, so a draft that leaves a map alone costs nothing.
    """

    __slots__ = ("_base", "_copied", "_len", "_rows")

    def __init__(self, base: PMap[K, V]) -> None:
        self._base = base
        self._rows: list[list[dict[K, V]] | tuple[dict[K, V], ...]] | None = None
        # The dicts copied so far, by the low bits of their keys' hashes (row, then place in
        # it): a write to a dict already copied is one lookup here.
        self._copied: dict[int, dict[K, V]] = {}
        self._len = base._len

    def _copy(self, code: int) -> dict[K, V]:
        # The first write to the dict for keys hashing to ``code``: copy it, and its row if
        # the row is still shared.
        rows = self._rows
        if rows is None:
            rows = self._rows = list(self._base._rows)
        top, inner = code & _MASK, (code >> _BITS) & _MASK
        row = rows[top]
        if isinstance(row, tuple):
            row = rows[top] = list(row)
        shard = row[inner] = dict(row[inner])
        self._copied[code & _SLOTS] = shard
        return shard

    def _shard(self, key: K) -> dict[K, V]:
        code = hash(key)
        rows = self._rows if self._rows is not None else self._base._rows
        return rows[code & _MASK][(code >> _BITS) & _MASK]

    def __getitem__(self, key: K) -> V:
        return self._shard(key)[key]

    def get(self, key: K, default: V | None = None) -> V | None:
        return self._shard(key).get(key, default)

    def __contains__(self, key: K) -> bool:
        return key in self._shard(key)

    def __setitem__(self, key: K, value: V) -> None:
        code = hash(key)
        shard = self._copied.get(code & _SLOTS)
        if shard is None:
            shard = self._copy(code)
        size = len(shard)
        shard[key] = value
        self._len += len(shard) - size

    def set_all(self, keys: Sequence[K], values: Sequence[V]) -> int:
        """``self[key] = value`` for each pair, in order (a later duplicate key wins), in
        one call rather than a call per key; returns how many of the keys were new."""
        if len(keys) != len(values):
            raise ValueError(f"set_all: {len(keys)} keys for {len(values)} values")
        copied = self._copied
        # The size of each dict before this call: the keys added are counted once, at the
        # end, not per write.
        sizes = {slot: len(shard) for slot, shard in copied.items()}
        for key, value in zip(keys, values, strict=True):
            code = hash(key)
            shard = copied.get(code & _SLOTS)
            if shard is None:
                shard = self._copy(code)
                sizes[code & _SLOTS] = len(shard)
            shard[key] = value
        added = sum(len(copied[slot]) - size for slot, size in sizes.items())
        self._len += added
        return added

    def __delitem__(self, key: K) -> None:
        code = hash(key)
        shard = self._copied.get(code & _SLOTS)
        if shard is None:
            shard = self._copy(code)
        del shard[key]
        self._len -= 1

    def persistent(self) -> PMap[K, V]:
        if self._rows is None:
            return self._base
        rows = self._rows
        # Only the rows holding a copied dict became lists: freeze those, not all 64.
        for top in {slot & _MASK for slot in self._copied}:
            rows[top] = tuple(rows[top])
        self._rows = None  # the evolver may go on from the new map, copying afresh
        self._base = PMap(tuple(rows), self._len)  # type: ignore[arg-type]
        self._copied = {}
        return self._base
