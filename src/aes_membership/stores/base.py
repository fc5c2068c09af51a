"""The store protocol every backend implements, and the row format they share.

A store is an append-only log. Positions start at 1 and increase by one per event, in commit
order. Appends name the position they expect the log to be at; a store that has moved on
refuses the batch with :class:`~aes_membership.errors.ConcurrencyError`, and the writer catches
up, validates again and retries. A batch is one transaction: all of it or none of it.

Each row carries a hash chained over the previous row's hash and its own canonical text, so
that :meth:`Store.verify` can find the first row edited, removed, reordered or inserted behind
the library's back.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import operator
import re
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import repeat
from typing import NamedTuple, Protocol, TypeAlias, runtime_checkable

import attrs
import pendulum

from ..codec import Codec, default_codec
from ..dates import parse_instant, utc_now
from ..errors import (
    DateError,
    DecodeError,
    DuplicateEventError,
    FieldError,
    TamperError,
    check_number,
    shown,
)
from ..events import Event

__all__ = [
    "GENESIS_HASH",
    "SCHEMA_VERSION",
    "Instants",
    "Recorded",
    "Row",
    "Store",
    "VerifyReport",
    "chain_hash",
    "check_batch",
    "check_checkpoint_data",
    "check_duplicates",
    "check_position",
    "check_wait",
    "decode_row",
    "decode_rows",
    "decode_stored",
    "encode_rows",
    "first_not_event",
    "format_instant",
    "instants_not_one_per_event",
    "missing_anchor",
    "next_recorded_at",
    "parse_stored_instant",
    "recorded_envelopes",
    "redact_dsn",
    "seconds",
    "verify_rows",
]

SCHEMA_VERSION = 1
GENESIS_HASH = "0" * 64
_ID_INT = operator.attrgetter("id.int")
_new_tuple = tuple.__new__
_POSITION = operator.itemgetter(0)
_LAST_POSITION = 2**63 - 1  # SQLite's INTEGER and PostgreSQL's bigint
# What may backdate a batch: one instant for every event, or one per event (aware datetimes,
# or ISO text with an offset).
Instants: TypeAlias = _dt.datetime | str | Sequence[_dt.datetime | str]


class Recorded(NamedTuple):
    """An event as the log holds it: its position and the instant it was recorded."""

    position: int
    recorded_at: pendulum.DateTime
    event: Event


class Row(NamedTuple):
    """One stored event in the backends' shared text form (a tuple in the column order of the
    tables, so that drivers take it as it is)."""

    position: int
    event_id: str
    type: str
    version: int
    effective: str | None
    recorded_at: str
    payload: str
    hash: str


@attrs.frozen
class VerifyReport:
    """The result of re-reading a store's hash chain."""

    ok: bool
    checked: int
    position: int | None = None
    detail: str | None = None

    def raise_for_error(self) -> None:
        """Raise :class:`TamperError` if the chain is broken."""
        if not self.ok:
            assert self.position is not None and self.detail is not None
            raise TamperError(self.position, self.detail)


def format_instant(instant: pendulum.DateTime) -> str:
    """Recorded instants are stored as fixed-width UTC text, so text order is time order."""
    return instant.in_timezone(pendulum.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_stored_instant(text: str) -> pendulum.DateTime:
    return pendulum.DateTime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=pendulum.UTC)


def chain_hash(previous: str, row_text: str) -> str:
    return hashlib.sha256(f"{previous}\n{row_text}".encode()).hexdigest()


def _row_text(position: int, event_id: str, type_tag: str, version: int, recorded_at: str,
              payload: str) -> str:
    return f"{position}|{event_id}|{type_tag}|{version}|{recorded_at}|{payload}"


def instants_not_one_per_event(given: Sequence[object], count: int) -> FieldError:
    """The error for recording instants given per event whose number is not ``count``."""
    return FieldError("recorded_at", given, f"one instant per event ({count})",
                      shown=f"{len(given)} instant{'' if len(given) == 1 else 's'}")


