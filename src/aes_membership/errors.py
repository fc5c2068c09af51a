"""The library's exceptions: one tree, rooted at :class:`MembershipError`.

Every exception also derives from the nearest builtin (``ValueError``, ``LookupError``,
``RuntimeError``) so that callers who already catch those keep working, and every exception
keeps the offending values as attributes so that programs need not parse messages.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

__all__ = [
    "AmbiguousDateError",
    "CheckpointWarning",
    "ConcurrencyError",
    "DateError",
    "DecodeError",
    "DuplicateEventError",
    "FieldError",
    "InvariantError",
    "MembershipError",
    "SchemaVersionError",
    "StoreError",
    "TamperError",
    "TamperWarning",
    "UnknownIdError",
]


def shown(value: object) -> str:
    """``repr(value)`` for a message, or what the value is where Python will not write it (a
    whole number of more than 4,300 digits), so that the error is raised rather than another."""
    if isinstance(value, int) and value.bit_length() > 4000:
        return f"<a whole number of {value.bit_length()} bits>"
    try:
        return repr(value)
    except ValueError:  # (a number of that size inside a list, say)
        return f"<{type(value).__name__} too large to write>"


class MembershipError(Exception):
    """Base class of every error raised by aes_membership."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled with its message and attributes, not re-made from ``args`` through
        # ``__init__`` (whose parameters differ by class): an error raised in a worker
        # process reaches its parent whole.
        return _rebuild, (type(self), self.args, self.__dict__)


def _rebuild(cls: type[MembershipError], args: tuple[Any, ...],
             state: dict[str, Any]) -> MembershipError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class FieldError(MembershipError, ValueError):
    """A value given for a field of an event, or for an argument, is not one that is accepted.

    ``field`` names where it was given (``None`` when nothing does), ``value`` is what was
    given, and ``expected`` says what would have been accepted. ``shown`` describes the value
    in the message in place of its ``repr`` (a long list of instants is told by its length).
    """

    def __init__(self, field: str | None, value: object, expected: str, *,
                 shown: str | None = None) -> None:
        self.field = field
        self.value = value
        self.expected = expected
        self._shown = shown
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"{self.field}: " if self.field else ""
        got = shown(self.value) if self._shown is None else self._shown
        return f"{where}expected {self.expected}, got {got}"


class DateError(FieldError):
    """A date or instant could not be read.

    ``value`` is what was given; ``expected`` describes the accepted forms.
    """

    def __init__(self, value: object, expected: str, *, field: str | None = None) -> None:
        super().__init__(field, value, expected)

    def _message(self) -> str:
        where = f"{self.field}: " if self.field else ""
        return f"{where}invalid date {shown(self.value)}: expected {self.expected}"


class UnknownIdError(MembershipError, LookupError):
    """An id does not name anything the registry knows.

    ``kind`` is what was looked for (``"state"``, ``"bloc"``, …), ``value`` the id given,
    ``suggestions`` the known ids that are spelt most like it, ``retracted`` whether
    ``value`` was known once, until the event that made it was retracted, and ``known_as``
    the other kinds ``value`` does name (a bloc's id given as a state's: arguments swapped).
    Asked of the history as known at an earlier point, ``as_known_at`` is that point's log
    position, and ``recorded_later`` whether ``value`` was recorded after it.
    """

    def __init__(self, kind: str, value: str, known: Iterable[str] = (), *,
                 retracted: bool = False, known_as: Iterable[str] = (),
                 as_known_at: int | None = None, recorded_later: bool = False) -> None:
        self.kind = kind
        self.value = value
        self.retracted = retracted
        self.known_as: tuple[str, ...] = tuple(known_as)
        self.as_known_at = as_known_at
        self.recorded_later = recorded_later
        self.suggestions: tuple[str, ...] = tuple(
            _close_matches(value, (k for k in known if k != value)))
        message = f"unknown {kind} {value!r}"
        if as_known_at is not None:
            message += f" as known at position {as_known_at}"
            if recorded_later:
                message += " (it was recorded after that)"
        if retracted:
            message += " (the event that made it was retracted)"
        if self.known_as:
            message += f" — it is the id of a {' and of a '.join(self.known_as)}"
        if self.suggestions:
            quoted = " or ".join(repr(s) for s in self.suggestions)
            message += f"{';' if self.known_as else ' —'} did you mean {quoted}?"
        super().__init__(message)

    def __str__(self) -> str:  # LookupError would otherwise quote the message
        return str(self.args[0])


