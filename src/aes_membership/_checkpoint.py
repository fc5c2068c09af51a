"""Checkpoints: a registry's replayed state written down, so that opening need not replay.

A checkpoint is a cache of the fold of the log up to one position, never a source of truth:
the store keeps it beside the log, anchored on the hash of the row it covers (a log whose row
at that position changed makes the checkpoint void), and a checkpoint that cannot be read —
written by another version of the library, damaged, or edited — is ignored and the log
replayed instead.

The body is pickled, read by an unpickler that only builds the library's own value classes,
``uuid.UUID`` and ``pendulum.Date`` (the "restricting globals" recipe of the ``pickle``
documentation): a crafted checkpoint cannot make the reader call anything else. Mappings
that depend on the process's string hashing (the persistent maps' shards) are written as
plain items and sharded again on reading; the live-event map, keyed by integers (whose
hashes do not depend on the process), keeps its shards.

The events are written first, in log order, as columns (one list per field of each event
class), and are not built on reading: the log keeps the columns and builds an event when it
is first asked for (see :class:`~aes_membership._eventlog.EventLog`), or all of them in one
pass per class when many are. A point question needs none, and building a million costs over
a second; the next checkpoint writes those events back from their columns, then the events
after them, rather than building them. The ids come in the order of the live map's entries
(then the others, in log order), so that making the map's keys walks them in the order they
were made. After that pickle come arrays of 8-byte numbers, as they are, read as views of
the checkpoint's bytes: per event, the instant it was recorded at, where its id was written
and its place among the events of its class; per timeline entry, its days (places in the list
of days) and sequence (its event's log position). The entries are made from them in C. Two
more pickles follow, the rest of the timeline then its membership lines. They refer to every
entry, and to every day an entry starts or ends on, by its place in one list of the days then
the entries (a persistent id, in the words of :mod:`pickle`), so that equal days are one int
and a line holds the live map's own entries, as after a replay. Maps of post lines are
written a column per field; the membership lines, a million entries at a million events, as
tuples of what hashes, whose persistent ids the pickler finds in C.
"""

from __future__ import annotations

import bisect
import contextlib
import copyreg
import hashlib
import importlib.metadata
import inspect
import io
import operator
import pickle
import sys
import uuid
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence, Sized
from itertools import chain, compress, count, islice, repeat
from typing import Any, Final, NamedTuple, TypeAlias

import attrs
import pendulum

from . import timeline as _timeline
from ._eventlog import EventColumns, EventLog
from ._pairmap import PairMap, pairs_from_items
from ._pmap import PMap, from_items, from_shards
from .dates import PartialDate
from .errors import MembershipError
from .events import Event, event_classes
from .timeline import Timeline

__all__ = ["CheckpointUnusable", "RegistryState", "dumps", "loads"]

