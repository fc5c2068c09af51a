"""Valid-time dates (exact or partial) and recorded instants.

Effective dates are calendar dates. Historians often know only the year (``"1977"``) or the
month (``"2000-12"``): such a date is a :class:`PartialDate` that keeps its precision and
stands for the whole span it names. Exact dates are plain ``pendulum.Date`` objects.

Input is validated with a strict pattern (ISO 8601 calendar dates, reduced precision, and the
EDTF level-1 qualifiers ``?`` uncertain, ``~`` approximate, ``%`` both); ``pendulum.parse`` is
deliberately not used because it accepts far too much (``"now"``, week dates, ``01/03/2024``).
"""

from __future__ import annotations

import calendar
import datetime as _dt
import re
from typing import Literal, TypeAlias

import attrs
import pendulum

from .errors import DateError, shown

__all__ = [
    "PartialDate",
    "Precision",
    "When",
    "parse_day",
    "parse_instant",
    "parse_when",
    "span",
    "utc_now",
]

Precision = Literal["year", "month", "day"]
Qualifier = Literal["", "?", "~", "%"]

_WHEN_FORMS = "an ISO date 'YYYY-MM-DD', 'YYYY-MM' or 'YYYY' (optionally ending in ?, ~ or %)"
_DAY_FORMS = "an exact date: 'YYYY-MM-DD', datetime.date or pendulum.Date"
_INSTANT_FORMS = "an aware datetime or an ISO 8601 instant with an offset, e.g. '2024-01-28T12:00Z'"

# (ASCII: \d alone also matches other scripts' digits, which int() reads, such as "２０２４")
_WHEN_RE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?([?~%]?)", re.ASCII)


