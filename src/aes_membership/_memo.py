"""A bounded memo for values that repeat across a log (dates and their day ordinals).

``functools.lru_cache`` is slower here: a date is neither an ``int`` nor a ``str``, so each
call builds and hashes a key tuple, and a log with more distinct dates than the cache keeps
evicts entries it needs again. A plain dict, emptied when full, costs one look-up per call;
its callers may also do that look-up inline, on the dict itself.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

__all__ = ["memo"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def memo(compute: Callable[[K], V], limit: int) -> tuple[Callable[[K], V], dict[K, V]]:
    """``compute`` remembered for up to ``limit`` keys, and the dict it remembers them in.

    Values must be immutable: callers share them. When the dict is full it is emptied
    rather than trimmed — each key then costs one more ``compute``, once.
    """
    kept: dict[K, V] = {}

    def look_up(key: K) -> V:
        found = kept.get(key)
        if found is None:
            if len(kept) >= limit:
                kept.clear()
            found = kept[key] = compute(key)
        return found

    look_up.__name__ = look_up.__qualname__ = f"memo_{compute.__name__}"
    look_up.__doc__ = compute.__doc__
    return look_up, kept