_MAGIC: Final = b"aes_membership checkpoint\n"
# 11: membership lines in a pickle of their own, as tuples; 10: events in log order, built on
# first use, and entries that name them by position; 9: which blocs have lines, not each
# bloc's states; 8: no index of each state's blocs (the membership rows' keys are it); 7: the
# live map's split places; 6: maps written as columns name the map they build; 5: membership
# lines by state, then bloc; 4: places counted from the days; 3: events as columns; 2: live
# map by ints
_FORMAT: Final = 11
_VALUE_CLASSES: Final = (
    _timeline.MembershipLine, _timeline.PostLine, PartialDate,  # spells are not kept: derived
)
_TIMELINE_FIELDS: Final = tuple(
    f.name for f in attrs.fields(Timeline)
    if f.name not in ("bloc_indexes", "known_ids", "events", "past")
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
    # process, but not on a platform whose hash has another width. The arrays after the
    # pickles are in the machine's byte order.
    parts = [str(_FORMAT), _library_version(), ",".join(_TIMELINE_FIELDS),
             f"hash:{sys.hash_info.width}/{sys.hash_info.modulus}", f"bytes:{sys.byteorder}"]
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
    events: EventLog
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


def _slots(cls: type, names: Sequence[str]) -> tuple[Any, ...]:
    """The descriptors of ``cls``'s slots ``names``, which set a value without ``__setattr__``."""
    found = tuple(getattr(cls, name) for name in names)
    for name, slot in zip(names, found, strict=True):
        if not inspect.ismemberdescriptor(slot):
            raise TypeError(f"{cls.__name__}.{name}: expected a slot, got {slot!r}")
    return found


# Runs an iterator to its end, keeping nothing.
_run: Final[Callable[[Iterable[Any]], None]] = deque(maxlen=0).extend


def _made(cls: type, count: int, slots: Sequence[Any], columns: Sequence[Iterable[Any]]
          ) -> list[Any]:
    """``count`` instances of ``cls``, each slot set from its column: a pass in C per slot,
    bypassing ``__init__`` (the values were validated when first made).

    A column is a list of ``count`` values, or a ``repeat`` of the one value all share.
    """
    if len(columns) != len(slots) or any(
            len(column) != count for column in columns if isinstance(column, Sized)):
        raise ValueError(f"the columns of {cls.__name__} do not fit its fields")
    made: list[Any] = list(map(_new, repeat(cls, count)))
    for slot, values in zip(slots, columns, strict=True):
        _run(map(slot.__set__, made, values))
    return made


def _kept_fields(cls: type) -> tuple[str, ...]:
    """Fields kept on first use (a line's spells), which a rebuilt value starts without."""
    kept = tuple(f for f in attrs.fields(cls) if not f.init)
    for field in kept:
        if field.default is not None:
            raise TypeError(f"{cls.__name__}.{field.name}: only None can start a kept field")
    return tuple(field.name for field in kept)


def _maker(cls: type, names: tuple[str, ...]) -> Callable[..., Any]:
    """A function that builds ``cls`` from its field values, bypassing ``__init__`` (the
    values were validated when first made) — as attrs generates ``__init__``, one line per
    field."""
    lines = [f"def make({', '.join(names)}):", "    made = new(cls)"]
    lines += [f"    setattr(made, {name!r}, {name})" for name in names]
    lines += [f"    setattr(made, {name!r}, None)" for name in _kept_fields(cls)]
    lines.append("    return made")
    namespace: dict[str, Any] = {"new": _new, "setattr": _set, "cls": cls}
    exec("\n".join(lines), namespace)
    made: Callable[..., Any] = namespace["make"]
    made.__name__ = made.__qualname__ = f"_make_{cls.__name__}"
    made.__module__ = __name__
    globals()[made.__name__] = made  # where pickle looks a function up by name
    return made


def _map_of(build: Callable[[Iterable[tuple[Any, Any]]], Any], keys: list[Any], kind: int,
            columns: Sequence[list[Any]]) -> Any:
    """A persistent map, made by ``build`` from its items, whose values are all of one value
    class (numbered ``kind``), written as a column per field.

    Built a field at a time in C, as the events are: one value at a time, each value's
    arguments would be a tuple the unpickler keeps until the end.
    """
    cls = _VALUE_CLASSES[kind]
    slots, kept = _VALUE_SLOTS[cls]
    # Fields kept on first use (a line's spells) start empty.
    made = _made(cls, len(keys), (*slots, *kept), (*columns, *[repeat(None)] * len(kept)))
    return build(zip(keys, made, strict=True))


def _map_reducer(build: Callable[[Iterable[tuple[Any, Any]]], Any]
                 ) -> Callable[[Mapping[Any, Any]], tuple[Any, ...]]:
    """How to write a persistent map that ``build`` makes from items: its values as columns
    when they are all of one value class, else its items; either way the map is built again
    from its keys on reading, since where a key sits depends on this process's string
    hashes."""
    def reduced(mapping: Mapping[Any, Any]) -> tuple[Any, ...]:
        values = list(mapping.values())
        kind = _VALUE_KIND.get(type(values[0])) if values else None
        if kind is None or any(type(value) is not _VALUE_CLASSES[kind] for value in values):
            return (build, (list(mapping.items()),))
        names = _stored_fields(_VALUE_CLASSES[kind])
        return (_map_of, (build, list(mapping), kind,
                          [list(map(operator.attrgetter(name), values)) for name in names]))
    return reduced


def _value_slots(cls: type) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The slots a value's stored fields go in, and those of fields kept on first use."""
    return _slots(cls, _stored_fields(cls)), _slots(cls, _kept_fields(cls))


_VALUE_KIND: Final = {cls: index for index, cls in enumerate(_VALUE_CLASSES)}
_VALUE_SLOTS: Final = {cls: _value_slots(cls) for cls in _VALUE_CLASSES}


def _instant(timestamp: float) -> pendulum.DateTime:
    return pendulum.from_timestamp(timestamp, tz=pendulum.UTC)


# Events are not among them: they are written as columns (see _columns), and an event
# anywhere else would be refused on reading (and the log replayed).
_MAKERS: Final[dict[type, Callable[..., Any]]] = {
    cls: _maker(cls, _stored_fields(cls)) for cls in _VALUE_CLASSES
}
_REBUILDERS: Final[tuple[Any, ...]] = (
    _uuid, _instant, from_items, _map_of, *_MAKERS.values(),
    _timeline.Tenure, pendulum.Date,
)
_ALLOWED: Final[dict[tuple[str, str], object]] = {
    (f.__module__, f.__qualname__): f for f in _REBUILDERS
}


def _reducers() -> dict[type, Callable[[Any], tuple[Any, ...]]]:
    table: dict[type, Callable[[Any], tuple[Any, ...]]] = {}
    table.update(copyreg.dispatch_table)  # type: ignore[arg-type]
    table[uuid.UUID] = lambda u: (_uuid, (u.int,))
    table[PMap] = _map_reducer(from_items)
    table[pendulum.DateTime] = lambda t: (_instant, (t.timestamp(),))
    for value_class, make in _MAKERS.items():
        table[value_class] = _value_reducer(make, _stored_fields(value_class))
    return table


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


# A pickler's persistent_id and an unpickler's persistent_load are given by a subclass made
# for the one dump or load, not set on the instance: Python 3.13.0 refuses them there
# (CPython issue 125631). As static methods they stay what they are, a call in C.
def _pickler(buffer: io.BytesIO, persistent_id: Callable[[Any], int | None] | None = None,
             *, reduced: bool = True) -> pickle.Pickler:
    """A protocol 5 pickler into ``buffer``; ``reduced`` writes the library's values through
    their reducers."""
    cls: type[pickle.Pickler] = pickle.Pickler
    if persistent_id is not None:
        cls = type("_PlacingPickler", (cls,), {"persistent_id": staticmethod(persistent_id)})
    pickler = cls(buffer, protocol=5)
    if reduced:
        pickler.dispatch_table = _REDUCERS
    return pickler


def _unpickler(stream: io.BytesIO, persistent_load: Callable[[Any], Any]) -> _Unpickler:
    """A checkpoint's unpickler that reads a persistent id with ``persistent_load``."""
    cls: type[_Unpickler] = type("_PlacedUnpickler", (_Unpickler,),
                                 {"persistent_load": staticmethod(persistent_load)})
    return cls(stream)


_EVENT_CLASSES: Final = tuple(_EVENT_FIELDS)
_CLASS_INDEX: Final = {cls: index for index, cls in enumerate(_EVENT_CLASSES)}
# bytes.translate tables: a 1 where an event's class index is the one asked for, else 0.
_SELECT: Final = tuple(bytes(int(code == index) for code in range(256))
                       for index in range(len(_EVENT_CLASSES)))
_ID_INT: Final = operator.attrgetter("id.int")


def _columns(written: Sequence[Event]) -> tuple[list[int], bytes, list[tuple[list[Any], ...]]]:
    """``written`` as the id of each, the class index of each, and per class its fields."""
    classes = bytes(map(_CLASS_INDEX.__getitem__, map(type, written)))
    columns = []
    for index, cls in enumerate(_EVENT_CLASSES):
        chosen = list(compress(written, classes.translate(_SELECT[index])))
        columns.append(tuple([list(map(operator.attrgetter(name), chosen))
                              for name in _EVENT_FIELDS[cls][1:]]))
    return list(map(_ID_INT, written)), classes, columns


def _event_slots(cls: type[Event]) -> tuple[Any, ...]:
    names = _EVENT_FIELDS[cls]
    if names[0] != "id":  # attrs puts the base class's fields first
        raise TypeError(f"an event's first field must be its id, not {names[0]!r}")
    return _slots(cls, names)


_EVENT_SLOTS: Final = {cls: _event_slots(cls) for cls in _EVENT_FIELDS}
_UUID_SLOTS: Final = _slots(uuid.UUID, ("int", "is_safe"))


def _build(cls: type[Event], ids: list[int], columns: Sequence[list[Any]]) -> list[Event]:
    """Events of ``cls`` with these ids and field columns, a field at a time: without a
    Python call per event, two thirds of the time the makers above would take."""
    uids = _made(uuid.UUID, len(ids), _UUID_SLOTS, (ids, repeat(_UNKNOWN_SAFETY)))
    return _made(cls, len(ids), _EVENT_SLOTS[cls], (uids, *columns))


class _Columns:
    """The events a checkpoint holds, as :func:`_columns` wrote them, built when asked for."""

    __slots__ = ("_classes", "_columns", "_id_places", "_ids", "_ranks")

    def __init__(self, ids: list[int], id_places: array[int], classes: bytes,
                 columns: Sequence[Sequence[list[Any]]], ranks: array[int]) -> None:
        if len(columns) != len(_EVENT_CLASSES) or not (
                len(classes) == len(ids) == len(id_places) == len(ranks)):
            raise ValueError("the event columns do not fit the event classes")
        for code, (cls, fields) in enumerate(zip(_EVENT_CLASSES, columns, strict=True)):
            number = classes.count(code)
            if len(fields) != len(_EVENT_FIELDS[cls]) - 1 or any(
                    len(column) != number for column in fields):
                raise ValueError(f"the columns of {cls.__name__} do not fit its events")
        # The ids are in the order of the live map's entries (see dumps): each event's id
        # is at its place in ``id_places``.
        self._ids, self._id_places, self._classes, self._ranks = ids, id_places, classes, ranks
        self._columns: list[Sequence[list[Any]] | None] = list(columns)

    def __len__(self) -> int:
        return len(self._ids)

    def event(self, index: int) -> Event:
        code = self._classes[index]
        cls = _EVENT_CLASSES[code]
        made: Event = _new(cls)
        slots = _EVENT_SLOTS[cls]
        slots[0].__set__(made, _uuid(self._ids[self._id_places[index]]))
        row = self._ranks[index]
        columns = self._columns[code]
        assert columns is not None  # (let go of only once a log, its only one, built them all)
        for slot, column in zip(slots[1:], columns, strict=True):
            slot.__set__(made, column[row])
        return made

    def columns(self, count: int) -> EventColumns | None:
        """The first ``count`` events as :func:`_columns` writes them (``None`` if let go of)."""
        classes = self._classes[:count]
        columns = []
        for code, fields in enumerate(self._columns):
            if fields is None:
                return None
            # A class's columns are in log order: its first events are the first count's.
            number = classes.count(code)
            columns.append(tuple([column[:number] for column in fields]))
        return self._ids_in_log_order(count), classes, columns

    def _ids_in_log_order(self, count: int) -> list[int]:
        """The first ``count`` events' ids, in log order (they were written in another)."""
        return list(map(self._ids.__getitem__, self._id_places[:count]))

    def fill(self, built: list[Event | None], *, release: bool) -> None:
        """Put every event ``built`` does not hold yet at its place there (index + 1), a class
        at a time; with ``release``, each class's columns are let go of once its events are
        made, so that the next class's take their room."""
        classes = self._classes
        ids = self._ids_in_log_order(len(self._ids))
        every = range(1, len(ids) + 1)
        for code, cls in enumerate(_EVENT_CLASSES):
            columns = self._columns[code]
            if release:
                self._columns[code] = None
            chosen = classes.translate(_SELECT[code])
            if columns is None or not any(chosen):
                continue
            made = _build(cls, list(compress(ids, chosen)), columns)
            del columns
            places = list(compress(every, chosen))
            if places[-1] >= len(built):  # a copy of a log, which holds fewer
                del places[bisect.bisect_left(places, len(built)):]
            # Those built already stay as they are: a timeline may hold them.
            missing = list(map(operator.is_, map(built.__getitem__, places), repeat(None)))
            _run(map(built.__setitem__, compress(places, missing), compress(made, missing)))


def _ranks(classes: bytes) -> array[int]:
    """Each event's place among the events of its class, in log order."""
    counters = [count() for _ in _EVENT_CLASSES]
    return array("Q", map(next, map(counters.__getitem__, classes)))


_FIRST_DAY: Final = operator.itemgetter(0)
_LAST_DAY: Final = operator.itemgetter(1)
_SEQ: Final = operator.itemgetter(2)
_POSITION: Final = operator.itemgetter(3)


def _live(keys: Iterable[int], entries: Iterable[_timeline.Entry], sizes: Sequence[int],
          layout: bytes) -> PMap[int, _timeline.Entry]:
    """The live-event map: its shards hold the first entries, ``sizes[n]`` in shard ``n``,
    under ``keys`` (their events' ids), placed as ``layout`` says (which places are split).

    Each shard is made in C rather than in a Python loop (a long history's live map has
    65,536 shards).
    """
    keys, values = iter(keys), iter(entries)
    shards = list(map(dict, map(zip, map(islice, repeat(keys), sizes),
                                map(islice, repeat(values), sizes))))
    if sum(map(len, shards)) != sum(sizes):
        raise ValueError("the live map's shards do not fit the entries written")
    return from_shards(shards, layout)


def _entry_columns(entries: Sequence[_timeline.Entry], position: int
                   ) -> tuple[list[int], list[int], array[int]]:
    """The first days, last days and sequences of ``entries``; a ``ValueError`` if one names
    an event the log (up to ``position``) does not hold."""
    firsts = list(map(_FIRST_DAY, entries))
    lasts = list(map(_LAST_DAY, entries))
    seqs = array("q", map(_SEQ, entries))
    if seqs != array("q", map(_POSITION, entries)) or (
            seqs and not 0 < min(seqs) <= max(seqs) <= position):
        raise ValueError("the timeline's entries name events the log does not hold")
    return firsts, lasts, seqs


def _days(firsts: Iterable[int], lasts: Iterable[int]) -> list[int]:
    """Every day an entry starts or ends on: written once, and shared by all that hold them.

    A replayed timeline shares these ints (see ``timeline.shared_day``); pickle writes each int
    anew, which at a million events would be three million ints where a few thousand do.
    """
    return sorted(set(firsts).union(lasts))


_ITEM_KEY: Final = operator.itemgetter(0)
_ITEM_VALUE: Final = operator.itemgetter(1)
_LINE_ENTRIES: Final = operator.attrgetter("entries")
_LINE_POINTS: Final = operator.attrgetter("points")
_LINE_CODES: Final = operator.attrgetter("codes")


# A checkpoint's membership lines: the rows' states and sizes, then per line in row order its
# bloc, entries, points and codes.
_LinesWritten: TypeAlias = tuple[tuple[str, ...], tuple[int, ...], tuple[str, ...],
                                 tuple[tuple[_timeline.Entry, ...], ...], tuple[tuple[int, ...], ...],
                                 tuple[tuple[int, ...], ...]]


def _lines_written(lines: PairMap[str, str, _timeline.MembershipLine]) -> _LinesWritten:
    """``lines`` as :func:`_lines_read` reads them: tuples of strings, ints and entries only,
    which hash, so that the pickler can find the days and entries among them with a look-up
    in C rather than a call to Python for each object (about three million at a million
    events)."""
    states: list[str] = []
    sizes: list[int] = []
    blocs: list[str] = []
    values: list[_timeline.MembershipLine] = []
    for state in lines.rows:
        items = list(lines.row_items(state))
        states.append(state)
        sizes.append(len(items))
        blocs += map(_ITEM_KEY, items)
        values += map(_ITEM_VALUE, items)
    if any(type(value) is not _timeline.MembershipLine for value in values):
        raise ValueError("the membership lines hold a value that is not a line")
    return (tuple(states), tuple(sizes), tuple(blocs), tuple(map(_LINE_ENTRIES, values)),
            tuple(map(_LINE_POINTS, values)), tuple(map(_LINE_CODES, values)))


def _lines_read(written: _LinesWritten) -> PairMap[str, str, _timeline.MembershipLine]:
    """The membership lines :func:`_lines_written` wrote, made a field at a time in C."""
    states, sizes, blocs, *columns = written
    if not (len(states) == len(sizes) and sum(sizes) == len(blocs)):
        raise ValueError("the membership lines' rows do not fit their blocs")
    cls = _timeline.MembershipLine
    slots, kept = _VALUE_SLOTS[cls]
    made = _made(cls, len(blocs), (*slots, *kept), (*columns, *[repeat(None)] * len(kept)))
    keys = zip(chain.from_iterable(map(repeat, states, sizes)), blocs, strict=True)
    return pairs_from_items(zip(keys, made, strict=True))


_ARRAY_TYPES: Final[tuple[Any, ...]] = ("d", "Q", "Q", "Q", "Q", "q")  # see dumps; 8 bytes each


def _copied(typecode: str, view: memoryview) -> array[Any]:
    """An array of ``view``'s numbers, which no longer needs the checkpoint's bytes."""
    copied = array(typecode)
    copied.frombytes(view.cast("B"))
    return copied


def dumps(state: RegistryState) -> bytes:
    """The checkpoint bytes of ``state``."""
    timeline = state.timeline
    head, built = state.events.columns(state.position)
    live_shards = [list(shard.values()) for shard in timeline.live.shards()]
    # The entries the timeline's maps hold, live ones first in the live map's order.
    entries = [entry for shard in live_shards for entry in shard]
    entries += [entry for shard in timeline.retractions.shards() for entry in shard.values()]
    firsts, lasts, seqs = _entry_columns(entries, state.position)
    days = _days(firsts, lasts)
    ids, classes, columns = _columns(built)
    if head is not None:  # the first events' columns, as the checkpoint read gave them
        ids, classes, columns = (head[0] + ids, head[1] + classes,
                                 [tuple([first + later for first, later in zip(h, t, strict=True)])
                                  for h, t in zip(head[2], columns, strict=True)])
    # The ids are written in the live map's order, then the others' in log order: reading
    # makes the live map's keys by walking them as they were made, not all over memory.
    live = bytearray(len(ids))
    id_order = [entry[3] - 1 for shard in live_shards for entry in shard]
    for index in id_order:
        live[index] = 1
    id_order += compress(range(len(ids)), map(operator.not_, live))
    id_places = array("Q", bytes(8 * len(ids)))
    for place, index in enumerate(id_order):
        id_places[index] = place
    # Reading puts the days and the entries in one list, in that order: the entries'
    # arrays and the pickles after them refer to each by its place there. An entry is found
    # by its value, as each holds its own event's position.
    day_place = {day: index for index, day in enumerate(days)}
    # (The days again, with the entries: the arrays' two million look-ups of a day stay in
    # the small dict above, not in this one of a million entries more.)
    places: dict[object, int] = dict(zip(days, count()))
    places.update(zip(entries, count(len(days))))
    buffer = io.BytesIO()
    _pickler(buffer).dump((list(map(ids.__getitem__, id_order)), classes, columns, days,
                           state.position, len(entries),
                           [len(shard) for shard in live_shards], timeline.live.layout()))
    # Arrays of a number per event, then per entry, as they are: read as views of the
    # checkpoint's bytes, they need no copy. The entries are made from them in C.
    for values in (
        state.stamps,  # the instant each event was recorded at
        id_places,  # where its id was written
        _ranks(classes),  # its place among the events of its class
        array("Q", map(day_place.__getitem__, firsts)),
        array("Q", map(day_place.__getitem__, lasts)),
        seqs,  # (an entry's sequence is its event's position)
    ):
        buffer.write(values)

    # Then a second pickle, so that reading can let go of the columns (which the first one's
    # memo holds) before it reads on, and a third of the membership lines. In both an entry,
    # or an int that is one of the days, is written as its place. (They hold no event.)
    def shared(value: object) -> int | None:
        if type(value) is int or (type(value) is tuple and len(value) == 4):
            with contextlib.suppress(TypeError):  # (a tuple holding what does not hash)
                return places.get(value)
        return None

    _pickler(buffer, shared).dump((
        state.instants,
        state.not_live,
        {name: getattr(timeline, name) for name in _TIMELINE_FIELDS
         if name not in ("live", "memberships")},
    ))
    # The lines hold only strings, ints and tuples, all of which hash: the look-up is the
    # persistent id itself, in C. What equals a day or an entry without being it (a code
    # 0 and the day 0 of a retraction's entry) is read back as that equal value.
    _pickler(buffer, places.get, reduced=False).dump(_lines_written(timeline.memberships))
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
        stream = io.BytesIO(data)  # shares the bytes, where a view of them would be copied
        stream.seek(head + 64)
        (ids, classes, columns, days, position, entry_count, live_sizes,
         live_layout) = _Unpickler(stream).load()
        view, start = memoryview(data), stream.tell()
        arrays = []
        for typecode, number in zip(_ARRAY_TYPES, (position,) * 3 + (entry_count,) * 3,
                                    strict=True):
            end = start + 8 * number
            if end > len(data):
                raise ValueError(f"its arrays need {end - len(data)} bytes more than it has")
            arrays.append(view[start:end].cast(typecode))
            start = end
        stamps, id_places, ranks, first_days, last_days, seqs = arrays
        if position and max(id_places) >= len(ids):
            raise ValueError("the places of the ids name more than were written")
        events = EventLog(_Columns(ids, _copied("Q", id_places), classes, columns,
                                   _copied("Q", ranks)))
        if len(events) != position:
            raise ValueError("the event columns do not cover the position")
        # An entry names its event by position, as its sequence: the same int.
        positions = seqs.tolist()
        if positions and not 0 < min(positions) <= max(positions) <= position:
            raise ValueError("the entries name events the log does not hold")
        # The entries' arrays and the second part refer to a day or an entry by its place
        # here.
        table: list[Any] = days
        place, day_count = table.__getitem__, len(days)
        table += zip(map(place, first_days), map(place, last_days), positions, positions,
                     strict=True)
        # The entries are only in the table: a list of their own, freed after the live map
        # is made, would leave a hole in the heap that nothing later fills.
        entries = islice(table, day_count, None)
        stream.seek(start)
        unpickler = _unpickler(stream, place)
        instants, not_live, fields = unpickler.load()
        unpickler = _unpickler(stream, place)  # (a pickle of its own: its memo starts anew)
        memberships = _lines_read(unpickler.load())
        if stream.tell() != len(data):
            raise ValueError(f"{len(data) - stream.tell()} bytes follow its last part")
        del unpickler
        # The live entries' keys, their events' ids, were written first, in their order.
        live = _live(ids, entries, live_sizes, live_layout)
        del entries, table, days, place, positions  # what is made next takes their room
        timeline = Timeline(live=live, events=events, memberships=memberships, **fields)
        restored = _copied("d", stamps)
    except Exception as error:
        raise CheckpointUnusable(f"it cannot be read ({error})", damaged=True) from None
    if not (isinstance(position, int) and len(events) == len(restored) == position):
        raise CheckpointUnusable("its parts do not agree on the position it covers", damaged=True)
    return RegistryState(position, events, restored, instants, not_live, timeline)
