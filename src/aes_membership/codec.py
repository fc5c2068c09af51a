"""Events to and from plain data (JSON-ready dicts), with strict validation and upcasting.

The converter follows cattrs' ``configure_converter()`` / ``make_converter()`` convention.
Strict hooks are registered first and the tagged union of events last, because
``configure_tagged_union`` captures the member classes' hooks when it is called.

Stored payloads carry their type tag and schema version beside them. Reading a payload written
by an older version runs the registered upcasters, one version step at a time, before the
payload is structured; a payload from a newer version is refused rather than misread.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeAlias

import attrs
import cattrs
import pendulum
from cattrs.strategies import configure_tagged_union

from ._memo import memo
from .dates import PartialDate, When, parse_when
from .errors import DateError, DecodeError, FieldError, shown
from .events import Event, as_recorded, event_classes

__all__ = [
    "TAG_KEY",
    "Codec",
    "Upcaster",
    "canonical_json",
    "configure_converter",
    "default_codec",
    "make_converter",
]

TAG_KEY: Final = "type"
Upcaster: TypeAlias = Callable[[dict[str, Any]], dict[str, Any]]
# Writes an event's canonical JSON payload, given its id's text, and the text of its
# effective date (None if it has none).
RowWriter: TypeAlias = Callable[[Any, str], tuple[str, str | None]]

_CLASSES: Final = {cls.TYPE: cls for cls in event_classes()}
# Held while the default codec or a codec's converter is made (each once, on first use).
_MAKING: Final = threading.Lock()


def _strict_str(value: object, _: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__} {shown(value)}")
    return value


def _strict_int(value: object, _: object) -> int:
    if type(value) is not int:
        raise TypeError(f"expected a whole number, got {type(value).__name__} {shown(value)}")
    return value


def _strict_bool(value: object, _: object) -> bool:
    if type(value) is not bool:
        raise TypeError(f"expected true or false, got {type(value).__name__} {shown(value)}")
    return value


def _structure_when(value: object, _: object) -> When:
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO date text, got {type(value).__name__} {shown(value)}")
    try:
        return parse_when(value)
    except DateError as error:
        raise ValueError(f"invalid date {value!r}: expected {error.expected}") from None


def _structure_optional_when(value: object, _: object) -> When | None:
    return None if value is None else _structure_when(value, _)


def _unstructure_when(value: When) -> str:
    return value.isoformat()


def _structure_uuid(value: object, _: object) -> uuid.UUID:
    if not isinstance(value, str):
        raise TypeError(f"expected a UUID text, got {type(value).__name__} {shown(value)}")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValueError(f"expected a UUID, got {value!r}") from None


def configure_converter(converter: cattrs.Converter) -> None:
    """Teach ``converter`` the event vocabulary: strict scalars, dates, UUIDs, the event union."""
    converter.register_structure_hook(str, _strict_str)
    converter.register_structure_hook(int, _strict_int)
    converter.register_structure_hook(bool, _strict_bool)
    converter.register_structure_hook(uuid.UUID, _structure_uuid)
    converter.register_unstructure_hook(uuid.UUID, str)
    converter.register_structure_hook_func(lambda t: t == When, _structure_when)
    converter.register_structure_hook_func(lambda t: t == (When | None), _structure_optional_when)
    converter.register_unstructure_hook(pendulum.Date, _unstructure_when)
    converter.register_unstructure_hook(PartialDate, _unstructure_when)
    converter.register_unstructure_hook_func(lambda t: t == When, _unstructure_when)
    configure_tagged_union(
        _event_union(),
        converter,
        tag_generator=lambda cls: str(getattr(cls, "TYPE")),  # noqa: B009 - classes typed as plain type
        tag_name=TAG_KEY,
    )


def _event_union() -> Any:
    classes = event_classes()
    union: Any = classes[0]
    for cls in classes[1:]:
        union = union | cls
    return union


def make_converter() -> cattrs.Converter:
    """A new converter configured for events; it rejects unknown fields."""
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    configure_converter(converter)
    return converter


def _format_exception(exc: BaseException, type_: Any) -> str:
    if isinstance(exc, KeyError):
        return f"required field missing ({exc})"
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        return f"unexpected field(s) {', '.join(sorted(exc.extra_fields))}"
    return str(exc) or type(exc).__name__


_FIELD_MESSAGE: Final = re.compile(r"(\w+): (.*) @ \$$", re.DOTALL)


def _pin_field(problem: str) -> str:
    # attrs validators name their field in the message; move it into the path.
    match = _FIELD_MESSAGE.fullmatch(problem)
    return f"{match.group(2)} @ $.{match.group(1)}" if match else problem


def canonical_json(data: Mapping[str, Any]) -> str:
    """The one text form of a payload: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Codec:
    """Encodes events to (tag, version, payload) and decodes them back, upcasting old payloads."""

    def __init__(self, converter: cattrs.Converter | None = None) -> None:
        # A converter of the caller's own may encode differently: then cattrs does all the work.
        self._fast = converter is None
        # The library's own rows are written and read without a converter; making the default
        # one takes 30–50 ms, so it is made when first needed (a row it must validate).
        self._converter = converter
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    @property
    def converter(self) -> cattrs.Converter:
        """The cattrs converter behind the validating decode (and every encode, if it is the
        caller's own)."""
        if self._converter is None:
            # Hooks a caller registers on it must not land on a converter another thread
            # made at the same moment and then lost.
            with _MAKING:
                if self._converter is None:
                    self._converter = make_converter()
        return self._converter

    def register_upcaster(self, type_tag: str, from_version: int, upcaster: Upcaster) -> None:
        """Upgrade payloads of ``type_tag`` at ``from_version`` to ``from_version + 1``.

        ``upcaster`` takes the payload (a dict) and returns the next version's; what it
        raises, or a result that is not a dict, makes the decoding a :class:`DecodeError`.
        """
        cls = _CLASSES.get(type_tag) if isinstance(type_tag, str) else None
        if cls is None:
            raise FieldError("type_tag", type_tag, f"an event type ({', '.join(sorted(_CLASSES))})")
        if type(from_version) is not int or not 1 <= from_version < cls.VERSION:
            raise FieldError("from_version", from_version,
                             f"a version of {type_tag} from 1 to {cls.VERSION - 1} (the current "
                             f"one is {cls.VERSION}: an upcaster from it would never run)"
                             if cls.VERSION > 1 else
                             f"a version below {type_tag}'s current one, 1: there is none")
        if not callable(upcaster):
            raise TypeError(f"upcaster: expected a function of the payload, got {shown(upcaster)}")
        self._upcasters[(type_tag, from_version)] = upcaster

    def encode(self, event: Event) -> tuple[str, int, dict[str, Any]]:
        """The event's type tag, schema version and JSON-ready payload."""
        _check_event("encode", event)
        if self._fast and type(event) is _PLANS[event.TYPE][0]:
            return event.TYPE, event.VERSION, _fast_encode(event)
        payload: dict[str, Any] = self.converter.unstructure(event, unstructure_as=type(event))
        return event.TYPE, event.VERSION, payload

    def encode_text(self, event: Event) -> tuple[str, int, str]:
        """The event's type tag, version and canonical JSON payload text (what stores keep)."""
        _check_event("encode_text", event)
        type_tag, version, text, _ = self._encode_row(event, str(event.id))
        return type_tag, version, text

    def _encode_row(self, event: Event, event_id: str) -> tuple[str, int, str, str | None]:
        # encode_text for the stores, which make the id's text for the row anyway, and
        # the effective date's text, which the payload writes too.
        if self._fast and type(event) is _PLANS[event.TYPE][0]:
            text, effective = _WRITERS[event.TYPE](event, event_id)
            return event.TYPE, event.VERSION, text, effective
        type_tag, version, payload = self.encode(event)
        effective_date = event.effective
        return (type_tag, version, canonical_json(payload),
                effective_date.isoformat() if effective_date is not None else None)

    def _row_writers(self) -> Mapping[type[Event], tuple[str, int, RowWriter]]:
        """The type tag, version and payload writer of each event class whose rows this
        codec writes the fast way (none for a converter of the caller's own): what
        ``_encode_row`` does, looked up once per batch rather than per event."""
        return _ROW_WRITERS if self._fast else {}

    def decode_stored(self, type_tag: str, version: int, payload: dict[str, Any]) -> Event:
        """Decode a row of the library's own log: fast for current versions, else :meth:`decode`."""
        if self._fast and type(payload) is dict:
            entry = _PLANS.get(type_tag)
            if entry is not None and version == entry[0].VERSION:
                try:
                    return _fast_decode(type_tag, payload)
                except (KeyError, TypeError, ValueError, AttributeError, DateError):
                    pass  # not the shape this version writes: let the full path say why
        return self.decode(type_tag, version, payload)

    def decode(self, type_tag: object, version: object, payload: object) -> Event:
        """Build an event from stored data; raises :class:`DecodeError` naming every fault."""
        cls = _CLASSES.get(type_tag) if isinstance(type_tag, str) else None
        if cls is None or not isinstance(type_tag, str):
            known = ", ".join(sorted(_CLASSES))
            raise DecodeError([f"unknown event type {type_tag!r} @ $.type (known: {known})"])
        if type(version) is not int or version < 1:
            raise DecodeError([f"invalid schema version {version!r} @ $.version"])
        if not isinstance(payload, dict):
            raise DecodeError([f"expected an object for the payload, got {payload!r} @ $"])
        if version > cls.VERSION:
            raise DecodeError(
                [
                    f"{type_tag} schema version {version} is newer than this library reads "
                    f"({cls.VERSION}); upgrade aes_membership"
                ],
                version_mismatch=True,
            )
        data = dict(payload)
        data.pop(TAG_KEY, None)
        while version < cls.VERSION:
            upcaster = self._upcasters.get((type_tag, version))
            if upcaster is None:
                raise DecodeError(
                    [f"no upcaster from {type_tag} version {version} to {version + 1} (the "
                     f"codec that reads it needs one: codec.register_upcaster({type_tag!r}, "
                     f"{version}, function))"],
                    version_mismatch=True,
                )
            try:
                data = upcaster(data)
            except Exception as error:  # the caller's code: say which step failed, and how
                raise DecodeError([f"the upcaster of {type_tag} from version {version} "
                                   f"failed: {error!r}"]) from error
            if not isinstance(data, dict):
                raise DecodeError([f"the upcaster of {type_tag} from version {version} returned "
                                   f"{type(data).__name__} {data!r}, not a dict"])
            version += 1
        try:
            with as_recorded():  # (what was recorded is taken as it was: see events)
                event: Event = self.converter.structure(data, cls)
        except Exception as exc:  # cattrs groups every fault; report each with its path
            problems = cattrs.transform_error(exc, path="$", format_exception=_format_exception)
            raise DecodeError([_pin_field(p) for p in problems]) from None
        return event

    def to_dict(self, event: Event) -> dict[str, Any]:
        """The event as one JSON-ready object, its type tag and version included."""
        _check_event("to_dict", event)
        type_tag, version, payload = self.encode(event)
        return {TAG_KEY: type_tag, "version": version, **payload}

    def from_dict(self, data: object) -> Event:
        """The inverse of :meth:`to_dict`."""
        if not isinstance(data, dict):
            raise DecodeError([f"expected an object, got {data!r} @ $"])
        payload = dict(data)
        type_tag = payload.pop(TAG_KEY, None)
        version = payload.pop("version", 1)
        return self.decode(type_tag, version, payload)


