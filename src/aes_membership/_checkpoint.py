"""Checkpoints: a registry's replayed state written down, so that opening need not replay.

A checkpoint is a cache of the fold of the log up to one position, never a source of truth:
the store keeps it beside the log, anchored on the hash of the row it covers (a log whose row
at that position changed makes the checkpoint void), and a checkpoint that cannot be read —
written by another version of the library, damaged, or edited — is ignored and the log
replayed instead.

The body is a pickle, read by an unpickler that only builds the library's own value classes,
``uuid.UUID`` and ``pendulum.Date`` (the "restricting globals" recipe of the ``pickle``
documentation): a crafted checkpoint cannot make the reader call anything else. Mappings
that depend on the process's string hashing (the persistent maps' shards) are written as
plain items and sharded again on reading; the live-event map, keyed by integers (whose
hashes do not depend on the process), keeps its shards, and only its keys are taken again
from the entries' events.
"""

from __future__ import annotations

import copyreg
import hashlib
import importlib.metadata
import io
import operator
import pickle
import sys
import uuid
from array import array
from collections.abc import Callable
from typing import Any, Final, NamedTuple

import attrs
import pendulum

from . import timeline as _timeline
from ._pmap import PMap, from_items, from_shards
from .dates import PartialDate
from .errors import MembershipError
from .events import Event, event_classes
from .timeline import Timeline

__all__ = ["CheckpointUnusable", "RegistryState", "dumps", "loads"]

_MAGIC: Final = b"aes_membership checkpoint\n"
_FORMAT: Final = 2  # 2: the live map keyed by integers, written first in its shards
_VALUE_CLASSES: Final = (
    _timeline.MembershipLine, _timeline.PostLine, PartialDate,  # spells are not kept: derived
)
_TIMELINE_FIELDS: Final = tuple(
    f.name for f in attrs.fields(Timeline) if f.name not in ("bloc_indexes", "known_ids")
)


def _stored_fields(cls: type) -> tuple[str, ...]:
    """The fields a checkpoint writes: those made from arguments, not what is derived later."""
    return tuple(f.name for f in attrs.fields(cls) if f.init)


_EVENT_FIELDS: Final[dict[type[Event], tuple[str, ...]]] = {
    cls: tuple(f.name for f in attrs.fields(cls)) for cls in event_classes()
}


def _library_version() -> str:
    try:
        return importlib.metadata.version("aes_membership")
    except importlib.metadata.PackageNotFoundError:
        return "unreleased"


def _layout() -> bytes:
    """A fingerprint of the library's version and of every class a checkpoint holds.

    Another version may derive other indexes from the same events (a fixed rule, a new
    field), so its checkpoints are not used: the log is replayed instead.
    """
    # The live map keeps its shards, placed by the hash of an int: the same in every
    # process, but not on a platform whose hash has another width.
    parts = [str(_FORMAT), _library_version(), ",".join(_TIMELINE_FIELDS),
             f"hash:{sys.hash_info.width}/{sys.hash_info.modulus}"]
    parts += [f"{cls.TYPE}/{cls.VERSION}:{','.join(names)}" for cls, names in _EVENT_FIELDS.items()]
    parts += [f"{cls.__name__}:{','.join(_stored_fields(cls))}" for cls in _VALUE_CLASSES]
    parts += [f"{cls.__name__}:{','.join(cls._fields)}"
              for cls in (_timeline.Tenure,)]
    return hashlib.sha256("\n".join(parts).encode()).digest()


_LAYOUT: Final = _layout()


class CheckpointUnusable(MembershipError):
    """A checkpoint that cannot be used; ``damaged`` tells a broken one from an old one."""

    def __init__(self, reason: str, *, damaged: bool) -> None:
        super().__init__(reason)
        self.damaged = damaged


class RegistryState(NamedTuple):
    """What a registry holds after replaying its log up to ``position``."""

    position: int
    events: list[Event]
    stamps: array[float]
    instants: dict[float, pendulum.DateTime]
    not_live: dict[int, int]
    timeline: Timeline


# -- rebuilding (the only callables a checkpoint may name) ------------------------------------

_new = object.__new__
_set = object.__setattr__


_UNKNOWN_SAFETY: Final = uuid.SafeUUID.unknown  # looking an enum member up costs a call


def _uuid(value: int) -> uuid.UUID:
    made = _new(uuid.UUID)
    _set(made, "int", value)
    _set(made, "is_safe", _UNKNOWN_SAFETY)
    return made


def _maker(cls: type, names: tuple[str, ...], *, event: bool) -> Callable[..., Any]:
    """A function that builds ``cls`` from its field values, bypassing ``__init__`` (the
    values were validated when first made) — as attrs generates ``__init__``, one line per
    field. An event's id comes as an int and is made a ``UUID`` here, in the same call."""
    lines = [f"def make({', '.join(names)}):", "    made = new(cls)"]
    if event:  # _uuid written out: a call per event is a tenth of a million-event load
        lines += ["    uid = new(UUID)", "    setattr(uid, 'int', id)",
                  "    setattr(uid, 'is_safe', unknown)"]
    for name in names:
        value = "uid" if event and name == "id" else name
        lines.append(f"    setattr(made, {name!r}, {value})")
    for field in attrs.fields(cls):
        if not field.init:  # kept on first use (a line's spells): starts empty, as __init__ has it
            if field.default is not None:
                raise TypeError(f"{cls.__name__}.{field.name}: only None can start a kept field")
            lines.append(f"    setattr(made, {field.name!r}, None)")
    lines.append("    return made")
    namespace: dict[str, Any] = {"new": _new, "setattr": _set, "cls": cls,
                                 "UUID": uuid.UUID, "unknown": _UNKNOWN_SAFETY}
    exec("\n".join(lines), namespace)
    made: Callable[..., Any] = namespace["make"]
    made.__name__ = made.__qualname__ = f"_make_{cls.__name__}"
    made.__module__ = __name__
    globals()[made.__name__] = made  # where pickle looks a function up by name
    return made


