"""The bounded memo gives what its function gives, shares what it made, and stays bounded."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aes_membership._memo import memo
from aes_membership.dates import parse_when
from aes_membership.errors import DateError


@given(st.lists(st.integers(0, 30), max_size=200), st.integers(1, 8))
def test_answers_as_the_function_does_and_never_holds_more_than_its_limit(
        keys: list[int], limit: int) -> None:
    """Every answer equals a fresh call's, and the dict never exceeds its limit."""
    look_up, kept = memo(lambda key: (key, key * 2), limit)
    for key in keys:
        assert look_up(key) == (key, key * 2)
        assert len(kept) <= limit


def test_a_repeated_key_gets_the_same_object() -> None:
    """A value is made once per key and shared, as the day ordinals of a date are."""
    look_up, kept = memo(lambda key: [key], 4)
    first = look_up("2000-01-01")
    assert look_up("2000-01-01") is first
    assert kept == {"2000-01-01": first}


def test_a_full_memo_starts_afresh() -> None:
    """When full, the memo is emptied and goes on with the new key alone."""
    calls: list[int] = []
    look_up, kept = memo(lambda key: calls.append(key) or key, 2)
    for key in (1, 2, 3, 1):
        look_up(key)
    assert calls == [1, 2, 3, 1]
    assert kept == {3: 3, 1: 1}


def test_an_error_is_raised_each_time_and_nothing_is_kept() -> None:
    """A key whose computation fails raises on every call and leaves no entry."""
    look_up, kept = memo(parse_when, 8)
    for _ in range(2):
        with pytest.raises(DateError):
            look_up("2000-13-01")
    assert kept == {}