def unknown_id(kind: str, value: object, known: Iterable[str], *, retracted: bool = False,
               known_as: Iterable[str] = (), as_known_at: int | None = None,
               recorded_later: bool = False) -> MembershipError:
    """The error to raise for ``value``, which names no ``kind`` known: an
    :class:`UnknownIdError` with suggestions, or a :class:`FieldError` if it is not text."""
    if not isinstance(value, str):
        return FieldError(kind, value, "an id (text)")
    return UnknownIdError(kind, value, known, retracted=retracted, known_as=known_as,
                          as_known_at=as_known_at, recorded_later=recorded_later)


def check_number(field: str, value: object, *, least: float, whole: bool = False,
                 exclusive: bool = False) -> None:
    """Raise :class:`FieldError` unless ``value`` is a number (a whole one if ``whole``) of at
    least ``least`` (more than it if ``exclusive``)."""
    number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if whole and not isinstance(number, int):
        number = None
    # (NaN compares False with everything, so it fails the first test below)
    if number is None or not (number > least if exclusive else number >= least):
        bound = f"{'>' if exclusive else '≥'} {least:g}"
        raise FieldError(field, value, f"a {'whole number' if whole else 'number'} {bound}")


def _close_matches(value: str, known: Iterable[str]) -> list[str]:
    candidates = list(known)
    found = difflib.get_close_matches(value, candidates, n=3, cutoff=0.6)
    if not found:
        # Ids are short codes: a case slip ("mli") or a transposition ("MIL") is the usual typo.
        folded = {c.casefold(): c for c in candidates}
        if value.casefold() in folded:
            found = [folded[value.casefold()]]
        else:
            found = [c for c in candidates if sorted(c.casefold()) == sorted(value.casefold())]
    return found[:3]


class InvariantError(MembershipError, ValueError):
    """An event would make the history inconsistent, so it was not recorded.

    ``event`` is the event that was rejected; ``conflicting`` is the already-recorded (or
    same-batch) event it contradicts, when there is one; ``reason`` says what rule broke.
    """

    def __init__(self, reason: str, *, event: Any = None, conflicting: Any = None) -> None:
        self.reason = reason
        self.event = event
        self.conflicting = conflicting
        message = reason
        if event is not None:
            message = f"{_describe(event)}: {reason}"
        if conflicting is not None and conflicting is not event:
            message += f" (conflicts with {_describe(conflicting)})"
        super().__init__(message)


class AmbiguousDateError(InvariantError):
    """Two partial dates overlap so that the order of their events cannot be known.

    Registries opened with ``ambiguous_dates="allow"`` accept such events and order them by
    their first possible day.
    """


def _describe(event: Any) -> str:
    type_tag = getattr(event, "TYPE", type(event).__name__)
    on = getattr(event, "on", None)
    ident = getattr(event, "id", None)
    when = f" on {on}" if on is not None else ""
    return f"{type_tag}{when} [{ident}]"


class DuplicateEventError(MembershipError, ValueError):
    """An event id is already recorded with different content, or given twice in one batch
    with different content (``in_batch``).

    ``line`` is the 1-based line number of the event when it came from a JSON Lines file.
    """

    def __init__(self, event_id: object, *, in_batch: bool = False,
                 line: int | None = None) -> None:
        self.event_id = event_id
        self.in_batch = in_batch
        self.line = line
        where = f"line {line}: " if line is not None else ""
        if in_batch:
            message = (f"{where}event id {event_id} is given twice in one batch with different "
                       "content; an id names one event")
        else:
            message = (f"{where}event id {event_id} is already recorded with different "
                       "content; ids are for idempotent retries of the same event (to change a "
                       "recorded event, correct it)")
        super().__init__(message)