def _check_event(method: str, value: object) -> None:
    """Refuse what is not an event, as Registry.record() does: a mistake in the program,
    named, rather than an AttributeError about a missing TYPE."""
    if not isinstance(value, Event):
        raise TypeError(f"{method}() takes an event, got {type(value).__name__} {shown(value)}")


# -- the fast path for the log's own rows ------------------------------------------------------
#
# cattrs costs several microseconds per event. Rows the library wrote itself (hash-chained,
# current version) are rebuilt and written field by field instead; anything unusual falls
# back to the full, validating path. ``tests/test_codec.py`` checks both paths agree.

_UUID, _OPTIONAL_UUID, _WHEN, _OPTIONAL_WHEN, _MAPPING, _PLAIN = range(6)


def _field_plan(cls: type[Event]) -> tuple[tuple[str, int], ...]:
    plan = []
    for field in attrs.fields(cls):
        if field.name in ("id", "target"):
            kind = _UUID
        elif field.name == "replacement":
            kind = _OPTIONAL_UUID
        elif field.name in ("on", "announced"):
            kind = _OPTIONAL_WHEN if field.default is None else _WHEN
        elif field.name == "identifiers":
            kind = _MAPPING
        else:
            kind = _PLAIN
        plan.append((field.name, kind))
    return tuple(plan)


