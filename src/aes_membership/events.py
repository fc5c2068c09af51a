"""The vocabulary: every fact is one of these immutable events.

Each class has a fixed type tag (``TYPE``) and schema version (``VERSION``) that are written to
the store; they never derive from the class or module name, so classes can be moved and
renamed without breaking stored logs. Older payloads are upgraded on read by the upcasters in
:mod:`aes_membership.codec`.

Events are plain values: building one checks its shape and domain rules (ids are non-empty,
kinds and seats make sense) but not whether it fits the history — that is the timeline's job
when the event is recorded.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
import uuid
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any, ClassVar, Final, Literal, TypeAlias

import attrs

from .dates import When, parse_when
from .errors import FieldError

__all__ = [
    "KINDS",
    "BlocDissolved",
    "BlocFounded",
    "BlocRenamed",
    "Event",
    "EventRetracted",
    "HolderAppointed",
    "HolderLeft",
    "Kind",
    "KindChanged",
    "PersonRegistered",
    "PersonRenamed",
    "PostAbolished",
    "PostCreated",
    "StateJoined",
    "StateRegistered",
    "StateReinstated",
    "StateRenamed",
    "StateSuspended",
    "StateWithdrew",
    "as_recorded",
    "event_classes",
    "new_id",
    "valid_id",
    "valid_name",
]

Kind: TypeAlias = Literal["full", "associate", "observer"]
KINDS: Final = ("full", "associate", "observer")

_ID_RE = re.compile(r"[^\s/\x00-\x1f\x7f][^\s\x00-\x1f\x7f]*")
_RECORDED_ID_RE = re.compile(r"[^\s/][^\s]*")  # (as ids were before control characters were refused)
# ASCII's control characters (tab, line breaks, NUL, escape, DEL…): pasted into a name or an
# id, they print as nothing or break a table's row, and make "MLI\x00" another id. (Not the
# C1 range: the COW IGO file names an IGO "Nordens V\x8alf\x8ardscenter", an "ä" of another
# encoding, and real data must import.) They are refused in new events only: an event
# recorded before they were (decoded from a store or the library's own JSON Lines) is taken
# as it was, so that no history is locked in.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_AS_RECORDED: ContextVar[bool] = ContextVar("aes_membership_as_recorded", default=False)


@contextlib.contextmanager
def as_recorded() -> Iterator[None]:
    """Build events as they were recorded: names and ids that hold control characters,
    refused in new events since, are taken (what the codec's decoding does)."""
    token = _AS_RECORDED.set(True)
    try:
        yield
    finally:
        _AS_RECORDED.reset(token)


def _has_control(value: object) -> bool:
    return isinstance(value, str) and _CONTROL.search(value) is not None and not _AS_RECORDED.get()


_VERSION_7: Final = 0x7 << 76
_VARIANT: Final = 0b10 << 62
_RANDOM: Final = (1 << 62) - 1


def new_id() -> uuid.UUID:
    """A new event id: a time-ordered UUID (version 7, RFC 9562).

    The first 48 bits are the Unix time in milliseconds and the next 12 the fraction of the
    millisecond, so ids sort in the order they were made (those made within the same
    4096th of a millisecond, in any order); 62 bits are random. Stores index event ids for
    idempotence, and ids that arrive in order are added at the end of that index instead of
    all over it (a million-event append into SQLite ≈ 15% faster). An id made here tells
    when it was made; pass an ``id`` of your own where that should not show.
    """
    # A clock set before 1970 gives the earliest time rather than an invalid UUID.
    milliseconds, rest = divmod(max(time.time_ns(), 0), 1_000_000)
    fraction = rest * 4096 // 1_000_000
    random_bits = int.from_bytes(os.urandom(8), "big") & _RANDOM
    return uuid.UUID(int=milliseconds << 80 | _VERSION_7 | fraction << 64 | _VARIANT | random_bits)


def _uuid(field: str, value: object) -> uuid.UUID:
    """An event id given as a UUID or its text; anything else is refused under ``field``."""
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise FieldError(field, value, "a UUID")


# (named functions, one per field: mypy's attrs plugin reads no other converters)
def _to_id(value: object) -> uuid.UUID:
    return _uuid("id", value)


def _to_target(value: object) -> uuid.UUID:
    return _uuid("target", value)


def _to_replacement(value: object) -> uuid.UUID | None:
    return None if value is None else _uuid("replacement", value)


def _to_when(value: object) -> When:
    return parse_when(value)


def _to_optional_when(value: object) -> When | None:
    return None if value is None else parse_when(value)


def _to_announced(value: object) -> When | None:
    return None if value is None else parse_when(value, field="announced")


def _to_identifiers(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise FieldError("identifiers", value, "a mapping of scheme to id")
    result: dict[str, str] = {}
    for scheme, ident in value.items():
        if not isinstance(scheme, str) or not scheme or not isinstance(ident, str) or not ident:
            raise FieldError("identifiers", {scheme: ident}, "non-empty text scheme and id")
        result[scheme] = ident
    return dict(sorted(result.items()))


def valid_id(value: object) -> bool:
    """Whether ``value`` can be the id of a state, bloc, person or post: text without
    whitespace or control characters, not starting with ``/``."""
    return isinstance(value, str) and _ID_RE.fullmatch(value) is not None


def _check_id(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if valid_id(value):  # (one match on the way every event takes; the rest when it fails)
        return
    if isinstance(value, str) and _RECORDED_ID_RE.fullmatch(value) is not None:
        if _AS_RECORDED.get():
            return
        raise FieldError(attribute.name, value, "an id without control characters")
    raise FieldError(attribute.name, value, "a non-empty id without spaces")


def _check_optional_id(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _check_id(instance, attribute, value)


def _check_text(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise FieldError(attribute.name, value, "non-empty text")


def valid_name(value: object) -> bool:
    """Whether ``value`` can be a name or a title: non-empty text without control characters."""
    return isinstance(value, str) and bool(value.strip()) and _CONTROL.search(value) is None


def _check_name(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A name or a title: non-empty text on one line (a reason or a note may run to several)."""
    _check_text(instance, attribute, value)
    if _has_control(value):
        raise FieldError(attribute.name, value,
                         "text without control characters, such as tabs or line breaks")


def _check_optional_text(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise FieldError(attribute.name, value, "text or None")


def _check_kind(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value not in KINDS:
        raise FieldError(attribute.name, value, f"one of {', '.join(KINDS)}")


_MOST_SEATS: Final = 1_000_000


def _check_seats(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    # (bounded: a post of more seats is no post, and a number of thousands of digits would
    # fail to be written as JSON)
    if type(value) is not int or not 1 <= value <= _MOST_SEATS:
        raise FieldError(attribute.name, value, "a whole number of seats from 1 to 1,000,000")


@attrs.frozen(kw_only=True)
class Event:
    """Fields every event carries.

    ``id`` makes appends idempotent (the same id twice is recorded once; by default a new
    time-ordered UUID, see :func:`new_id`); ``source`` cites where the fact comes from;
    ``note`` is free text for the reader.
    """

    TYPE: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1

    id: uuid.UUID = attrs.field(factory=new_id, converter=_to_id)
    source: str | None = attrs.field(default=None, validator=_check_optional_text)
    note: str | None = attrs.field(default=None, validator=_check_optional_text)

    @property
    def effective(self) -> When | None:
        """The event's effective date, or ``None`` for events outside valid time."""
        return getattr(self, "on", None)


@attrs.frozen(kw_only=True)
class StateRegistered(Event):
    """A state becomes known to the registry, with its name and external identifiers."""

    TYPE: ClassVar[str] = "state-registered"
    state: str = attrs.field(validator=_check_id)
    name: str = attrs.field(validator=_check_name)
    identifiers: dict[str, str] = attrs.field(
        factory=dict, converter=_to_identifiers, hash=False
    )
    on: When | None = attrs.field(default=None, converter=_to_optional_when)


@attrs.frozen(kw_only=True)
class StateRenamed(Event):
    """A state takes a new name from ``on`` (Upper Volta → Burkina Faso on 1984-08-04)."""

    TYPE: ClassVar[str] = "state-renamed"
    state: str = attrs.field(validator=_check_id)
    name: str = attrs.field(validator=_check_name)
    on: When = attrs.field(converter=_to_when)


@attrs.frozen(kw_only=True)
class PersonRegistered(Event):
    """A person becomes known to the registry."""

    TYPE: ClassVar[str] = "person-registered"
    person: str = attrs.field(validator=_check_id)
    name: str = attrs.field(validator=_check_name)
    identifiers: dict[str, str] = attrs.field(
        factory=dict, converter=_to_identifiers, hash=False
    )
    on: When | None = attrs.field(default=None, converter=_to_optional_when)


@attrs.frozen(kw_only=True)
class PersonRenamed(Event):
    """A person is known by a new name from ``on``."""

    TYPE: ClassVar[str] = "person-renamed"
    person: str = attrs.field(validator=_check_id)
    name: str = attrs.field(validator=_check_name)
    on: When = attrs.field(converter=_to_when)


@attrs.frozen(kw_only=True)
class BlocFounded(Event):
    """A bloc comes into being on ``on``."""

    TYPE: ClassVar[str] = "bloc-founded"
    bloc: str = attrs.field(validator=_check_id)
    name: str = attrs.field(validator=_check_name)
    identifiers: dict[str, str] = attrs.field(
        factory=dict, converter=_to_identifiers, hash=False
    )
    on: When = attrs.field(converter=_to_when)


@attrs.frozen(kw_only=True)
class BlocRenamed(Event):
    """A bloc takes a new name from ``on``."""

    TYPE: ClassVar[str] = "bloc-renamed"
    bloc: str = attrs.field(validator=_check_id)
    name: str = attrs.field(validator=_check_name)
    on: When = attrs.field(converter=_to_when)


@attrs.frozen(kw_only=True)
class BlocDissolved(Event):
    """A bloc ceases on ``on``: every membership, post and tenure in it ends that day."""

    TYPE: ClassVar[str] = "bloc-dissolved"
    bloc: str = attrs.field(validator=_check_id)
    on: When = attrs.field(converter=_to_when)


@attrs.frozen(kw_only=True)
class StateJoined(Event):
    """A state becomes a member of a bloc from ``on`` (inclusive)."""

    TYPE: ClassVar[str] = "state-joined"
    state: str = attrs.field(validator=_check_id)
    bloc: str = attrs.field(validator=_check_id)
    kind: str = attrs.field(default="full", validator=_check_kind)
    on: When = attrs.field(converter=_to_when)


@attrs.frozen(kw_only=True)
class KindChanged(Event):
    """A member's kind (full, associate, observer) changes from ``on``."""

    TYPE: ClassVar[str] = "kind-changed"
    state: str = attrs.field(validator=_check_id)
    bloc: str = attrs.field(validator=_check_id)
    kind: str = attrs.field(validator=_check_kind)
    on: When = attrs.field(converter=_to_when)


@attrs.frozen(kw_only=True)
class StateSuspended(Event):
    """A member is suspended from ``on``; it stays a member while suspended."""

    TYPE: ClassVar[str] = "state-suspended"
    state: str = attrs.field(validator=_check_id)
    bloc: str = attrs.field(validator=_check_id)
    on: When = attrs.field(converter=_to_when)


@attrs.frozen(kw_only=True)
class StateReinstated(Event):
    """A suspended member is reinstated from ``on``."""

    TYPE: ClassVar[str] = "state-reinstated"
    state: str = attrs.field(validator=_check_id)
    bloc: str = attrs.field(validator=_check_id)
    on: When = attrs.field(converter=_to_when)


@attrs.frozen(kw_only=True)
class StateWithdrew(Event):
    """A state stops being a member on ``on`` (exclusive: not a member that day).

    ``announced`` is when the withdrawal was made known; it may fall before or after ``on``.
    """

    TYPE: ClassVar[str] = "state-withdrew"
    state: str = attrs.field(validator=_check_id)
    bloc: str = attrs.field(validator=_check_id)
    on: When = attrs.field(converter=_to_when)
    announced: When | None = attrs.field(default=None, converter=_to_announced)


@attrs.frozen(kw_only=True)
class PostCreated(Event):
    """A leadership post is created, attached to a bloc or to a state, with ``seats`` seats."""

    TYPE: ClassVar[str] = "post-created"
    post: str = attrs.field(validator=_check_id)
    title: str = attrs.field(validator=_check_name)
    bloc: str | None = attrs.field(default=None, validator=_check_optional_id)
    state: str | None = attrs.field(default=None, validator=_check_optional_id)
    seats: int = attrs.field(default=1, validator=_check_seats)
    on: When = attrs.field(converter=_to_when)

    def __attrs_post_init__(self) -> None:
        if (self.bloc is None) == (self.state is None):
            raise FieldError(None, {"bloc": self.bloc, "state": self.state},
                             f"exactly one of bloc= or state= for post {self.post!r}")


@attrs.frozen(kw_only=True)
class PostAbolished(Event):
    """A post ceases on ``on``; its sitting holders leave that day."""

    TYPE: ClassVar[str] = "post-abolished"
    post: str = attrs.field(validator=_check_id)
    on: When = attrs.field(converter=_to_when)


@attrs.frozen(kw_only=True)
class HolderAppointed(Event):
    """A person takes a seat of a post from ``on`` (inclusive).

    On a single-seat post the sitting holder's tenure ends that same day.
    """

    TYPE: ClassVar[str] = "holder-appointed"
    post: str = attrs.field(validator=_check_id)
    person: str = attrs.field(validator=_check_id)
    on: When = attrs.field(converter=_to_when)


@attrs.frozen(kw_only=True)
class HolderLeft(Event):
    """A person leaves a post on ``on`` (exclusive: not the holder that day)."""

    TYPE: ClassVar[str] = "holder-left"
    post: str = attrs.field(validator=_check_id)
    person: str = attrs.field(validator=_check_id)
    on: When = attrs.field(converter=_to_when)


@attrs.frozen(kw_only=True)
class EventRetracted(Event):
    """An earlier event was wrong: from now on it no longer counts.

    The retracted event stays in the log; ``as_known_at`` questions about earlier instants
    still see it. ``replacement`` links to the event recorded in its place by a correction.
    """

    TYPE: ClassVar[str] = "event-retracted"
    target: uuid.UUID = attrs.field(converter=_to_target)
    reason: str = attrs.field(validator=_check_text)
    replacement: uuid.UUID | None = attrs.field(
        default=None, converter=_to_replacement,
    )


def event_classes() -> tuple[type[Event], ...]:
    """Every concrete event class, in a stable order."""
    return (
        StateRegistered,
        StateRenamed,
        PersonRegistered,
        PersonRenamed,
        BlocFounded,
        BlocRenamed,
        BlocDissolved,
        StateJoined,
        KindChanged,
        StateSuspended,
        StateReinstated,
        StateWithdrew,
        PostCreated,
        PostAbolished,
        HolderAppointed,
        HolderLeft,
        EventRetracted,
    )


def _check_tags() -> None:
    tags = [cls.TYPE for cls in event_classes()]
    if len(set(tags)) != len(tags) or "" in tags:
        raise RuntimeError(f"event type tags must be unique and non-empty: {tags}")


_check_tags()
