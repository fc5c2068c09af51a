"""Values kept per calendar day are the values asked for, whatever day is asked."""

from __future__ import annotations

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aes_membership._days import CHUNK_BITS, CHUNK_MASK, DayTable

LAST = pendulum.Date.max.toordinal()


@given(st.lists(st.integers(min_value=1, max_value=LAST), max_size=50))
def test_a_table_answers_what_its_function_makes(ordinals: list[int]) -> None:
    """Each day gets make(day), by indexing and by the chunks a hot loop reads."""
    table = DayTable(lambda ordinal: pendulum.Date.fromordinal(ordinal).isoformat())
    for ordinal in ordinals:
        expected = pendulum.Date.fromordinal(ordinal).isoformat()
        assert table[ordinal] == expected
        assert (table.chunks[ordinal >> CHUNK_BITS] or table.chunk(ordinal))[ordinal & CHUNK_MASK] == expected


@pytest.mark.parametrize("ordinal", [1, 2, 511, 512, 513, 1023, 1024, LAST - 1, LAST])
def test_days_at_the_ends_of_a_run_and_of_the_calendar(ordinal: int) -> None:
    """The first and last days of a run kept together, and of the calendar, are their own."""
    assert DayTable(int)[ordinal] == ordinal


def test_a_value_is_made_once_and_shared() -> None:
    """Asking for a day again gives the object made the first time, not a new one."""
    table = DayTable(lambda ordinal: [ordinal])
    assert table[730_000] is table[730_000]


def test_a_full_table_starts_afresh_and_still_answers() -> None:
    """Past the runs it keeps, the table forgets them and goes on answering."""
    table = DayTable(int)
    days = [(run << CHUNK_BITS) + 7 for run in range(1, 600)]
    assert [table[day] for day in days] == days
    assert sum(chunk is not None for chunk in table.chunks) <= 512
    assert [table[day] for day in days] == days


@pytest.mark.parametrize("ordinal", [0, -1, LAST + 1])
def test_an_ordinal_of_no_day_is_refused(ordinal: int) -> None:
    """Zero, negative ordinals and those past the last calendar day are a ValueError."""
    table = DayTable(int)
    table[LAST]  # the run holding the last day is kept: what lies past it is still refused
    with pytest.raises(ValueError, match=f"day ordinal {ordinal} is not one of a calendar day"):
        table[ordinal]