def next_recorded_at(
    last: pendulum.DateTime | None,
    requested: Instants | None,
    count: int = 1,
) -> list[pendulum.DateTime]:
    """The instants to stamp on a batch of ``count`` events.

    Never before the last recorded instant, never in the future. ``requested`` backdates the
    batch (loading a history with its original recording instants): one instant for all, or
    one per event, in non-decreasing order.
    """
    now = utc_now()
    if requested is None:
        stamp = now if last is None or now > last else last
        return [stamp] * count
    if isinstance(requested, (str, _dt.datetime)):
        stamps = [parse_instant(requested, field="recorded_at")] * count
    elif isinstance(requested, Sequence):
        # In UTC, as the store gives them back; those already so (a registry's) are kept.
        stamps = [stamp if stamp.__class__ is pendulum.DateTime and stamp.tzinfo is pendulum.UTC
                  else parse_instant(stamp, field="recorded_at") for stamp in requested]
    else:
        raise FieldError("recorded_at", requested,
                         "an instant (an aware datetime or ISO text), or one per event")
    if len(stamps) != count:
        raise instants_not_one_per_event(stamps, count)
    previous = last
    for stamp in stamps:
        if previous is not None and stamp < previous:
            raise DateError(
                stamp,
                f"an instant at or after the last recorded one ({previous.isoformat()})",
                field="recorded_at",
            )
        if stamp > now:
            raise DateError(stamp, "an instant that is not in the future", field="recorded_at")
        previous = stamp
    return stamps


def encode_rows(
    events: Sequence[Event],
    *,
    first_position: int,
    recorded_at: Sequence[pendulum.DateTime],
    previous_hash: str,
    codec: Codec | None = None,
) -> list[Row]:
    codec = codec or default_codec()
    writers = codec._row_writers()
    rows: list[Row] = []
    append = rows.append
    sha256 = hashlib.sha256
    previous = previous_hash
    stamped: pendulum.DateTime | None = None  # a batch mostly shares one instant
    stamp = ""
    position = first_position - 1
    for event, instant in zip(events, recorded_at, strict=True):
        position += 1
        if instant is not stamped:
            stamp, stamped = format_instant(instant), instant
        # str(event.id), written out (UUID.__str__ is a Python call): the hex of its 16 bytes,
        # a quarter faster than "%032x" % int, then the dashes.
        digits = event.id.int.to_bytes(16).hex()
        event_id = f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
        found = writers.get(type(event))
        if found is None:
            type_tag, version, text, effective = codec._encode_row(event, event_id)
        else:
            type_tag, version, write = found
            text, effective = write(event, event_id)
        # chain_hash(previous, _row_text(...)), written out: two calls per event fewer.
        previous = sha256(f"{previous}\n{position}|{event_id}|{type_tag}|{version}|{stamp}|{text}"
                          .encode()).hexdigest()
        # Row(...) without the call to its generated __new__, which makes the same tuple.
        append(_new_tuple(Row, (position, event_id, type_tag, version, effective, stamp, text,
                                previous)))
    return rows


def recorded_envelopes(rows: Sequence[Row], stamps: Sequence[pendulum.DateTime],
                       events: Sequence[Event]) -> list[Recorded]:
    """The envelopes of ``events``, stored as ``rows`` at ``stamps`` (all three in one order).

    Made in C: a batch may hold a million events, and a call to ``Recorded`` per event
    would cost a fifth of a second more.
    """
    return list(map(_new_tuple, repeat(Recorded),
                    zip(map(_POSITION, rows), stamps, events, strict=True)))


def decode_stored(codec: Codec, position: int, type_tag: str, version: int, payload: str) -> Event:
    """Decode a stored row's event; a row that cannot be read names its position."""
    try:
        return codec.decode_stored(type_tag, version, json.loads(payload))
    except DecodeError as error:
        raise DecodeError(error.problems, position=position,
                          version_mismatch=error.version_mismatch) from None
    except ValueError as error:  # not JSON at all
        raise DecodeError([f"the payload is not JSON ({error})"], position=position) from None


def _stored_instant(position: int, recorded_at: str) -> pendulum.DateTime:
    try:
        return parse_stored_instant(recorded_at)
    except ValueError:
        raise DecodeError([f"recorded_at {recorded_at!r} is not a stored instant"],
                          position=position) from None


def decode_row(
    position: int, type_tag: str, version: int, recorded_at: str, payload: str,
    codec: Codec | None = None,
) -> Recorded:
    event = decode_stored(codec or default_codec(), position, type_tag, version, payload)
    return Recorded(position, _stored_instant(position, recorded_at), event)


