"""The persistent map behaves as a dict, and maps already made never change."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aes_membership._pmap import PMap, from_items, from_shards
from conftest import replay_into_maps

keys = st.one_of(st.integers(-10**6, 10**6), st.text(max_size=4))
operations = st.lists(st.tuples(st.booleans(), keys, st.integers()), max_size=200)


@settings(max_examples=200, deadline=None)
@given(st.lists(operations, min_size=1, max_size=4))
def test_every_version_equals_a_dict_replay(batches: list[list[tuple[bool, object, int]]]) -> None:
    """Each batch of sets and deletes gives a map equal to a dict, and earlier maps stay put."""
    # Checked once all batches are in: a later batch that changed an earlier map shows here.
    for pmap, plain in replay_into_maps(PMap(), batches):
        assert dict(pmap) == plain and len(pmap) == len(plain)
        assert all(pmap.get(k) == v and k in pmap for k, v in plain.items())


@given(st.lists(st.tuples(keys, st.integers()), max_size=300))
def test_writing_to_one_empty_map_leaves_every_other_empty(items: list[tuple[object, int]]) -> None:
    """Empty maps share one table: what a draft of one writes shows in no other."""
    first, second = PMap(), PMap()
    draft = first.evolver()
    for key, value in items:
        draft[key] = value
    draft.set_all([key for key, _ in items], [value + 1 for _, value in items])
    written = draft.persistent()
    assert dict(written) == {key: value + 1 for key, value in items}
    for empty in (first, second, PMap()):
        assert dict(empty) == {} and len(empty) == 0
        assert all(key not in empty for key, _ in items)


@given(st.lists(st.tuples(keys, st.integers()), max_size=300))
def test_from_items_equals_a_dict(items: list[tuple[object, int]]) -> None:
    """A map built from items holds what a dict built from them holds, later keys winning."""
    made = from_items(items)
    assert dict(made) == dict(items) and len(made) == len(dict(items))


@given(st.dictionaries(st.integers(), st.integers(), max_size=300))
def test_from_shards_rebuilds_the_map_its_shards_came_from(plain: dict[int, int]) -> None:
    """A map rebuilt from another's shards holds the same items and finds every key."""
    made = from_shards([dict(shard) for shard in from_items(plain.items()).shards()])
    assert dict(made) == plain and len(made) == len(plain)
    assert all(made[k] == v for k, v in plain.items())


@given(st.dictionaries(keys, st.integers(), max_size=200), st.lists(keys, max_size=200))
def test_present_lists_the_keys_held_in_their_order(plain: dict[object, int],
                                                    asked: list[object]) -> None:
    """present() gives the asked keys the map holds, in the order asked, repeats kept."""
    assert from_items(plain.items()).present(asked) == [k for k in asked if k in plain]


def test_from_shards_names_a_wrong_count() -> None:
    """A list that is not one dict per place of the table is refused, saying how many came."""
    with pytest.raises(ValueError, match="expected 4096 dicts, got 3"):
        from_shards([{}, {}, {}])


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(keys, st.integers(), max_size=200),
       st.lists(st.tuples(keys, st.integers()), max_size=20),
       st.lists(st.tuples(keys, st.integers()), max_size=300))
def test_set_all_equals_setting_each_pair_in_order(plain: dict[object, int],
                                                    before: list[tuple[object, int]],
                                                    pairs: list[tuple[object, int]]) -> None:
    """set_all() leaves the same map as a set per pair, later keys winning, the original kept,
    also on a draft already written to."""
    original = from_items(plain.items())
    draft = original.evolver()
    for key, value in before:
        draft[key] = value
    draft.set_all([k for k, _ in pairs], [v for _, v in pairs])
    made = draft.persistent()
    expected = {**plain, **dict(before), **dict(pairs)}
    assert dict(made) == expected and len(made) == len(expected)
    assert all(made[k] == v for k, v in expected.items())
    assert dict(original) == plain and len(original) == len(plain)


def test_set_all_refuses_keys_and_values_of_different_lengths() -> None:
    """Keys and values that do not pair up are refused, and nothing is written."""
    draft = PMap[int, int]().evolver()
    with pytest.raises(ValueError, match="2 keys for 1 values"):
        draft.set_all([1, 2], [1])
    assert len(draft.persistent()) == 0
