"""Valid-time dates: exact and partial, and recorded instants."""

from __future__ import annotations

import calendar
import datetime as dt
import re

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aes_membership import DateError, PartialDate, parse_day, parse_when
from aes_membership.dates import parse_instant, span


def test_exact_dates_become_pendulum_dates() -> None:
    """Exact ISO text, stdlib dates and pendulum dates all read as pendulum.Date."""
    for value in ("2024-01-28", dt.date(2024, 1, 28), pendulum.Date(2024, 1, 28)):
        parsed = parse_when(value)
        assert type(parsed) is pendulum.Date
        assert parsed == dt.date(2024, 1, 28)


@pytest.mark.parametrize(
    ("text", "precision", "first", "last"),
    [
        ("1977", "year", "1977-01-01", "1977-12-31"),
        ("2000-12", "month", "2000-12-01", "2000-12-31"),
        ("2024-02", "month", "2024-02-01", "2024-02-29"),
        ("1977?", "year", "1977-01-01", "1977-12-31"),
        ("2023-11-29~", "day", "2023-11-29", "2023-11-29"),
    ],
)
def test_partial_dates_keep_precision_and_span(text: str, precision: str, first: str,
                                               last: str) -> None:
    """A partial date keeps its precision and text, and spans its first to last day."""
    when = parse_when(text)
    assert isinstance(when, PartialDate)
    assert when.precision == precision
    assert str(when.first) == first and str(when.last) == last
    assert when.isoformat() == text


@pytest.mark.parametrize(
    "bad",
    ["2024-13-01", "2024-02-30", "01/03/2024", "now", "20240301", "2024-W01", "", "1977-1", 5,
     None, dt.datetime(2024, 1, 1), pendulum.now(), "2024-00", "2024-00?", "2024-13",
     "2024-01-00?", "0000"],
)
def test_bad_dates_name_the_value(bad: object) -> None:
    """Anything but an ISO calendar date is refused with an error naming the value."""
    with pytest.raises(DateError) as caught:
        parse_when(bad)
    assert caught.value.value is bad or caught.value.value == bad
    assert repr(bad) in str(caught.value)


@pytest.mark.parametrize("fields", [{"month": 0}, {"month": 1, "day": 0}, {"month": "1"},
                                    {"day": 3}])
