"""A small persistent (copy-on-write) mapping.

Snapshots must never change once handed out, yet recording one event into a history of a
million must stay cheap. Keys are spread over fixed shards: an update copies the shard table
and the shards it touches, never the whole mapping.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from typing import Generic, TypeVar

__all__ = ["PMap", "PMapEvolver"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_SHARDS = 512


class PMap(Mapping[K, V], Generic[K, V]):
    """An immutable mapping whose updates share structure with the original."""

    __slots__ = ("_len", "_shards")

    def __init__(self, shards: tuple[dict[K, V], ...] | None = None, length: int = 0) -> None:
        self._shards: tuple[dict[K, V], ...] = shards or tuple({} for _ in range(_SHARDS))
        self._len = length

    @classmethod
    def from_dict(cls, items: Mapping[K, V]) -> PMap[K, V]:
        shards: tuple[dict[K, V], ...] = tuple({} for _ in range(_SHARDS))
        for key, value in items.items():
            shards[hash(key) % _SHARDS][key] = value
        return cls(shards, len(items))

    def __getitem__(self, key: K) -> V:
        return self._shards[hash(key) % _SHARDS][key]

    def get(self, key: K, default: V | None = None) -> V | None:  # type: ignore[override]
        return self._shards[hash(key) % _SHARDS].get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._shards[hash(key) % _SHARDS]

    def __iter__(self) -> Iterator[K]:
        for shard in self._shards:
            yield from shard

    def __len__(self) -> int:
        return self._len

    def evolver(self) -> PMapEvolver[K, V]:
        """A mutable draft; ``persistent()`` turns it into a new PMap."""
        return PMapEvolver(self)


class PMapEvolver(Generic[K, V]):
    """Collects updates to a :class:`PMap`, copying each touched shard once."""

    __slots__ = ("_copied", "_len", "_shards")

    def __init__(self, base: PMap[K, V]) -> None:
        self._shards = list(base._shards)
        self._copied: set[int] = set()
        self._len = base._len

    def _writable(self, key: K) -> dict[K, V]:
        index = hash(key) % _SHARDS
        if index not in self._copied:
            self._shards[index] = dict(self._shards[index])
            self._copied.add(index)
        return self._shards[index]

    def __getitem__(self, key: K) -> V:
        return self._shards[hash(key) % _SHARDS][key]

    def get(self, key: K, default: V | None = None) -> V | None:
        return self._shards[hash(key) % _SHARDS].get(key, default)

    def __contains__(self, key: K) -> bool:
        return key in self._shards[hash(key) % _SHARDS]

    def __setitem__(self, key: K, value: V) -> None:
        shard = self._writable(key)
        if key not in shard:
            self._len += 1
        shard[key] = value

    def __delitem__(self, key: K) -> None:
        shard = self._writable(key)
        del shard[key]
        self._len -= 1

    def persistent(self) -> PMap[K, V]:
        return PMap(tuple(self._shards), self._len)