def _check_qualifier(instance: PartialDate, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in ("", "?", "~", "%"):
        raise DateError(value, "a qualifier '', '?', '~' or '%'", field=attribute.name)


def _too_large(date: PartialDate) -> bool:
    """Whether a part of ``date`` is too long to be written as ISO text (a huge number)."""
    return any(part is not None and abs(part) > 9999 for part in (date.year, date.month, date.day))


@attrs.frozen(kw_only=True, order=False)
class PartialDate:
    """A calendar date known to year or month precision (or a qualified exact date).

    It names a span of days, ``first`` to ``last`` inclusive. ``qualifier`` carries EDTF's
    ``?`` (uncertain), ``~`` (approximate) or ``%`` (both); the span is the same either way.
    """

    year: int
    month: int | None = None
    day: int | None = None
    qualifier: str = attrs.field(default="", validator=_check_qualifier)

    def __attrs_post_init__(self) -> None:
        # (type() rather than isinstance: True is an int to Python, and would stand for
        # January or the year 1)
        month, day = self.month, self.day
        if (type(self.year) is not int or (month is not None and type(month) is not int)
                or (day is not None and type(day) is not int)):
            raise DateError(self._fields(), "whole numbers as year, month and day (month and "
                            "day may be None)")
        if self.day is not None and self.month is None:
            raise DateError(self._fields(), "a day only together with a month")
        try:  # (month 0 and day 0 are not "unknown": those are None)
            _dt.date(self.year, 1 if self.month is None else self.month,
                     1 if self.day is None else self.day)
        except (ValueError, OverflowError):  # (a number past C's int: OverflowError)
            raise DateError(self._fields() if _too_large(self) else self.isoformat(),
                            _WHEN_FORMS) from None

    def _fields(self) -> str:
        return (f"PartialDate(year={shown(self.year)}, month={shown(self.month)}, "
                f"day={shown(self.day)})")

    @property
    def precision(self) -> Precision:
        """How much of the date is known: ``"year"``, ``"month"`` or ``"day"``."""
        if self.month is None:
            return "year"
        return "month" if self.day is None else "day"

    @property
    def first(self) -> pendulum.Date:
        """The first day the date may stand for."""
        return pendulum.Date(self.year, self.month or 1, self.day or 1)

    @property
    def last(self) -> pendulum.Date:
        """The last day the date may stand for."""
        month = self.month or 12
        day = self.day or calendar.monthrange(self.year, month)[1]
        return pendulum.Date(self.year, month, day)

    def isoformat(self) -> str:
        """The ISO 8601 / EDTF text of the date, at its precision."""
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
        if self.day is not None:
            text += f"-{self.day:02d}"
        return text + self.qualifier

    def __str__(self) -> str:
        return self.isoformat()


When: TypeAlias = pendulum.Date | PartialDate
"""An effective date: exact (``pendulum.Date``) or partial (:class:`PartialDate`)."""


def parse_when(value: object, *, field: str = "on") -> When:
    """Read an effective date: exact dates become ``pendulum.Date``, others ``PartialDate``."""
    if isinstance(value, PartialDate):
        return value if value.precision != "day" or value.qualifier else value.first
    if isinstance(value, _dt.date):
        return _to_day(value, field)
    if not isinstance(value, str):
        raise DateError(value, _WHEN_FORMS, field=field)
    match = _WHEN_RE.fullmatch(value.strip())
    if match is None:
        raise DateError(value, _WHEN_FORMS, field=field)
    year, month, day, qualifier = match.groups()
    try:
        if day is not None and not qualifier:
            return pendulum.Date(int(year), int(month), int(day))
        return PartialDate(
            year=int(year),
            month=int(month) if month else None,
            day=int(day) if day else None,
            qualifier=qualifier,
        )
    except (ValueError, DateError):
        raise DateError(value, _WHEN_FORMS, field=field) from None


def parse_day(value: object, *, field: str = "on") -> pendulum.Date:
    """Read an exact calendar date (for questions: "who was a member on D?")."""
    if isinstance(value, _dt.date):
        return _to_day(value, field)
    if isinstance(value, str):
        try:
            when = parse_when(value, field=field)
        except DateError:
            raise DateError(value, _DAY_FORMS, field=field) from None  # the forms asked for here
        if isinstance(when, pendulum.Date):
            return when
    raise DateError(value, _DAY_FORMS, field=field)


def _to_day(value: _dt.date, field: str) -> pendulum.Date:
    # pendulum.DateTime and datetime.datetime are date subclasses: an instant is not a date.
    if isinstance(value, _dt.datetime):
        raise DateError(value, _DAY_FORMS + " (not a datetime)", field=field)
    if type(value) is pendulum.Date:
        return value
    return pendulum.Date(value.year, value.month, value.day)


def span(when: When) -> tuple[int, int]:
    """The first and last day (proleptic Gregorian ordinals) that ``when`` may stand for."""
    if isinstance(when, PartialDate):
        return when.first.toordinal(), when.last.toordinal()
    ordinal = when.toordinal()
    return ordinal, ordinal


def parse_instant(value: object, *, field: str = "as_known_at") -> pendulum.DateTime:
    """Read a recorded instant and return it in UTC; naive datetimes are refused."""
    if isinstance(value, str):
        try:
            parsed = _dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise DateError(value, _INSTANT_FORMS, field=field) from None
        value_dt: _dt.datetime = parsed
    elif isinstance(value, _dt.datetime):
        value_dt = value
    else:
        raise DateError(value, _INSTANT_FORMS, field=field)
    if value_dt.tzinfo is None or value_dt.utcoffset() is None:
        raise DateError(value, _INSTANT_FORMS + " (this one has no offset)", field=field)
    # pendulum.instance() hands a pendulum DateTime back as it is, whatever ``tz`` says (here
    # with the standard library's UTC, which has no timezone_name): convert after it.
    return pendulum.instance(value_dt.astimezone(_dt.UTC)).in_timezone(pendulum.UTC)


def utc_now() -> pendulum.DateTime:
    """The current instant in UTC (never the machine's zone)."""
    return pendulum.now(pendulum.UTC)
