"""A small persistent (copy-on-write) mapping.

Snapshots must never change once handed out, yet recording one event into a history of a
million must stay cheap. Keys are spread over a two-level table of 64 × 64 places, each
holding a dict: an update copies one top-level row (64 references), and the one small dict
it touches — never the whole mapping.

Copying a dict touches every key and value it holds (their reference counts), and in a
large heap most of them are out of the caches: at a million keys, copying a place's 244
took more time than the rest of the update. So a place whose dict grows past
:data:`SPLIT_AT` keys is split into 16 dicts, by four more bits of the keys' hashes; an
update then copies the 16 references and one dict of about a sixteenth the size. A batch
that takes a map past that size on average splits each place as it first writes to it.
Small maps keep one dict per place (16 dicts each would cost memory for nothing).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Final, Generic, TypeAlias, TypeVar

__all__ = ["SPLIT_AT", "PMap", "PMapEvolver", "from_items", "from_shards"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_BITS = 6
_WIDTH = 1 << _BITS
_MASK = _WIDTH - 1
_SLOTS = _WIDTH * _WIDTH - 1  # the bits that pick a row and a place in it
_PART_SHIFT = 2 * _BITS  # the bits that pick a dict in a split place come next
_PARTS = 16
_PART_MASK = _PARTS - 1
_PART_SLOTS = (_SLOTS + 1) * _PARTS - 1  # the bits that pick a row, a place and a part

# Keys past which a place's dict is split (when a draft that wrote to it is made persistent).
# At 128, the places of a map of more than 524,288 keys are split, 16 dicts of 8–16 each.
SPLIT_AT = 128

# A place of the table: one dict, or the 16 dicts of a split place.
_Place: TypeAlias = "dict[K, V] | tuple[dict[K, V], ...]"
_Rows: TypeAlias = "tuple[tuple[_Place[K, V], ...], ...]"
# set_all's count of each dict it writes to, by identity: the dict and its size before.
_Sizes: TypeAlias = "dict[int, tuple[dict[K, V], int]]"
# A place in a draft's rows: shared as in a map, or copied (a split place as a list).
_DraftPlace: TypeAlias = "dict[K, V] | tuple[dict[K, V], ...] | list[dict[K, V]]"


def _empty() -> tuple[tuple[dict[K, V], ...], ...]:
    """A table of new empty dicts, for a map built in place (:func:`from_items`)."""
    return tuple(tuple({} for _ in range(_WIDTH)) for _ in range(_WIDTH))


# The table of every map made empty. An evolver copies a dict before it first writes to it,
# and nothing else writes to a map's dicts, so empty maps can share one table: a timeline
# holds ten maps, and their 40,960 new dicts took 2–3 ms and 2.6 MB for each new registry.
_EMPTY: Final[tuple[tuple[dict[Any, Any], ...], ...]] = _empty()
# The same holds for the parts of a split place that a batch into an empty map left empty.
_NO_ITEMS: Final[dict[Any, Any]] = {}


def _split(shard: dict[K, V]) -> tuple[dict[K, V], ...]:
    """The 16 dicts of a split place holding ``shard``'s items."""
    parts: tuple[dict[K, V], ...] = tuple({} for _ in range(_PARTS))
    for key, value in shard.items():
        parts[(hash(key) >> _PART_SHIFT) & _PART_MASK][key] = value
    return parts


class PMap(Mapping[K, V], Generic[K, V]):
    """An immutable mapping whose updates share structure with the original."""

    __slots__ = ("_len", "_rows")

    def __init__(self, rows: _Rows[K, V] | None = None, length: int = 0) -> None:
        self._rows: _Rows[K, V] = rows or _EMPTY
        self._len = length

    def _shard(self, key: object) -> dict[K, V]:
        code = hash(key)
        place = self._rows[code & _MASK][(code >> _BITS) & _MASK]
        return place[(code >> _PART_SHIFT) & _PART_MASK] if isinstance(place, tuple) else place

    def __getitem__(self, key: K) -> V:
        return self._shard(key)[key]

    def get(self, key: K, default: V | None = None) -> V | None:  # type: ignore[override]
        code = hash(key)
        place = self._rows[code & _MASK][(code >> _BITS) & _MASK]
        if isinstance(place, tuple):
            place = place[(code >> _PART_SHIFT) & _PART_MASK]
        return place.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._shard(key)

    def present(self, keys: Iterable[K]) -> list[K]:
        """The keys among ``keys`` that the map holds, in their order: one call for a
        batch, where a call of ``in`` per key would cost more than the look-ups."""
        rows = self._rows
        return [key for key in keys
                if key in (place[(code >> _PART_SHIFT) & _PART_MASK]
                           if isinstance(place := rows[(code := hash(key)) & _MASK]
                                                      [(code >> _BITS) & _MASK], tuple)
                           else place)]

    def __iter__(self) -> Iterator[K]:
        for shard in self.shards():
            yield from shard

    def shards(self) -> Iterator[dict[K, V]]:
        """The dicts holding the items, in table order, a split place's 16 in theirs (what
        :func:`from_shards` takes, with :meth:`layout`)."""
        for row in self._rows:
            for place in row:
                if isinstance(place, tuple):
                    yield from place
                else:
                    yield place

    def layout(self) -> bytes:
        """Which places are split (1) or not (0), in table order."""
        return bytes(isinstance(place, tuple) for row in self._rows for place in row)

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
    made: _Rows[K, V] = tuple(
        tuple(_split(shard) if len(shard) > SPLIT_AT else shard for shard in row) for row in rows)
    return PMap(made, sum(len(shard) for row in rows for shard in row))