class DecodeError(MembershipError, ValueError):
    """Stored or imported data is not a valid event.

    ``problems`` lists each fault with the path of the field at fault (``$.on``);
    ``line`` is the 1-based line number when the data came from a JSON Lines file, and
    ``position`` the log position when it came from a store. ``version_mismatch`` is true
    when the payload was refused for its schema version — newer than this library reads, or
    older with no upcaster to the current one — rather than for its content.
    """

    def __init__(self, problems: Iterable[str], *, line: int | None = None,
                 position: int | None = None, version_mismatch: bool = False) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        self.line = line
        self.position = position
        self.version_mismatch = version_mismatch
        where = f"line {line}: " if line is not None else ""
        if position is not None:
            # A row of another schema version was written by another version of the library
            # (or needs an upcaster): nothing points to an edit of the row.
            where = (f"the stored event at position {position} cannot be read: "
                     if version_mismatch else
                     f"the stored event at position {position} cannot be read "
                     f"(run verify: it may have been changed behind the library's back): ")
        super().__init__(where + "; ".join(self.problems))


class StoreError(MembershipError, RuntimeError):
    """The store cannot be opened, read or written (driver errors are translated to this).

    ``missing`` is true when the target holds no store and none was to be made there
    (``create=False``, or ``read_only``): a mistyped path or schema, rather than a store
    that failed.
    """

    def __init__(self, message: str, *, missing: bool = False) -> None:
        self.missing = missing
        super().__init__(message)


class SchemaVersionError(StoreError):
    """The store was written by a newer (or unknown) schema version of this library."""

    def __init__(self, found: object, supported: int) -> None:
        self.found = found
        self.supported = supported
        super().__init__(
            f"the store has schema version {found!r}; this version of aes_membership reads "
            f"schema version {supported} — upgrade aes_membership to open it"
        )


class ConcurrencyError(StoreError):
    """Another writer appended first and retrying did not resolve the race; or an append
    expected a position the store has not reached.

    ``expected`` is the position this writer had validated against, ``actual`` the position
    the store had reached.
    """

    def __init__(self, expected: int, actual: int, *, attempts: int = 1) -> None:
        self.expected = expected
        self.actual = actual
        self.attempts = attempts
        super().__init__(
            f"the store moved from position {expected} to {actual} while appending "
            f"(after {attempts} attempt(s)); catch up and try again" if expected < actual
            # (no writer got there first: the caller's position is wrong, not stale)
            else f"the store is at position {actual}, behind the expected position "
                 f"{shown(expected)}; append at the position it is at"
        )


class TamperError(StoreError):
    """The stored log's hash chain is broken: a row was changed behind the library's back.

    ``position`` is the first position at which the chain no longer verifies.
    """

    def __init__(self, position: int, detail: str) -> None:
        self.position = position
        self.detail = detail
        super().__init__(f"the event log fails verification at position {position}: {detail}")


class TamperWarning(MembershipError, UserWarning):
    """Opened a store whose hash chain is broken (``Registry.open(..., on_tamper="warn")``).

    ``report`` is the :class:`~aes_membership.stores.base.VerifyReport` that found it.
    """

    def __init__(self, report: Any) -> None:
        self.report = report
        super().__init__(
            f"the event log fails verification at position {report.position}: {report.detail}; "
            f"answers may rest on rows changed behind the library's back "
            f"(open with on_tamper='refuse' to refuse such stores)"
        )


class CheckpointWarning(MembershipError, UserWarning):
    """Opened a store whose checkpoint is damaged or was edited: the log was replayed instead.

    ``position`` is the position the checkpoint claimed to cover; ``reason`` what was wrong.
    """

    def __init__(self, position: int, reason: str) -> None:
        self.position = position
        self.reason = reason
        super().__init__(
            f"the checkpoint of the first {position} events was not used: {reason}; "
            "the log was replayed instead (save a new one with Registry.checkpoint())"
        )