_PLANS: Final = {cls.TYPE: (cls, _field_plan(cls)) for cls in event_classes()}


_INTERNED: Final = frozenset({"state", "bloc", "post", "person", "kind"})


# Effective dates repeat a great deal across a log; dates are immutable values.
_cached_when, _ = memo(parse_when, 1 << 17)


def _intern(value: Any) -> Any:
    return sys.intern(value) if type(value) is str else value


def _optional_when(value: Any) -> When | None:
    return None if value is None else _cached_when(value)


def _optional_uuid(value: Any) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(value)


def _decoder(cls: type[Event], plan: tuple[tuple[str, int], ...]) -> Callable[[Any], Event]:
    """A decoder written out for one class, as attrs writes ``__init__``: no loop, no branches.

    The payload must hold exactly the class's fields (as the stores write them); anything
    else raises, and the caller falls back to the validating path.
    """
    convert = {
        _PLAIN: "p[{0!r}]", _UUID: "UUID(p[{0!r}])", _OPTIONAL_UUID: "optional_uuid(p[{0!r}])",
        _WHEN: "when(p[{0!r}])", _OPTIONAL_WHEN: "optional_when(p[{0!r}])",
        _MAPPING: "dict(p[{0!r}] or ())",
    }
    lines = ["def decode(p):", f"    if len(p) != {len(plan)}:",
             "        raise KeyError('the payload has other fields')", "    e = new(cls)"]
    for name, kind in plan:
        expression = convert[kind].format(name)
        if kind == _PLAIN and name in _INTERNED:
            expression = f"intern({expression})"  # ids repeat in every event naming them
        lines.append(f"    put(e, {name!r}, {expression})")
    lines.append("    return e")
    namespace: dict[str, Any] = {
        "cls": cls, "new": object.__new__, "put": object.__setattr__, "UUID": uuid.UUID,
        "when": _cached_when, "optional_when": _optional_when, "optional_uuid": _optional_uuid,
        "intern": _intern,
    }
    exec(compile("\n".join(lines), f"<aes_membership decoder for {cls.__name__}>", "exec"),
         namespace)
    decode: Callable[[Any], Event] = namespace["decode"]
    return decode