def from_shards(shards: Sequence[dict[K, V]], layout: bytes | None = None) -> PMap[K, V]:
    """A PMap of the dicts :meth:`PMap.shards` gave, as they are, placed as ``layout``
    (:meth:`PMap.layout`; none split if it is not given) says.

    Only for keys whose hashes are the same in every process (ints, not strings): each dict
    must hold exactly the keys that hash to its place, or look-ups would miss them.
    """
    places = _WIDTH * _WIDTH
    if layout is None:
        layout = bytes(places)
    if len(layout) != places:
        raise ValueError(f"layout: expected {places} places, got {len(layout)}")
    expected = places + (_PARTS - 1) * sum(1 for split in layout if split)
    if len(shards) != expected:
        raise ValueError(f"shards: expected {expected} dicts, got {len(shards)}")
    made: list[_Place[K, V]] = []
    start = 0
    for split in layout:
        if split:
            made.append(tuple(shards[start : start + _PARTS]))
            start += _PARTS
        else:
            made.append(shards[start])
            start += 1
    rows = tuple(tuple(made[top * _WIDTH : (top + 1) * _WIDTH]) for top in range(_WIDTH))
    return PMap(rows, sum(map(len, shards)))


class PMapEvolver(Generic[K, V]):
    """Collects updates to a :class:`PMap`, copying each touched row and dict once.

    Nothing is copied until the first write, so a draft that leaves a map alone costs nothing.
    """

    __slots__ = ("_base", "_copied", "_len", "_places", "_rows")

    def __init__(self, base: PMap[K, V]) -> None:
        self._base = base
        self._rows: list[list[_DraftPlace[K, V]] | tuple[_Place[K, V], ...]] | None = None
        # The dicts copied so far, by the low bits of their keys' hashes (row, place, and
        # part of a split place): a write to a dict already copied is one lookup here. An
        # unsplit place's dict is there under each of its 16 parts' bits that was written.
        self._copied: dict[int, dict[K, V]] = {}
        # The places copied so far, by row and place: a dict, or the list of a split
        # place's 16 (each copied when first written).
        self._places: dict[int, dict[K, V] | list[dict[K, V]]] = {}
        self._len = base._len

    def _copy(self, code: int, sizes: _Sizes[K, V] | None = None) -> dict[K, V]:
        # The first write to the dict for keys hashing to ``code``: copy it, and its place
        # and row if they are still shared. Given ``sizes`` (set_all's, of a batch that
        # splits), a place that is one dict is copied as 16, each put in ``sizes``.
        slot = code & _SLOTS
        place = self._places.get(slot)
        if place is None:
            rows = self._rows
            if rows is None:
                rows = self._rows = list(self._base._rows)
            top, inner = code & _MASK, (code >> _BITS) & _MASK
            row = rows[top]
            if isinstance(row, tuple):
                row = rows[top] = list(row)
            shared = row[inner]  # as in the base map: not yet copied
            if isinstance(shared, (tuple, list)):
                place = list(shared)
            elif sizes is not None:  # 16 new dicts, each written to from now on without a copy
                parts = list(_split(shared))
                self._places[slot] = row[inner] = parts
                for part, shard in enumerate(parts):
                    self._copied[(part << _PART_SHIFT) | slot] = shard
                    sizes[id(shard)] = (shard, len(shard))
                return parts[(code >> _PART_SHIFT) & _PART_MASK]
            else:
                place = dict(shared)
            self._places[slot] = row[inner] = place
        if isinstance(place, list):
            part = (code >> _PART_SHIFT) & _PART_MASK
            shard = place[part] = dict(place[part])
        else:
            shard = place
        self._copied[code & _PART_SLOTS] = shard
        return shard

    def _shard(self, key: K) -> dict[K, V]:
        code = hash(key)
        rows = self._rows if self._rows is not None else self._base._rows
        place = rows[code & _MASK][(code >> _BITS) & _MASK]
        return place if isinstance(place, dict) else place[(code >> _PART_SHIFT) & _PART_MASK]

    def __getitem__(self, key: K) -> V:
        return self._shard(key)[key]

    def get(self, key: K, default: V | None = None) -> V | None:
        return self._shard(key).get(key, default)

    def __contains__(self, key: K) -> bool:
        return key in self._shard(key)

    def __setitem__(self, key: K, value: V) -> None:
        code = hash(key)
        shard = self._copied.get(code & _PART_SLOTS)
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
        if len(keys) == 1:  # (a batch of one: the bookkeeping below would cost more than the write)
            size = self._len
            self[keys[0]] = values[0]
            return self._len - size
        if self._rows is None and not self._len:
            return self._fill(keys, values)
        copied = self._copied
        # The size of each dict before this call, by identity (an unsplit place's dict is
        # under several bits): the keys added are counted once, at the end, not per write.
        sizes: _Sizes[K, V] = {id(shard): (shard, len(shard)) for shard in copied.values()}
        # A batch that takes the map past SPLIT_AT keys a place on average splits the places
        # as it reaches them, rather than filling dicts that would be split afterwards.
        splitting = sizes if self._len + len(keys) > SPLIT_AT * (_SLOTS + 1) else None
        for key, value in zip(keys, values, strict=True):
            code = hash(key)
            shard = copied.get(code & _PART_SLOTS)
            if shard is None:
                shard = self._copy(code, splitting)
                sizes.setdefault(id(shard), (shard, len(shard)))
            shard[key] = value
        added = sum(len(shard) - size for shard, size in sizes.values())
        self._len += added
        return added

    def _fill(self, keys: Sequence[K], values: Sequence[V]) -> int:
        """set_all into an empty map not yet written to (a log appended or replayed from
        its start): each dict is made once, for the keys that go in it, and no place is
        copied. Writing key by key copied an empty dict per place: in the appends of 10,000
        and 100,000 events, 1.0–1.7 and 0.75 µs a key against 0.3–0.6 and 0.33. (At a
        million, where either way each write misses the caches, both take 0.78 µs.)
        """
        splitting = len(keys) > SPLIT_AT * (_SLOTS + 1)
        bits = _PART_SLOTS if splitting else _SLOTS
        groups: dict[int, dict[K, V]] = {}
        for key, value in zip(keys, values, strict=True):
            code = hash(key) & bits
            shard = groups.get(code)
            if shard is None:
                shard = groups[code] = {}
            shard[key] = value
        rows = self._rows = list(self._base._rows)
        places = self._places
        for code, shard in groups.items():
            slot = code & _SLOTS
            row = rows[slot & _MASK]
            if isinstance(row, tuple):
                row = rows[slot & _MASK] = list(row)
            if splitting:
                self._copied[code] = shard  # (a part is picked by these bits alone)
                place = places.get(slot)
                if place is None:
                    # Parts not written share one empty dict: a dict is copied before any write.
                    place = places[slot] = row[slot >> _BITS] = [_NO_ITEMS] * _PARTS
                assert isinstance(place, list)  # (every place made here is, when splitting)
                place[code >> _PART_SHIFT] = shard
            else:
                places[slot] = row[slot >> _BITS] = shard
        self._len = added = sum(map(len, groups.values()))
        return added

    def __delitem__(self, key: K) -> None:
        code = hash(key)
        shard = self._copied.get(code & _PART_SLOTS)
        if shard is None:
            shard = self._copy(code)
        del shard[key]
        self._len -= 1

    def persistent(self) -> PMap[K, V]:
        if self._rows is None:
            return self._base
        rows = self._rows
        # Only the places and rows written to are lists or new dicts: freeze those, and
        # split a place's dict that has grown past SPLIT_AT keys.
        for slot, place in self._places.items():
            row = rows[slot & _MASK]
            assert isinstance(row, list)  # (its place was copied: so was the row)
            if isinstance(place, list):
                row[slot >> _BITS] = tuple(place)
            elif len(place) > SPLIT_AT:
                row[slot >> _BITS] = _split(place)
        for top in {slot & _MASK for slot in self._places}:
            rows[top] = tuple(rows[top])  # type: ignore[arg-type]  # (its places are, above)
        self._rows = None  # the evolver may go on from the new map, copying afresh
        self._base = PMap(tuple(rows), self._len)  # type: ignore[arg-type]  # (rows are, here)
        self._copied, self._places = {}, {}
        return self._base
