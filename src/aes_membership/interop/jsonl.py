"""JSON Lines: the canonical, lossless exchange and backup format.

One event per line, with its envelope::

    {"position": 1, "recorded_at": "2023-09-16T18:00:00.000000Z", "type": "state-joined",
     "version": 1, "event": {"id": "…", "state": "MLI", "bloc": "AES", "on": "2023-09-16"}}

Exports stream line by line. Imports read line by line, decode every line (a bad line is
reported with its number and the field at fault), and record everything as one batch: the
target registry gets all of the file or none of it.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterator
from typing import Any, Literal

import pendulum

from ..codec import Codec, default_codec
from ..dates import parse_instant
from ..errors import DateError, DecodeError, DuplicateEventError, FieldError, UnknownIdError, shown
from ..events import Event
from ..registry import KnownAt, Registry
from ..stores.base import Recorded, format_instant
from ._files import Source, check_text, parse_json, reading, writing
from .progress import Progress, check_progress

__all__ = ["export_events", "import_events", "read_events"]


def _codec(codec: object) -> Codec:
    """``codec``, or the default one for None; anything else would fail on the first event."""
    if codec is None:
        return default_codec()
    if not isinstance(codec, Codec):
        raise TypeError(f"codec: expected an aes_membership Codec, got {type(codec).__name__} "
                        f"{shown(codec)}")
    return codec


def _line(record: Recorded, codec: Codec) -> str:
    type_tag, version, payload = codec.encode(record.event)
    compact = {k: v for k, v in payload.items() if v is not None and v != {}}
    envelope: dict[str, Any] = {
        "position": record.position,
        "recorded_at": format_instant(record.recorded_at),
        "type": type_tag,
        "version": version,
        "event": compact,
    }
    return json.dumps(envelope, ensure_ascii=False)


def export_events(
    registry: Registry, target: Source, *, as_known_at: KnownAt = None, codec: Codec | None = None
) -> int:
    """Write every recorded event (retractions included) to ``target``; returns the count.

    With ``as_known_at``, only the events recorded by then.
    """
    codec = _codec(codec)
    records = registry.learned(until=as_known_at) if as_known_at is not None else registry.events()
    with writing(target) as out:
        for record in records:
            out.write(_line(record, codec))
            out.write("\n")
    return len(records)


def read_events(
    source: Source, *, codec: Codec | None = None
) -> Iterator[tuple[Event, pendulum.DateTime | None]]:
    """Decode a JSON Lines file lazily: (event, recorded_at) pairs, one per non-blank line."""
    for _, event, instant in _read(source, _codec(codec)):
        yield event, instant


def _recorded(registry: Registry, event: Event) -> bool:
    """Whether ``registry`` holds ``event`` already."""
    try:
        return registry.get(event.id).event == event
    except UnknownIdError:
        return False


def _read(source: Source, codec: Codec
          ) -> Iterator[tuple[int, Event, pendulum.DateTime | None]]:
    """(line number, event, recorded_at) for each non-blank line."""
    with reading(source, errors="surrogateescape") as handle:
        for number, text in enumerate(handle, start=1):
            check_text(text, number)
            if number == 1:
                text = text.removeprefix("\ufeff")  # a byte-order mark, as some editors write
            if not text.strip():
                continue
            data = parse_json(text, line=number)
            if not isinstance(data, dict):
                raise DecodeError([f"expected an object, got {data!r} @ $"], line=number)
            unknown = set(data) - {"position", "recorded_at", "type", "version", "event"}
            if unknown:
                raise DecodeError([f"unexpected field(s) {', '.join(sorted(unknown))} @ $"],
                                  line=number)
            try:
                event = codec.decode(data.get("type"), data.get("version", 1), data.get("event"))
            except DecodeError as error:  # the payload's paths are under $.event here
                problems = [p if "@ $.type" in p or "@ $.version" in p
                            else p.replace("@ $", "@ $.event", 1) for p in error.problems]
                raise DecodeError(problems, line=number,
                                  version_mismatch=error.version_mismatch) from None
            stamp = data.get("recorded_at")
            try:
                instant = parse_instant(stamp, field="recorded_at") if stamp is not None else None
            except DateError as error:
                raise DecodeError([f"{error} @ $.recorded_at"], line=number) from None
            yield number, event, instant


def import_events(
    registry: Registry,
    source: Source,
    *,
    recorded_at: Literal["keep", "now"] = "keep",
    codec: Codec | None = None,
    progress: Progress | None = None,
) -> int:
    """Record every event of a JSON Lines file into ``registry`` as one batch.

    ``recorded_at="keep"`` keeps the file's recording instants (they must not precede the
    registry's last one); ``"now"`` records everything at the current instant. Events already
    recorded (same id, same content) are skipped, so importing a file twice is harmless.
    Returns the number of events read.
    """
    if recorded_at not in ("keep", "now"):
        raise FieldError("recorded_at", recorded_at, "'keep' or 'now'")
    check_progress(progress)
    events: list[Event] = []
    numbers = array("q")  # each event's line, to name it if the registry refuses its id
    stamps: list[pendulum.DateTime] = []  # kept while every line has one
    keep = recorded_at == "keep"
    back: DecodeError | None = None  # the first instant that goes back, if they are kept
    for number, event, instant in _read(source, _codec(codec)):
        events.append(event)
        numbers.append(number)
        if keep and instant is None:
            keep = False  # a line without one: the batch is recorded now
        elif keep and instant is not None:
            if back is None and stamps and instant < stamps[-1]:
                back = DecodeError([f"recorded_at {format_instant(instant)} is before the "
                                    f"previous event's ({format_instant(stamps[-1])}), and a "
                                    "log never goes back @ $.recorded_at"], line=number)
            stamps.append(instant)
        if progress is not None and len(events) % 1000 == 0:
            progress("reading", len(events), None)
    if keep and back is not None:
        raise back
    if progress is not None:
        progress("recording", 0, len(events))
    try:
        if keep and events:
            registry.record(*events, recorded_at=stamps)
        else:
            registry.record(*events)
    except DateError as error:  # an instant the registry's log cannot take: name its line
        stamp = error.value
        if not (keep and error.field == "recorded_at" and isinstance(stamp, pendulum.DateTime)
                and stamp in stamps):
            raise
        # The first line with that instant whose event the registry did not hold already.
        line = next((n for e, t, n in zip(events, stamps, numbers, strict=True)
                     if t == stamp and not _recorded(registry, e)), numbers[stamps.index(stamp)])
        raise DecodeError([f"recorded_at {format_instant(stamp)}: expected {error.expected}; "
                           "recorded_at='now' records the file at the current instant instead "
                           "@ $.recorded_at"], line=line) from None
    except DuplicateEventError as error:
        if error.line is not None:
            raise
        lines = [n for e, n in zip(events, numbers, strict=True) if e.id == error.event_id]
        # The line at fault: the id's second, if the file gives it twice; else its only one.
        at = lines[1] if error.in_batch and len(lines) > 1 else lines[0] if lines else None
        raise DuplicateEventError(error.event_id, in_batch=error.in_batch, line=at) from None
    if progress is not None:
        progress("recorded", len(events), len(events))
    return len(events)