def decode_rows(rows: Iterable[tuple[int, str, int, str, str]], codec: Codec) -> Iterator[Recorded]:
    """Decode (position, type, version, recorded_at, payload) rows in order.

    A batch shares one recorded instant: it is parsed once and the same object reused.
    """
    instants: dict[str, pendulum.DateTime] = {}
    for position, type_tag, version, recorded_at, payload in rows:
        instant = instants.get(recorded_at)
        if instant is None:
            instant = instants[recorded_at] = _stored_instant(position, recorded_at)
        yield Recorded(int(position), instant,
                       decode_stored(codec, position, type_tag, version, payload))


def verify_rows(rows: Iterator[tuple[int, str, str, int, str, str, str]], *, after: int = 0,
                previous: str = GENESIS_HASH) -> VerifyReport:
    """Re-check a chain of (position, id, type, version, recorded_at, payload, hash) rows.

    The rows start after position ``after``, whose row's hash is ``previous``.
    """
    expected_position = after + 1
    checked = 0
    for position, event_id, type_tag, version, recorded_at, payload, digest in rows:
        if position != expected_position:
            return VerifyReport(
                False, checked, expected_position,
                f"expected position {expected_position}, found {position} (a row is missing)",
            )
        text = _row_text(position, event_id, type_tag, version, recorded_at, payload)
        if chain_hash(previous, text) != digest:
            return VerifyReport(
                False, checked, position,
                "the row's content or order does not match its hash (edited, swapped or inserted)",
            )
        previous = digest
        expected_position += 1
        checked += 1
    return VerifyReport(True, checked)


def missing_anchor(after: int) -> VerifyReport:
    """The report on a chain checked from a row that is not there."""
    return VerifyReport(False, 0, after, f"row {after}, where the check was to start, is missing")


def redact_dsn(dsn: str) -> str:
    """The connection string with its password replaced by ``***`` (for error messages and
    for what the command line prints: a URL of any kind, or libpq's keyword pairs)."""
    # A URL's password runs to the last "@": one left unescaped may hold "@" and "/".
    dsn = re.sub(r"(://[^:/@]*:).*@", r"\1***@", dsn, flags=re.DOTALL)
    # A pair's value may be quoted, with spaces and escaped quotes inside.
    return re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'?|\S+)", r"\1***", dsn,
                  flags=re.IGNORECASE | re.DOTALL)


def check_flag(field: str, value: object) -> None:
    """Refuse an option that is not ``True`` or ``False`` (``create="no"`` is true to Python)."""
    if type(value) is not bool:
        raise FieldError(field, value, "True or False")


def store_codec(codec: object) -> Codec:
    """The codec a store is given, or the default one; anything else is refused by name
    rather than failing at the first event written."""
    if codec is None:
        return default_codec()
    if not isinstance(codec, Codec):
        raise FieldError("codec", codec, "an aes_membership.codec.Codec, or None for the default")
    return codec


def check_checkpoint_data(data: object) -> None:
    """Refuse checkpoint data that is not bytes (a driver would store text, or fail deep)."""
    if not isinstance(data, bytes):
        raise FieldError("data", data, "the checkpoint's bytes", shown=type(data).__name__)


def check_position(field: str, value: object, *, last: int | None = None,
                   recorded: bool = False, bound: bool = True) -> int:
    """``value`` as a log position: a whole number from 0, or from 1 if it must be a
    ``recorded`` event's (a checkpoint's), up to ``last`` if given; one that is to be
    ``bound`` in a query is at most the stores' largest integer.

    Integers of other types (NumPy's, from a frame) are taken; booleans are not, since
    ``True`` would silently stand for position 1, nor is text, which SQLite would compare
    as text rather than refuse.
    """
    first = 1 if recorded else 0
    try:
        position = operator.index(value)  # type: ignore[arg-type]  # (checked right here)
    except TypeError:
        position = -1
    if isinstance(value, bool) or position < first or (last is not None and position > last):
        kind = "a recorded position" if recorded else "a log position"
        raise FieldError(field, value, f"{kind} ≥ {first}" if last is None
                         else f"{kind} from {first} to {last}")
    # Past the stores' largest integer no position can be, nor anything after it; the drivers
    # would refuse to bind the number.
    return min(position, _LAST_POSITION) if bound else position


def check_wait(after: object, timeout: object) -> tuple[int, float]:
    """Refuse a wait after something that is not a log position, or for a time that is not
    a number of seconds ≥ 0; returns both, the time at most what a lock can wait (so that
    ``math.inf`` waits as long as there is)."""
    check_number("timeout", timeout, least=0)
    wait = seconds(timeout)  # type: ignore[arg-type]  # (a number: checked above)
    return check_position("after", after), min(wait, threading.TIMEOUT_MAX)