def _instant(timestamp: float) -> pendulum.DateTime:
    return pendulum.from_timestamp(timestamp, tz=pendulum.UTC)


_ID_INT: Final = operator.attrgetter("id.int")
_EVENT: Final = operator.itemgetter(3)


def _live(shards: list[list[_timeline.Entry]]) -> PMap[int, _timeline.Entry]:
    # Each shard's keys are its entries' event ids, found in C rather than a Python loop.
    return from_shards([dict(zip(map(_ID_INT, map(_EVENT, entries)), entries, strict=True))
                        for entries in shards])


class _LiveEntries:
    """Marks the live-event map at writing: its shards are written as their entries only."""

    __slots__ = ("live",)

    def __init__(self, live: PMap[int, _timeline.Entry]) -> None:
        self.live = live


_MAKERS: Final[dict[type, Callable[..., Any]]] = {
    cls: _maker(cls, names, event=True) for cls, names in _EVENT_FIELDS.items()
}
_MAKERS.update({
    cls: _maker(cls, _stored_fields(cls), event=False) for cls in _VALUE_CLASSES
})
_REBUILDERS: Final[tuple[Any, ...]] = (
    _uuid, _instant, from_items, _live, *_MAKERS.values(),
    _timeline.Tenure, pendulum.Date,
)
_ALLOWED: Final[dict[tuple[str, str], object]] = {
    (f.__module__, f.__qualname__): f for f in _REBUILDERS
}


def _reducers() -> dict[type, Callable[[Any], tuple[Any, ...]]]:
    table: dict[type, Callable[[Any], tuple[Any, ...]]] = {}
    table.update(copyreg.dispatch_table)  # type: ignore[arg-type]
    table[uuid.UUID] = lambda u: (_uuid, (u.int,))
    table[PMap] = lambda m: (from_items, (list(m.items()),))
    table[_LiveEntries] = lambda marked: (_live, ([list(shard.values())
                                                    for shard in marked.live.shards()],))
    table[pendulum.DateTime] = lambda t: (_instant, (t.timestamp(),))
    for event_class, names in _EVENT_FIELDS.items():
        table[event_class] = _event_reducer(_MAKERS[event_class], names)
    for value_class in _VALUE_CLASSES:
        table[value_class] = _value_reducer(
            _MAKERS[value_class], _stored_fields(value_class))
    return table


def _event_reducer(make: Callable[..., Any], names: tuple[str, ...]
                   ) -> Callable[[Any], tuple[Any, ...]]:
    if names[0] != "id":  # attrs puts the base class's fields first
        raise TypeError(f"an event's first field must be its id, not {names[0]!r}")
    rest = names[1:]  # after the id, written as an int
    return lambda event: (make, (event.id.int, *(getattr(event, n) for n in rest)))


def _value_reducer(make: Callable[..., Any], names: tuple[str, ...]
                   ) -> Callable[[Any], tuple[Any, ...]]:
    return lambda value: (make, tuple(getattr(value, n) for n in names))


_REDUCERS: Final = _reducers()


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        found = _ALLOWED.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"a checkpoint may not name {module}.{name}")
        return found


def dumps(state: RegistryState) -> bytes:
    """The checkpoint bytes of ``state``."""
    timeline = state.timeline
    # The live map first: its entries and their events are then built in the order that
    # rebuilding its keys walks them, next to each other in memory, not scattered.
    body = (
        state.position,
        _LiveEntries(timeline.live),
        state.events,
        state.stamps.tobytes(),
        state.instants,
        state.not_live,
        {name: getattr(timeline, name) for name in _TIMELINE_FIELDS if name != "live"},
    )
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.dispatch_table = _REDUCERS
    pickler.dump(body)
    payload = buffer.getvalue()
    return _MAGIC + _LAYOUT + hashlib.sha256(payload).digest() + payload


def loads(data: bytes) -> RegistryState:
    """The state a checkpoint holds; :class:`CheckpointUnusable` if it cannot be trusted."""
    head = len(_MAGIC)
    if data[:head] != _MAGIC:
        raise CheckpointUnusable("it is not an aes_membership checkpoint", damaged=True)
    if data[head : head + 32] != _LAYOUT:
        raise CheckpointUnusable("it was written by a version with another layout", damaged=False)
    digest, payload = data[head + 32 : head + 64], memoryview(data)[head + 64 :]
    if hashlib.sha256(payload).digest() != digest:
        raise CheckpointUnusable("its content does not match its digest", damaged=True)
    try:
        position, live, events, stamps, instants, not_live, fields = _Unpickler(
            io.BytesIO(payload)).load()
        timeline = Timeline(live=live, **fields)
        restored = array("d")
        restored.frombytes(stamps)
    except Exception as error:
        raise CheckpointUnusable(f"it cannot be read ({error})", damaged=True) from None
    if not (isinstance(position, int) and len(events) == len(restored) == position):
        raise CheckpointUnusable("its parts do not agree on the position it covers", damaged=True)
    return RegistryState(position, events, restored, instants, not_live, timeline)
