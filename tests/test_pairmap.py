"""The persistent pair map behaves as a dict keyed by pairs, and maps already made never change."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aes_membership._pairmap import PairMap, pairs_from_items
from conftest import replay_into_maps

pairs = st.tuples(st.sampled_from("abcd"), st.integers(0, 5))
# Sets only: the timeline never removes a membership line, and the map has no delete.
operations = st.lists(st.tuples(st.just(True), pairs, st.integers()), max_size=60)


@settings(max_examples=200, deadline=None)
@given(st.lists(operations, min_size=1, max_size=4))
def test_every_version_equals_a_dict_replay(
        batches: list[list[tuple[bool, tuple[str, int], int]]]) -> None:
    """Each batch of sets gives a map equal to a dict, and earlier maps stay put."""
    def agrees(evolver: Any, key: tuple[str, int], expected: dict[tuple[str, int], int]) -> None:
        assert evolver.get(key) == expected.get(key) and (key in evolver) == (key in expected)

    # Checked once all batches are in: a later batch that changed an earlier map shows here.
    for pmap, plain in replay_into_maps(PairMap(), batches, agrees):
        assert dict(pmap) == plain and len(pmap) == len(plain)
        assert all(pmap.get(k) == v and pmap[k] == v and k in pmap for k, v in plain.items())
        assert all(pmap.rows[first][second] == v for (first, second), v in plain.items())


@given(st.lists(st.tuples(pairs, st.integers()), max_size=100))
def test_from_items_equals_a_dict(items: list[tuple[tuple[str, int], int]]) -> None:
    """A map built from items holds what a dict built from them holds, later keys winning."""
    made = pairs_from_items(items)
    assert dict(made) == dict(items) and len(made) == len(dict(items))


def test_absent_keys_are_reported_as_a_dict_would() -> None:
    """A missing pair, a missing first item, or a key that is not a pair is simply absent."""
    made = pairs_from_items([(("a", 1), "x")])
    assert made.get(("a", 2)) is None and made.get(("b", 1), "none") == "none"
    assert ("b", 1) not in made and "a" not in made and ("a", 1, 2) not in made
    assert "b" not in made.rows
    with pytest.raises(KeyError):
        made[("a", 2)]


def test_an_evolver_left_alone_gives_back_its_base() -> None:
    """A draft with no writes copies nothing and returns the map it started from."""
    made = pairs_from_items([(("a", 1), "x")])
    assert made.evolver().persistent() is made