def test_a_partial_date_of_no_calendar_day_is_refused(fields: dict[str, object]) -> None:
    """Month 0 and day 0 are not "unknown" (that is None): a PartialDate refuses them."""
    with pytest.raises(DateError):
        PartialDate(year=2024, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("fields", [
    {"year": True}, {"year": 2024, "month": True}, {"year": 2024, "month": 1, "day": True},
    {"year": 2024.0}, {"year": "2024"}, {"year": None},
])
def test_a_partial_date_of_parts_that_are_not_whole_numbers_is_refused(
        fields: dict[str, object]) -> None:
    """A boolean (which Python counts as 1), a float, text or None is no year, month or day:
    the error shows the parts as given."""
    shown = (f"PartialDate(year={fields['year']!r}, month={fields.get('month')!r}, "
             f"day={fields.get('day')!r})")
    with pytest.raises(DateError, match=f"^invalid date {re.escape(repr(shown))}: expected whole "
                                        "numbers as year, month and day"):
        PartialDate(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(("fields", "shown"), [
    ({"year": 2024, "month": 1, "day": 2**31}, "PartialDate(year=2024, month=1, day=2147483648)"),
    ({"year": 2**70}, "PartialDate(year=1180591620717411303424, month=None, day=None)"),
    ({"year": 10**5000}, "PartialDate(year=<a whole number of 16610 bits>, month=None, day=None)"),
])
def test_a_partial_date_of_numbers_too_large_for_a_calendar_is_a_date_error(
        fields: dict[str, int], shown: str) -> None:
    """Parts past what a calendar (or C's int) holds are a DateError showing them, rather than
    an OverflowError, or a ValueError from writing a number of thousands of digits."""
    with pytest.raises(DateError, match=f"^invalid date {re.escape(repr(shown))}: expected an ISO"):
        PartialDate(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["２０２４", "٢٠٢٤-٠١", "2024-０１-01"])
def test_digits_of_other_scripts_are_not_a_date(text: str) -> None:
    """Only ASCII digits make an ISO date, though Python's int() reads other scripts' too."""
    with pytest.raises(DateError, match="expected an ISO date"):
        parse_when(text)


def test_a_day_without_a_month_is_shown_as_given() -> None:
    """A day given without a month is told by its parts, not as a month it is not."""
    with pytest.raises(DateError, match=r"PartialDate\(year=2024, month=None, day=3\).*: expected "
                                        r"a day only together with a month"):
        PartialDate(year=2024, day=3)


def test_query_dates_must_be_exact() -> None:
    """Questions are asked about a day: partial dates are refused there."""
    assert parse_day("2025-01-01") == pendulum.Date(2025, 1, 1)
    with pytest.raises(DateError, match="exact date"):
        parse_day("2025")
    for bad in ("2025-13-01", "soon", "2025-01-01?"):  # not a date at all: the same forms asked
        with pytest.raises(DateError) as caught:
            parse_day(bad, field="on")
        assert str(caught.value) == (f"on: invalid date {bad!r}: expected an exact date: "
                                     "'YYYY-MM-DD', datetime.date or pendulum.Date")


def test_instants_are_utc_and_must_be_aware() -> None:
    """Instants come out in UTC; naive ones are refused."""
    instant = parse_instant("2024-01-28T01:30:00+01:00")
    assert instant == pendulum.datetime(2024, 1, 28, 0, 30, tz="UTC")
    assert instant.timezone_name == "UTC"
    with pytest.raises(DateError, match="offset"):
        parse_instant(dt.datetime(2024, 1, 28))


@pytest.mark.parametrize("given", [
    pendulum.datetime(2024, 1, 28, 9, 30, tz="Asia/Tokyo"),
    pendulum.datetime(2024, 1, 28, 0, 30, tz="Africa/Bamako"),
    dt.datetime(2024, 1, 28, 2, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    dt.datetime(2024, 1, 28, 0, 30, tzinfo=dt.UTC),
])
def test_instants_of_every_kind_and_zone_come_out_in_pendulums_utc(given: dt.datetime) -> None:
    """A pendulum or standard datetime of any zone comes out as a pendulum DateTime in
    pendulum's UTC zone (named, as every instant the library gives out)."""
    instant = parse_instant(given)
    assert type(instant) is pendulum.DateTime
    assert instant == pendulum.datetime(2024, 1, 28, 0, 30, tz="UTC")
    assert instant.timezone_name == "UTC"


@given(st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_iso_text_round_trips(day: dt.date) -> None:
    """Every calendar date reads back from its ISO text, at every precision."""
    assert parse_when(day.isoformat()) == day
    year = parse_when(f"{day.year:04d}")
    assert isinstance(year, PartialDate)
    lo, hi = span(year)
    assert lo <= day.toordinal() <= hi


@given(st.integers(0, 9999), st.none() | st.integers(0, 13), st.none() | st.integers(0, 32),
       st.sampled_from(["", "?", "~", "%"]))
def test_date_texts_are_read_exactly_when_they_name_calendar_days(
        year: int, month: int | None, day: int | None, qualifier: str) -> None:
    """A date text is read iff its fields name days of the calendar, and it reads back as written."""
    if day is not None and month is None:
        month = 1
    text = f"{year:04d}" + (f"-{month:02d}" if month is not None else "") \
        + (f"-{day:02d}" if day is not None else "") + qualifier
    try:  # the reference: what the calendar accepts, with unknown parts left out
        first = dt.date(year, 1 if month is None else month, 1 if day is None else day)
    except ValueError:
        first = None
    if first is None:
        with pytest.raises(DateError):
            parse_when(text)
        return
    when = parse_when(text)
    assert when.isoformat() == text
    lo, hi = span(when)
    assert lo == first.toordinal()
    last_month = 12 if month is None else month
    last_day = day if day is not None else calendar.monthrange(year, last_month)[1]
    assert hi == dt.date(year, last_month, last_day).toordinal()