def seconds(number: float) -> float:
    """A number of seconds as a float: one too large for a float is as long as there is."""
    try:
        return float(number)
    except OverflowError:
        return math.inf


def first_not_event(items: Sequence[object]) -> tuple[int, object] | None:
    """The index and item of the first of ``items`` that is not an event, or None."""
    if all(map(isinstance, items, repeat(Event))):  # in C: 30 ms for a million
        return None
    return next((i, item) for i, item in enumerate(items) if not isinstance(item, Event))


def check_batch(events: object, expected_position: object) -> int:
    """Refuse a batch that is not a sequence of events, or an expected position that is
    not a log position; returns the position as an ``int``."""
    if isinstance(events, (str, bytes)) or not isinstance(events, Sequence):
        raise TypeError(f"append() takes a sequence of events (a list), got "
                        f"{type(events).__name__}")
    stray = first_not_event(events)
    if stray is not None:
        index, item = stray
        raise TypeError(f"append() takes events, got {type(item).__name__} {shown(item)} "
                        f"at index {index}")
    # (compared with the store's position, never bound: an error names it as given)
    return check_position("expected_position", expected_position, bound=False)


def check_duplicates(
    events: Sequence[Event], stored: Mapping[uuid.UUID, Event]
) -> tuple[list[Event], list[Event]]:
    """Split a batch into events to append and already-stored identical events.

    ``stored`` maps the ids of the batch that the store already holds to their events.
    """
    if not stored and len(set(map(_ID_INT, events))) == len(events):
        return list(events), []  # the common case, found in C: no id stored or repeated
    fresh: list[Event] = []
    existing: list[Event] = []
    seen: dict[int, Event] = {}  # by the id's integer: hashed in C, a UUID's hash is not
    for event in events:
        key = event.id.int
        recorded = stored.get(event.id) if stored else None
        earlier = recorded or seen.get(key)
        if earlier is not None:
            if earlier != event:
                raise DuplicateEventError(event.id, in_batch=recorded is None)
            existing.append(earlier)
            continue
        seen[key] = event
        fresh.append(event)
    return fresh, existing


@runtime_checkable
class Store(Protocol):
    """What the registry needs from a backend.

    Every method refuses arguments of no use before it touches the log (the contract suite
    checks it): positions that are not whole numbers ≥ 0 (``check_position``), batches that
    are not sequences of events (``check_batch``), instants that are not aware, timeouts
    that are not seconds ≥ 0 and checkpoint data that is not bytes.
    """

    def append(
        self,
        events: Sequence[Event],
        *,
        expected_position: int,
        recorded_at: Instants | None = None,
    ) -> list[Recorded]:
        """Append a batch atomically if the log is at ``expected_position``.

        Events whose id is already stored with the same content are skipped (idempotent
        retries); the same id with other content raises ``DuplicateEventError``.
        ``recorded_at`` backdates the batch: one instant for all, or one per event, kept in
        UTC (``next_recorded_at``). Returns the newly recorded events.
        """
        ...

    def read(self, after: int = 0) -> Iterator[Recorded]:
        """Every event after position ``after``, in position order."""
        ...

    def last_position(self) -> int:
        """The position of the last event (0 for an empty log)."""
        ...

    def wait(self, after: int, timeout: float) -> bool:
        """Block until the log passes ``after`` or ``timeout`` seconds pass; True if it did."""
        ...

    def verify(self, after: int = 0) -> VerifyReport:
        """Re-read the log after position ``after`` and check its hash chain.

        ``after=0`` checks every row; otherwise the chain is checked from the stored hash of
        row ``after`` on (a missing row ``after`` is reported as a break there).
        """
        ...

    def save_checkpoint(self, position: int, data: bytes) -> None:
        """Keep ``data`` as the checkpoint of the log up to ``position``, replacing any other.

        The checkpoint is anchored on the hash of row ``position``; a position the log has
        not reached raises ``ValueError``.
        """
        ...

    def load_checkpoint(self) -> tuple[int, bytes] | None:
        """The checkpoint kept, as (position, data), if row ``position`` still has the hash
        it had when the checkpoint was saved; otherwise ``None``."""
        ...

    def close(self) -> None:
        """Release the store's connections."""
        ...
