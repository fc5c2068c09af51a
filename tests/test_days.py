"""A day ordinal's shared int is the ordinal asked for, whatever day is asked."""

from __future__ import annotations

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aes_membership._days import CHUNK_BITS, CHUNK_MASK, SharedDays

LAST = pendulum.Date.max.toordinal()


@given(st.lists(st.integers(min_value=1, max_value=LAST), max_size=50))
def test_each_day_is_its_own_ordinal(ordinals: list[int]) -> None:
    """Each day gets its ordinal, by indexing and by the chunks a hot loop reads."""
    days = SharedDays()
    for ordinal in ordinals:
        assert days[ordinal] == ordinal
        assert (days.chunks[ordinal >> CHUNK_BITS] or days.chunk(ordinal))[ordinal & CHUNK_MASK] == ordinal


@pytest.mark.parametrize("ordinal", [1, 2, 511, 512, 513, 1023, 1024, LAST - 1, LAST])
def test_days_at_the_ends_of_a_run_and_of_the_calendar(ordinal: int) -> None:
    """The first and last days of a run kept together, and of the calendar, are their own."""
    assert SharedDays()[ordinal] == ordinal


def test_a_day_asked_again_is_the_same_object() -> None:
    """Asking for a day again, with an int made apart, gives the object given the first time."""
    days = SharedDays()
    assert days[730_000] is days[int(str(730_000))]


def test_a_full_table_starts_afresh_and_still_answers() -> None:
    """Past the runs it keeps, the table forgets them, in the list loops hold, and goes on answering."""
    days = SharedDays()
    held = days.chunks  # as a hot loop holds it
    asked = [(run << CHUNK_BITS) + 7 for run in range(1, 600)]
    assert [days[day] for day in asked] == asked
    assert sum(chunk is not None for chunk in days.chunks) <= 512
    assert days.chunks is held
    assert [days[day] for day in asked] == asked


@pytest.mark.parametrize("ordinal", [0, -1, LAST + 1])
def test_an_ordinal_of_no_day_is_refused(ordinal: int) -> None:
    """Zero, negative ordinals and those past the last calendar day are a ValueError."""
    days = SharedDays()
    days[LAST]  # the run holding the last day is kept: what lies past it is still refused
    with pytest.raises(ValueError, match=f"day ordinal {ordinal} is not one of a calendar day"):
        days[ordinal]
