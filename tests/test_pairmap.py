"""The persistent pair map behaves as a dict keyed by pairs, and maps already made never change."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aes_membership import _pairmap
from aes_membership._pairmap import PART_MASK, PARTS, SPLIT_AT, PairMap, pairs_from_items
from conftest import replay_into_maps, splitting_at

# Second items n × 16 all fall in the first part of a split row: parts shared by several
# items, and parts left empty, are both written to.
seconds = st.one_of(st.integers(0, 5), st.text(max_size=3), st.integers(0, 40).map(lambda n: n * 16))
pairs = st.tuples(st.sampled_from("abcd"), seconds)
# Sets only: the timeline never removes a membership line, and the map has no delete.
operations = st.lists(st.tuples(st.just(True), pairs, st.integers()), max_size=60)
# Rows of a few dozen items split none at the library's threshold: with 0, every row written
# to is split, and with 1, rows with one item stay whole beside split ones.
thresholds = pytest.mark.parametrize("split_at", [SPLIT_AT, 0, 1])



def found_in_row(row: Any, second: object) -> Any:
    """What a hot path finds in a row of :attr:`PairMap.rows`, as documented there."""
    part = row if isinstance(row, dict) else row[hash(second) & PART_MASK]
    return part.get(second)


@thresholds
@settings(max_examples=200, deadline=None)
@given(st.lists(operations, min_size=1, max_size=4))
def test_every_version_equals_a_dict_replay(
        split_at: int, batches: list[list[tuple[bool, tuple[str, object], int]]]) -> None:
    """Each batch of sets gives a map equal to a dict, and earlier maps stay put."""
    def agrees(evolver: Any, key: tuple[str, object],
               expected: dict[tuple[str, object], int]) -> None:
        assert evolver.get(key) == expected.get(key) and (key in evolver) == (key in expected)
        if key in expected:
            assert evolver[key] == expected[key]
        assert dict(evolver.row_items(key[0])) == {
            second: v for (first, second), v in expected.items() if first == key[0]}
        assert sorted(evolver.column(key[1])) == sorted(
            (first, v) for (first, second), v in expected.items() if second == key[1])

    # Checked once all batches are in: a later batch that changed an earlier map shows here.
    with splitting_at(_pairmap, split_at):
        versions = replay_into_maps(PairMap(), batches, agrees)
    for pmap, plain in versions:
        assert dict(pmap) == plain and len(pmap) == len(plain)
        assert all(pmap.get(k) == v and pmap[k] == v and k in pmap for k, v in plain.items())
        assert all(found_in_row(pmap.rows[first], second) == v
                   for (first, second), v in plain.items())
        for first in "abcde":
            assert dict(pmap.row_items(first)) == {
                second: v for (one, second), v in plain.items() if one == first}
        for second in {second for _, second in plain} | {"absent"}:
            assert sorted(pmap.column(second)) == sorted(
                (first, v) for (first, one), v in plain.items() if one == second)


@thresholds
@given(st.lists(st.tuples(pairs, st.integers()), max_size=100))
def test_from_items_equals_a_dict(split_at: int, items: list[tuple[tuple[str, object], int]]) -> None:
    """A map built from items holds what a dict built from them holds, later keys winning."""
    with splitting_at(_pairmap, split_at):
        made = pairs_from_items(items)
    assert dict(made) == dict(items) and len(made) == len(dict(items))
    assert all(made[k] == v and found_in_row(made.rows[k[0]], k[1]) == v
               for k, v in dict(items).items())
    assert all(isinstance(row, tuple) == (len(list(made.row_items(first))) > split_at)
               for first, row in made.rows.items())


def test_absent_keys_are_reported_as_a_dict_would() -> None:
    """A missing pair, a missing first item, or a key that is not a pair is simply absent."""
    for split_at in (SPLIT_AT, 0):
        with splitting_at(_pairmap, split_at):
            made = pairs_from_items([(("a", 1), "x")])
        assert made.get(("a", 2)) is None and made.get(("b", 1), "none") == "none"
        assert made.get(("a", 2), "none") == "none"
        assert ("b", 1) not in made and "a" not in made and ("a", 1, 2) not in made
        assert "b" not in made.rows and list(made.row_items("b")) == []
        with pytest.raises(KeyError):
            made[("a", 2)]
        with pytest.raises(KeyError):
            made.evolver()[("a", 2)]


def test_an_evolver_left_alone_gives_back_its_base() -> None:
    """A draft with no writes copies nothing and returns the map it started from."""
    made = pairs_from_items([(("a", 1), "x")])
    assert made.evolver().persistent() is made


def test_a_row_is_split_once_it_holds_more_than_the_threshold() -> None:
    """A row that grows past SPLIT_AT items becomes PARTS dicts; the map before keeps its one
    dict, a later write copies only the part it writes to, and other rows are shared."""
    draft = pairs_from_items([(("other", 0), "o")]).evolver()
    for second in range(SPLIT_AT):
        draft[("a", second)] = second
    whole = draft.persistent()
    assert isinstance(whole.rows["a"], dict)
    draft[("a", SPLIT_AT)] = SPLIT_AT
    split = draft.persistent()
    row = split.rows["a"]
    assert isinstance(row, tuple) and len(row) == PARTS
    assert all(second & PART_MASK == part for part, held in enumerate(row) for second in held)
    assert dict(whole) == {("other", 0): "o", **{("a", s): s for s in range(SPLIT_AT)}}
    assert len(split) == SPLIT_AT + 2 and split[("a", SPLIT_AT)] == SPLIT_AT
    draft[("a", 1)] = -1
    written = draft.persistent()
    after = written.rows["a"]
    assert isinstance(after, tuple)
    assert [a is b for a, b in zip(row, after, strict=True)] == [True, False] + [True] * (PARTS - 2)
    assert written.rows["other"] is split.rows["other"]
    assert written[("a", 1)] == -1 and split[("a", 1)] == 1 and len(written) == len(split)
