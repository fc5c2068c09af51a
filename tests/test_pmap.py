"""The persistent map behaves as a dict, and maps already made never change."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from aes_membership import _pmap
from aes_membership._pmap import SPLIT_AT, PMap, from_items, from_shards
from conftest import replay_into_maps, splitting_at

# Keys n × 1024 fall in 4 places of the table and 16 parts of each: dicts that share a
# place, split or not, are written to in one batch.
keys = st.one_of(st.integers(-10**6, 10**6), st.text(max_size=4),
                 st.integers(-255, 255).map(lambda n: n << 10))
operations = st.lists(st.tuples(st.booleans(), keys, st.integers()), max_size=200)
# Maps of a few hundred keys split no place at the library's threshold: with 0, every place
# written to is split, and with 1, places with one key stay whole beside split ones.
thresholds = pytest.mark.parametrize("split_at", [SPLIT_AT, 0, 1])



@thresholds
@settings(max_examples=200, deadline=None)
@given(st.lists(operations, min_size=1, max_size=4))
def test_every_version_equals_a_dict_replay(split_at: int,
                                            batches: list[list[tuple[bool, object, int]]]) -> None:
    """Each batch of sets and deletes gives a map equal to a dict, and earlier maps stay put."""
    # Checked once all batches are in: a later batch that changed an earlier map shows here.
    with splitting_at(_pmap, split_at):
        versions = replay_into_maps(PMap(), batches)
    for pmap, plain in versions:
        assert dict(pmap) == plain and len(pmap) == len(plain)
        assert all(pmap.get(k) == v and k in pmap and pmap[k] == v for k, v in plain.items())


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


@thresholds
@given(st.lists(st.tuples(keys, st.integers()), max_size=300))
def test_from_items_equals_a_dict(split_at: int, items: list[tuple[object, int]]) -> None:
    """A map built from items holds what a dict built from them holds, later keys winning."""
    with splitting_at(_pmap, split_at):
        made = from_items(items)
    assert dict(made) == dict(items) and len(made) == len(dict(items))
    assert all(made[k] == v for k, v in dict(items).items())


@thresholds
@given(st.dictionaries(st.integers(), st.integers(), max_size=300))
def test_from_shards_rebuilds_the_map_its_shards_came_from(split_at: int,
                                                           plain: dict[int, int]) -> None:
    """A map rebuilt from another's shards and layout holds the same items, finds every key,
    and splits the same places."""
    with splitting_at(_pmap, split_at):
        original = from_items(plain.items())
    made = from_shards([dict(shard) for shard in original.shards()], original.layout())
    assert dict(made) == plain and len(made) == len(plain)
    assert all(made[k] == v for k, v in plain.items())
    assert made.layout() == original.layout()


@thresholds
@given(st.dictionaries(keys, st.integers(), max_size=200), st.lists(keys, max_size=200))
def test_present_lists_the_keys_held_in_their_order(split_at: int, plain: dict[object, int],
                                                    asked: list[object]) -> None:
    """present() gives the asked keys the map holds, in the order asked, repeats kept."""
    with splitting_at(_pmap, split_at):
        made = from_items(plain.items())
    assert made.present(asked) == [k for k in asked if k in plain]


def test_from_shards_names_a_wrong_count() -> None:
    """A list that is not one dict per place of the table is refused, saying how many came."""
    with pytest.raises(ValueError, match="expected 4096 dicts, got 3"):
        from_shards([{}, {}, {}])
    with pytest.raises(ValueError, match="expected 4111 dicts, got 4096"):
        from_shards([{} for _ in range(4096)], bytes([1]) + bytes(4095))


def test_from_shards_names_a_layout_of_the_wrong_size() -> None:
    """A layout that is not one flag per place of the table is refused, saying how long it was."""
    with pytest.raises(ValueError, match="expected 4096 places, got 2"):
        from_shards([{} for _ in range(4096)], b"\0\0")


def test_a_place_is_split_once_it_holds_more_than_the_threshold() -> None:
    """A place whose dict grows past SPLIT_AT keys becomes 16 dicts; the map before keeps its
    one dict, and a later write copies only the part it writes to."""
    # Keys 4096 apart share a place; bits 12–15 of their hashes (the part) differ.
    keys = [4096 * n for n in range(SPLIT_AT + 1)]
    draft = PMap[int, int]().evolver()
    draft.set_all(keys[:-1], keys[:-1])
    whole = draft.persistent()
    assert whole.layout()[0] == 0
    draft[keys[-1]] = 1
    split = draft.persistent()
    assert split.layout() == bytes([1]) + bytes(4095)
    assert dict(whole) == {k: k for k in keys[:-1]} and len(whole) == SPLIT_AT
    assert dict(split) == {**{k: k for k in keys[:-1]}, keys[-1]: 1} and len(split) == SPLIT_AT + 1
    draft[0] = -1
    written = draft.persistent()
    before, after = split._rows[0][0], written._rows[0][0]
    assert isinstance(before, tuple) and isinstance(after, tuple)
    assert [a is b for a, b in zip(before, after, strict=True)] == [False] + [True] * 15
    assert written[0] == -1 and split[0] == 0


@thresholds
@settings(max_examples=200, deadline=None)
@given(st.dictionaries(keys, st.integers(), max_size=200),
       st.lists(st.tuples(keys, st.integers()), max_size=20),
       st.lists(st.tuples(keys, st.integers()), max_size=300))
@example(plain={1: 1}, before=[], pairs=[(1, 2)])  # one pair, a key already there
@example(plain={1: 1}, before=[(2, 2)], pairs=[(3, 3)])  # one pair, a new key
def test_set_all_equals_setting_each_pair_in_order(split_at: int, plain: dict[object, int],
                                                    before: list[tuple[object, int]],
                                                    pairs: list[tuple[object, int]]) -> None:
    """set_all() leaves the same map as a set per pair, later keys winning, the original kept,
    also on a draft already written to, and counts the keys it added."""
    with splitting_at(_pmap, split_at):
        original = from_items(plain.items())
        draft = original.evolver()
        for key, value in before:
            draft[key] = value
        added = draft.set_all([k for k, _ in pairs], [v for _, v in pairs])
        made = draft.persistent()
    expected = {**plain, **dict(before), **dict(pairs)}
    assert added == len(expected) - len({**plain, **dict(before)})
    assert dict(made) == expected and len(made) == len(expected)
    assert all(made[k] == v for k, v in expected.items())
    assert dict(original) == plain and len(original) == len(plain)


@thresholds
@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(keys, st.integers()), min_size=2, max_size=300),
       operations, st.lists(operations, max_size=3))
def test_a_batch_into_an_empty_map_then_more_writes_equals_a_dict_replay(
        split_at: int, pairs: list[tuple[object, int]], more: list[tuple[bool, object, int]],
        batches: list[list[tuple[bool, object, int]]]) -> None:
    """A first set_all() into an empty map, then sets and deletes on that draft and the
    versions after it, gives what a dict would, and leaves every other empty map empty."""
    with splitting_at(_pmap, split_at):
        draft = PMap[object, int]().evolver()
        added = draft.set_all([k for k, _ in pairs], [v for _, v in pairs])
        expected = dict(pairs)
        assert added == len(expected)
        for is_set, key, value in more:  # on the same draft, before it is made persistent
            if is_set:
                draft[key] = expected[key] = value
            elif key in expected:
                del draft[key], expected[key]
        filled = draft.persistent()
        versions = replay_into_maps(filled, batches, held=expected)
        # A second map filled the same way, after the first's later writes: nothing shared.
        second = PMap[object, int]().evolver()
        second.set_all([k for k, _ in pairs], [-1 for _ in pairs])
        other = second.persistent()
    for pmap, plain in versions:
        assert dict(pmap) == plain and len(pmap) == len(plain)
        assert all(pmap.get(k) == v and k in pmap and pmap[k] == v for k, v in plain.items())
    assert dict(other) == {k: -1 for k, _ in pairs}
    assert dict(PMap()) == {} and len(PMap()) == 0


@thresholds
@settings(max_examples=100, deadline=None)
@given(st.dictionaries(keys, st.integers(), min_size=1, max_size=200),
       st.lists(st.tuples(keys, st.integers()), min_size=2, max_size=300))
def test_a_batch_into_a_map_emptied_by_deletes_equals_a_dict(
        split_at: int, plain: dict[object, int], pairs: list[tuple[object, int]]) -> None:
    """set_all() into a map whose every key was deleted (its places split or not) holds the
    batch alone, and the maps before it keep what they held."""
    with splitting_at(_pmap, split_at):
        full = from_items(plain.items())
        draft = full.evolver()
        for key in plain:
            del draft[key]
        emptied = draft.persistent()
        added = draft.set_all([k for k, _ in pairs], [v for _, v in pairs])
        made = draft.persistent()
    expected = dict(pairs)
    assert added == len(expected) and dict(made) == expected and len(made) == len(expected)
    assert all(made[k] == v for k, v in expected.items())
    assert dict(emptied) == {} and len(emptied) == 0
    assert dict(full) == plain and len(full) == len(plain)


def test_set_all_refuses_keys_and_values_of_different_lengths() -> None:
    """Keys and values that do not pair up are refused, and nothing is written."""
    draft = PMap[int, int]().evolver()
    with pytest.raises(ValueError, match="2 keys for 1 values"):
        draft.set_all([1, 2], [1])
    assert len(draft.persistent()) == 0