def _fast_decode(type_tag: str, payload: dict[str, Any]) -> Event:
    return _DECODERS[type_tag](payload)


_DECODERS: Final = {tag: _decoder(cls, plan) for tag, (cls, plan) in _PLANS.items()}
_quote = json.encoder.encode_basestring  # the C function json.dumps uses (ensure_ascii=False)


def _json_writer(cls: type[Event], plan: tuple[tuple[str, int], ...]) -> RowWriter:
    """canonical_json(encode(event)) written out for one class: keys sorted, no spaces, UTF-8
    kept, one f-string with an expression per field; and the text of the effective date
    (``on``), which the row needs too and which is written once. The id comes as text (the
    row needs it too). Ids and dates are digits, letters and dashes: they need no escaping."""
    text = {
        # A post's seats, the one whole number, need no call of json.dumps either.
        _PLAIN: ("(quote(v) if type(v := e.{0}) is str else 'null' if v is None"
                 " else str(v) if type(v) is int else dumps(v))"),
        _UUID: "'\"' + str(e.{0}) + '\"'",
        _OPTIONAL_UUID: "('null' if e.{0} is None else '\"' + str(e.{0}) + '\"')",
        _WHEN: "'\"' + e.{0}.isoformat() + '\"'",
        _OPTIONAL_WHEN: "('null' if e.{0} is None else '\"' + e.{0}.isoformat() + '\"')",
        # Most registrations name no identifiers: their text needs no call of json.dumps.
        _MAPPING: "('{{}}' if type(v := e.{0}) is dict and not v else dumps(v))",
    }
    kinds = dict(plan)
    if kinds.get("on") == _WHEN:
        effective = "d = e.on.isoformat()"
    elif kinds.get("on") == _OPTIONAL_WHEN:
        effective = "d = None if e.on is None else e.on.isoformat()"
    else:
        effective = "d = None"
    parts = []
    for index, (name, kind) in enumerate(sorted(plan)):
        key = ("{{" if index == 0 else ",") + json.dumps(name) + ":"
        if name == "id":
            value = '"{event_id}"'
        elif name == "on":
            value = '"{d}"' if kind == _WHEN else "{'null' if d is None else '\"' + d + '\"'}"
        else:
            value = "{" + text[kind].format(name) + "}"
        parts.append(key + value)
    source = (f"def write(e, event_id):\n    {effective}\n"
              "    return f'''" + "".join(parts) + "}}''', d")
    namespace: dict[str, Any] = {"quote": _quote, "dumps": canonical_json_value}
    exec(compile(source, f"<aes_membership JSON writer for {cls.__name__}>", "exec"), namespace)
    write: RowWriter = namespace["write"]
    return write


def canonical_json_value(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


_WRITERS: Final = {tag: _json_writer(cls, plan) for tag, (cls, plan) in _PLANS.items()}
_ROW_WRITERS: Final = {cls: (tag, cls.VERSION, _WRITERS[tag]) for tag, (cls, _) in _PLANS.items()}


def _fast_encode(event: Event) -> dict[str, Any]:
    _, plan = _PLANS[event.TYPE]
    payload: dict[str, Any] = {}
    for name, kind in plan:
        value = getattr(event, name)
        if value is not None and kind != _PLAIN:
            if kind in (_UUID, _OPTIONAL_UUID):
                value = str(value)
            elif kind in (_WHEN, _OPTIONAL_WHEN):
                value = value.isoformat()
            else:
                value = dict(value)
        payload[name] = value
    return payload


_DEFAULT: Codec | None = None


def default_codec() -> Codec:
    """The shared codec used by the stores (built on first use)."""
    global _DEFAULT
    if _DEFAULT is None:
        # One codec for every thread: an upcaster registered on it is never lost to a
        # second one made by a thread that got here at the same moment.
        with _MAKING:
            if _DEFAULT is None:
                _DEFAULT = Codec()
    return _DEFAULT
