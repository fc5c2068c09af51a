"""Checkpoints: opening from one gives exactly the state a full replay gives, or is not used."""

from __future__ import annotations

import contextlib
import io
import json
import os
import pickle
import random
import sqlite3
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aes_membership import (
    CheckpointWarning,
    Event,
    FieldError,
    MembershipError,
    Registry,
    StateRegistered,
    StoreError,
    TamperWarning,
    _pmap,
)
from aes_membership import _checkpoint as checkpoints
from aes_membership.datasets import west_africa
from aes_membership.stores.sqlite import SQLiteStore
from aes_membership.timeline import Timeline, build
from conftest import ROOT, Backend
from test_properties import histories

DATES = ("1980-01-01", "2000-06-01", "2024-06-01", "2025-06-01", "2026-01-01")


def state_of(reg: Registry) -> dict[str, Any]:
    """Everything a registry holds, as plain values that compare by content."""
    timeline = reg._timeline
    fields = {f.name: getattr(timeline, f.name) for f in attrs.fields(Timeline)
              if f.name not in ("bloc_indexes", "known_ids", "events")}
    return {
        "timeline": {k: dict(v) if hasattr(v, "items") else v for k, v in fields.items()},
        "events": timeline.events.span(0, reg.position),
        "stamps": list(reg._stamps),
        "instants": dict(reg._instants),
        "not_live": dict(reg._not_live),
        "spells": {key: timeline.spells(*key) for key in timeline.memberships},
    }


def answers(reg: Registry) -> dict[str, Any]:
    """Who was a member of what and who held which post, on a few dates."""
    found: dict[str, Any] = {}
    for on in DATES:
        snap = reg.snapshot(on)
        found[on] = {
            "members": sorted((m.state, m.bloc) for m in snap.memberships()),
            "holders": {post: list(snap.holders(post)) for post in sorted(reg.ids("post"))},
        }
    return found


@pytest.fixture
def kept(durable: Backend) -> Backend:
    """A durable store holding the West Africa history, a checkpoint of it, and more after."""
    with durable.open() as reg:
        west_africa(reg)
        for state, bloc in reg._timeline.memberships:
            reg.periods(state, bloc)  # lines that keep their spells are written without them
        assert reg.checkpoint() == reg.position
        reg.register_state("XYZ", name="Testland")
        reg.join("XYZ", "ECOWAS", on="2026-02-01")
    return durable


def test_opening_from_a_checkpoint_equals_a_full_replay(kept: Backend) -> None:
    """A registry opened from a checkpoint plus the events after it holds what a replay holds."""
    with kept.open() as from_checkpoint, kept.open(checkpoint=False) as replayed:
        assert from_checkpoint.position == replayed.position
        assert state_of(from_checkpoint) == state_of(replayed)
        assert answers(from_checkpoint) == answers(replayed)
        assert from_checkpoint.snapshot("2026-03-01").is_member("XYZ", "ECOWAS")


def test_a_registry_opened_from_a_checkpoint_keeps_recording(kept: Backend) -> None:
    """Retractions and idempotent retries work the same after a checkpoint."""
    with kept.open() as reg:
        joined = reg.history("XYZ")[-1]
        reg.retract(joined.id, reason="entered by mistake")
        assert not reg.snapshot("2026-03-01").is_member("XYZ", "ECOWAS")
        position = reg.position
        reg.record(reg.get(joined.id).event)  # a retry records nothing
        assert reg.position == position
        position = reg.position
    with kept.open() as again, kept.open(checkpoint=False) as replayed:
        assert again.position == position
        assert state_of(again) == state_of(replayed)


def test_as_known_at_reaches_behind_the_checkpoint(kept: Backend) -> None:
    """Questions "as known at" an early position are answered from the restored log."""
    with kept.open() as reg, kept.open(checkpoint=False) as replayed:
        for position in (1, 10, 50, reg.position - 1):
            ours = reg.snapshot("2024-06-01", as_known_at=position)
            theirs = replayed.snapshot("2024-06-01", as_known_at=position)
            assert ours.memberships() == theirs.memberships()


def test_a_new_checkpoint_replaces_the_old_one(kept: Backend) -> None:
    """Saving again covers the newer events, and the store keeps only that one."""
    with kept.open() as reg:
        assert reg.checkpoint() == reg.position
        found = reg.store.load_checkpoint()
        assert found is not None and found[0] == reg.position
    table = "aes_checkpoints" if kept.kind == "sqlite" else f"{kept.options['schema']}.aes_checkpoints"
    assert kept.execute(f"SELECT DISTINCT position FROM {table}") == [(found[0],)]


def test_an_empty_log_keeps_no_checkpoint() -> None:
    """Checkpointing an empty registry writes nothing and says so with position 0."""
    reg = Registry()
    assert reg.checkpoint() == 0
    assert reg.store.load_checkpoint() is None


def test_a_checkpoint_whose_row_changed_is_not_used(kept: Backend) -> None:
    """Editing the row a checkpoint is anchored on voids it: the whole log is replayed and
    the whole chain checked, so the edit is reported."""
    position = kept.execute("SELECT max(position) FROM {events}")[0][0] - 2
    kept.execute("UPDATE {events} SET hash = 'x' || hash WHERE position = ?", position)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with kept.open() as reg:
            assert reg.position == position + 2
    assert [type(w.message) for w in caught] == [TamperWarning]
    assert caught[0].message.report.position == position  # type: ignore[union-attr]


def test_an_edit_before_the_checkpoint_is_found_by_verify(kept: Backend) -> None:
    """Opening from a checkpoint checks the chain after it; verify still checks every row."""
    kept.execute("UPDATE {events} SET payload = payload || ' ' WHERE position = ?", 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg = kept.open()
    with reg:
        report = reg.verify()
    assert not report.ok and report.position == 5


def test_an_edit_after_the_checkpoint_is_found_on_opening(kept: Backend) -> None:
    """A row edited after the checkpoint breaks the chain that opening checks."""
    last = kept.execute("SELECT max(position) FROM {events}")[0][0]
    kept.execute("UPDATE {events} SET payload = payload || ' ' WHERE position = ?", last)
    with pytest.warns(TamperWarning):
        kept.open(on_tamper="warn").close()


def assert_replayed_instead(backend: Backend, match: str) -> None:
    """Opening warns that the checkpoint was not used, and holds what a full replay holds."""
    with pytest.warns(CheckpointWarning, match=match):
        reg = backend.open()
    with reg, backend.open(checkpoint=False) as replayed:
        assert state_of(reg) == state_of(replayed)


def _replace_checkpoint(backend: Backend, data: bytes) -> None:
    with backend.open() as reg:
        found = reg.store.load_checkpoint()
        assert found is not None
        reg.store.save_checkpoint(found[0], data)


def _sealed(payload: bytes) -> bytes:
    """Checkpoint bytes with a correct header and digest around ``payload``."""
    import hashlib

    return (checkpoints._MAGIC + checkpoints._LAYOUT + hashlib.sha256(payload).digest()
            + payload)


def test_a_damaged_checkpoint_is_ignored_with_a_warning(kept: Backend) -> None:
    """A checkpoint whose bytes changed is not used; the log is replayed and a warning says so."""
    with kept.open() as reg:
        found = reg.store.load_checkpoint()
        assert found is not None
        data = bytearray(found[1])
        data[len(data) // 2] ^= 0xFF
        reg.store.save_checkpoint(found[0], bytes(data))
    assert_replayed_instead(kept, match="does not match its digest")


def test_a_crafted_checkpoint_cannot_run_code(kept: Backend, tmp_path: Path) -> None:
    """A checkpoint naming anything but the library's value classes is refused unread."""
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self) -> tuple[Any, ...]:
            return (os.system, (f"touch {marker}",))

    _replace_checkpoint(kept, _sealed(pickle.dumps(Payload(), protocol=5)))
    with pytest.warns(CheckpointWarning, match="may not name"):
        reg = kept.open()
    with reg:
        assert not marker.exists()
        assert reg.snapshot("2026-03-01").is_member("XYZ", "ECOWAS")


def test_a_checkpoint_of_another_layout_is_replayed_quietly(kept: Backend) -> None:
    """A checkpoint written by a library with other classes is ignored without a warning."""
    with kept.open() as reg:
        found = reg.store.load_checkpoint()
        assert found is not None
    head = len(checkpoints._MAGIC)
    other = found[1][:head] + bytes(32) + found[1][head + 32 :]
    _replace_checkpoint(kept, other)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with kept.open() as reg, kept.open(checkpoint=False) as replayed:
            assert state_of(reg) == state_of(replayed)


def test_a_checkpoint_whose_parts_disagree_is_ignored(kept: Backend) -> None:
    """A well-formed checkpoint that covers another position than it is filed under is not used."""
    with kept.open() as reg:
        found = reg.store.load_checkpoint()
        assert found is not None
        state = checkpoints.loads(found[1])
        fewer = state.events.span(0, state.position - 1)
        shorter = checkpoints.RegistryState(
            state.position - 1, state.events, state.stamps[:-1], state.instants,
            state.not_live, build(fewer, state.events))
        reg.store.save_checkpoint(found[0], checkpoints.dumps(shorter))
    with pytest.warns(CheckpointWarning, match="covers"):
        kept.open().close()


def test_a_checkpoint_shares_what_a_replay_shares(kept: Backend) -> None:
    """Opened from a checkpoint, an entry's sequence and position are one int; equal days and
    steps are one; a line holds the live map's entries."""
    with kept.open() as reg:
        assert reg.store.load_checkpoint() is not None
        entries = [entry for shard in reg._timeline.live.shards() for entry in shard.values()]
        assert entries and all(entry[2] is entry[3] for entry in entries)
        days = [day for entry in entries for day in entry[:2]]
        assert len({id(day) for day in days}) == len(set(days))
        read = [line for (state, _), line in reg._timeline.memberships.items()
                if state != "XYZ"]  # lines the checkpoint holds
        codes = [line.codes for line in read]
        assert len(codes) > len(set(codes)) == len({id(steps) for steps in codes})
        # A line holds the live map's own entries, and the days they start on.
        live_ids = {id(entry) for entry in entries}
        assert all(id(entry) in live_ids for line in read for entry in line.entries)
        day_ids = {id(day) for day in days}
        assert all(id(day) in day_ids for line in read for day in line.points)


def test_a_checkpoint_s_events_are_built_when_first_asked_for(kept: Backend) -> None:
    """A membership question after opening builds only events that say what exists; one
    event asked for is built once, and all are built, equal to a replay's, when many are
    asked for."""
    with kept.open() as reg, kept.open(checkpoint=False) as replayed:
        log = reg._timeline.events
        assert log.unbuilt > 0
        assert reg.snapshot("2000-01-01").is_member("MLI", "ECOWAS")
        built = {n for n in range(1, reg.position + 1) if log._built[n] is not None}
        lifecycles = {entry[3] for entries in reg._timeline.subjects.values() for entry in entries}
        tail = set(range(reg.store.load_checkpoint()[0] + 1, reg.position + 1))  # replayed
        assert built - tail and built - tail <= lifecycles
        assert answers(reg) == answers(replayed)
        unbuilt = log.unbuilt
        position = next(n for n in range(1, reg.position + 1) if log._built[n] is None)
        asked = reg.get(replayed.events()[position - 1].event.id).event
        assert log.unbuilt == unbuilt - 1 and reg.get(asked.id).event is asked
        assert reg.events() == replayed.events() and log.unbuilt == 0
        assert reg.events()[position - 1].event is asked


def _state(reg: Registry) -> checkpoints.RegistryState:
    """What ``reg.checkpoint()`` writes."""
    return checkpoints.RegistryState(reg.position, reg._timeline.events, reg._stamps,
                                     reg._instants, reg._not_live, reg._timeline)


def test_a_checkpoint_of_a_registry_opened_from_one_builds_no_event(kept: Backend) -> None:
    """A checkpoint written after opening from one writes the events it has not built from
    the columns it read: the same bytes as once every event is built, building none."""
    with kept.open() as reg:
        reg.register_state("ZZZ", name="Recorded after opening")
        log = reg._timeline.events
        unbuilt = log.unbuilt
        assert unbuilt > 0
        unbuilt_written = checkpoints.dumps(_state(reg))
        assert log.unbuilt == unbuilt
        reg.events()  # builds them all
        assert log.unbuilt == 0
        assert checkpoints.dumps(_state(reg)) == unbuilt_written
        assert reg.checkpoint() == reg.position
    with kept.open() as again, kept.open(checkpoint=False) as replayed:
        assert again._timeline.events.unbuilt == again.position  # (all from the new checkpoint)
        assert state_of(again) == state_of(replayed)


def test_a_copy_of_an_opened_log_gives_the_checkpoint_s_columns_only_up_to_the_copy(
        kept: Backend) -> None:
    """A copy of the opened log's first events, extended by another, gives the checkpoint's
    columns for those first events only, and the other event after them, building none."""
    with kept.open(checkpoint=False) as replayed:
        expected = [recorded.event for recorded in replayed.events()]
    with kept.open() as reg:
        cut = reg.position // 2
        copy = reg._timeline.events.ready_for(cut + 1)
        other = StateRegistered(state="OTHER", name="Another history")
        copy.extend([other])
        unbuilt = copy.unbuilt
        head, built = copy.columns(cut + 1)
        assert head is not None and built == [other] and copy.unbuilt == unbuilt
        assert head[0] == [event.id.int for event in expected[:cut]]


def test_threads_reading_a_checkpoint_s_events_while_one_records_see_a_replay_s(
        kept: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """Histories and event lists asked for by four threads, while another records and writes
    a checkpoint, hold the events a replay holds, each event one object in every answer."""
    made = checkpoints._Columns.event

    def slowly_made(columns: Any, index: int) -> Event:
        time.sleep(0.0002)  # another thread asks for the same event meanwhile
        return made(columns, index)

    monkeypatch.setattr(checkpoints._Columns, "event", slowly_made)
    with kept.open(checkpoint=False) as replayed:
        expected = {state: replayed.history(state) for state in sorted(replayed.ids("state"))}
    with kept.open() as reg:
        start = threading.Barrier(5)
        seen: list[dict[str, tuple[Event, ...]]] = []
        listed: list[list[Event]] = []

        def read() -> None:
            start.wait()
            seen.append({state: reg.history(state) for state in expected})
            listed.append([recorded.event for recorded in reg.events()])

        threads = [threading.Thread(target=read) for _ in range(4)]
        for thread in threads:
            thread.start()
        start.wait()
        reg.register_state("NEW", name="Recorded meanwhile")
        reg.checkpoint()
        for thread in threads:
            thread.join()
        assert len(seen) == 4 and all(found == expected for found in seen)
        for state in expected:  # one object per event, whichever thread built it
            assert all(a is b for found in seen for a, b in zip(found[state], seen[0][state],
                                                                strict=True))
        shortest = min(map(len, listed))
        assert all(a is b for events in listed for a, b in zip(events[:shortest],
                                                                listed[0][:shortest],
                                                                strict=True))


def test_timelines_branched_from_a_checkpoint_build_their_own_events(
        kept: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches applied to the timeline a checkpoint gave, or to an earlier one, share the
    events built before, and each builds the rest, all equal to a replay's, in any order."""
    monkeypatch.setattr("aes_membership._eventlog._BUILD_ALL_ABOVE", 0)  # all at once
    with kept.open() as reg, kept.open(checkpoint=False) as replayed:
        base = reg._timeline
        known = base.events.at(1)
        one = base.apply([StateRegistered(state="ONE", name="One")], reg.position + 1)
        two = base.apply([StateRegistered(state="TWO", name="Two")], reg.position + 1)
        early = base.events.ready_for(51)  # a copy of the first 50, fewer than the source's
        assert one.events is base.events and two.events is not base.events
        expected = [recorded.event for recorded in replayed.events()]
        assert early.span(0, 50) == expected[:50] and early.unbuilt == 0 and len(early) == 50
        assert two.events.span(0, reg.position) == expected and two.events.at(1) is known
        assert one.events.span(0, reg.position) == expected
        assert one.history("ONE")[0].state == "ONE" and two.history("TWO")[0].state == "TWO"


def test_a_live_map_with_split_places_is_read_back_as_it_was(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The live map's split places (as a long history's are) come back split, with the same
    items, and the restored registry records and retracts as a replay does."""
    monkeypatch.setattr(_pmap, "SPLIT_AT", 0)  # every place an event is put in is split
    reg = Registry()
    west_africa(reg)
    layout = reg._timeline.live.layout()
    assert 0 < layout.count(1) < len(layout)  # split places beside whole, empty ones
    restored = Registry.__new__(Registry)
    restored._start(reg.store, restored=checkpoints.loads(checkpoints.dumps(checkpoints.RegistryState(
        reg.position, reg._timeline.events, reg._stamps, reg._instants, reg._not_live, reg._timeline))))
    assert restored._timeline.live.layout() == layout
    assert state_of(restored) == state_of(reg)
    restored.register_state("XYZ", name="Testland")
    joined = restored.join("XYZ", "ECOWAS", on="2026-02-01")
    restored.retract(joined.id, reason="entered by mistake")
    replayed = Registry.__new__(Registry)
    replayed._start(reg.store)
    assert state_of(restored) == state_of(replayed)
    assert answers(restored) == answers(replayed)


def test_a_checkpoint_whose_event_columns_do_not_fit_is_ignored(
        kept: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """Event columns of unequal lengths make the checkpoint unreadable, not a half-built log."""
    columns = checkpoints._columns

    def one_short(written: list[Event]) -> Any:
        ids, classes, fields = columns(written)
        longest = max(range(len(fields)), key=lambda index: len(fields[index][0]))
        fields[longest] = (fields[longest][0][:-1], *fields[longest][1:])
        return ids, classes, fields

    monkeypatch.setattr(checkpoints, "_columns", one_short)
    with kept.open() as reg:
        reg.checkpoint()
    assert_replayed_instead(kept, match="cannot be read .*do not fit")


def test_a_checkpoint_cut_short_is_ignored(kept: Backend) -> None:
    """A checkpoint missing its last bytes, digest made anew, is not used."""
    with kept.open() as reg:
        found = reg.store.load_checkpoint()
        assert found is not None
    payload = found[1][len(checkpoints._MAGIC) + 64 : -8]
    _replace_checkpoint(kept, _sealed(payload))
    assert_replayed_instead(kept, match="cannot be read")


def test_a_checkpoint_whose_entries_name_an_event_not_written_is_ignored(
        kept: Backend) -> None:
    """An entry naming a position beyond the events written is refused when reading."""
    with kept.open() as reg:
        found = reg.store.load_checkpoint()
        assert found is not None
    payload = bytearray(found[1][len(checkpoints._MAGIC) + 64 :])
    stream = io.BytesIO(payload)
    first = checkpoints._Unpickler(stream).load()  # the columns; the arrays come next
    position, entry_count = first[4], first[5]
    # Per event its instant, its id's place and its place in its class, per entry its
    # days, then its position.
    start = stream.tell() + 8 * (3 * position + 2 * entry_count)
    payload[start : start + 8] = (2**40).to_bytes(8, sys.byteorder)
    _replace_checkpoint(kept, _sealed(bytes(payload)))
    assert_replayed_instead(kept, match="entries name events the log does not hold")


def test_a_map_of_post_lines_is_written_as_columns_and_read_back_equal(kept: Backend) -> None:
    """Post lines are written a field at a time; a map of mixed values as its items."""
    from aes_membership._pmap import PMap, from_items

    with kept.open() as reg:
        posts = reg._timeline.posts
        make, args = checkpoints._REDUCERS[PMap](posts)
        assert make is checkpoints._map_of and args[0] is from_items
        assert dict(make(*args)) == dict(posts)
        some = list(posts.items())[:2]
        mixed = from_items([*some, ("X", "not a line")])
        assert checkpoints._REDUCERS[PMap](mixed)[0] is from_items


def test_membership_lines_are_written_as_tuples_and_read_back_equal(kept: Backend) -> None:
    """The membership lines go out as tuples that hash, and come back equal, in their rows,
    with no spells kept."""
    with kept.open() as reg:
        lines = reg._timeline.memberships
        written = checkpoints._lines_written(lines)
        hash(written)  # (the pickler looks every part of it up among the days and entries)
        rebuilt = checkpoints._lines_read(written)
        assert dict(rebuilt) == dict(lines) and list(rebuilt) == list(lines)
        assert {state: list(lines.row_items(state)) for state in lines.rows} == {
            state: list(rebuilt.row_items(state)) for state in rebuilt.rows}
        assert all(line.spells_kept is None for line in rebuilt.values())


def test_membership_lines_that_do_not_fit_are_refused_both_ways(kept: Backend) -> None:
    """A map holding a value that is not a line is not written; rows that do not fit their
    blocs are not read."""
    from aes_membership._pairmap import pairs_from_items

    with kept.open() as reg:
        lines = reg._timeline.memberships
        mixed = pairs_from_items([*list(lines.items())[:2], (("X", "Y"), "not a line")])
        with pytest.raises(ValueError, match="not a line"):
            checkpoints._lines_written(mixed)
        states, sizes, blocs, *columns = checkpoints._lines_written(lines)
        with pytest.raises(ValueError, match="rows do not fit"):
            checkpoints._lines_read((states, (*sizes[:-1], sizes[-1] + 1), blocs, *columns))
        with pytest.raises(ValueError, match="do not fit its fields"):
            checkpoints._lines_read((states, sizes, blocs, columns[0][:-1], *columns[1:]))


def test_a_checkpoint_is_read_under_any_string_hashing(kept: Backend, tmp_path: Path) -> None:
    """Another process, with other string hashes, opens the checkpoint to the same answers."""
    with kept.open(checkpoint=False) as replayed:
        expected = json.loads(json.dumps(answers(replayed), default=str))
    script = (
        "import json, sys, warnings\n"
        "warnings.simplefilter('error')\n"
        "sys.path.insert(0, 'tests')\n"
        "from aes_membership import Registry\n"
        "from test_checkpoint import answers\n"
        f"reg = Registry.open({kept.target!r}, **{kept.options!r})\n"
        "assert reg.store.load_checkpoint() is not None\n"
        "print(json.dumps(answers(reg), default=str))\n"
    )
    for seed in ("1", "2"):
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": seed}, check=False)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == expected


def test_a_read_only_store_uses_but_cannot_write_checkpoints(tmp_path: Path) -> None:
    """A store opened read-only starts from its checkpoint and refuses to write a new one."""
    path = tmp_path / "store.sqlite"
    with Registry.open(path) as reg:
        west_africa(reg)
        reg.checkpoint()
    with Registry.open(path, read_only=True) as reader:
        assert reader.store.load_checkpoint() is not None
        with pytest.raises(StoreError, match="read-only"):
            reader.checkpoint()


def test_a_store_made_before_checkpoints_gets_the_table(tmp_path: Path) -> None:
    """An SQLite file without the checkpoint table opens, read-only as well as for writing."""
    path = tmp_path / "store.sqlite"
    with Registry.open(path) as reg:
        west_africa(reg)
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("DROP TABLE aes_checkpoints")
    with Registry.open(path, read_only=True) as reader:
        assert reader.store.load_checkpoint() is None
    with Registry.open(path) as writer:
        assert writer.checkpoint() == writer.position


def test_saving_a_checkpoint_beyond_the_log_is_refused(tmp_path: Path) -> None:
    """The store refuses a checkpoint for a position it does not hold, naming the range."""
    store = SQLiteStore(tmp_path / "store.sqlite")
    try:
        with pytest.raises(FieldError, match="from 1 to 0, got 1"):
            store.save_checkpoint(1, b"data")
    finally:
        store.close()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.randoms(use_true_random=False))
def test_any_checkpoint_then_the_rest_equals_one_replay(events: list[Event],
                                                        rnd: random.Random) -> None:
    """Whatever the split, checkpoint-then-tail holds exactly what a replay of the log holds."""
    reg = Registry()
    cut = rnd.randint(1, len(events))
    reg.record(*events[:cut])
    data = checkpoints.dumps(checkpoints.RegistryState(
        reg.position, reg._timeline.events, reg._stamps, reg._instants, reg._not_live, reg._timeline))
    if cut < len(events):
        reg.record(*events[cut:])
    if rnd.random() < 0.5 and reg.history("S0"):
        with contextlib.suppress(MembershipError):  # some retractions would break the rest
            reg.retract(reg.history("S0")[-1].id, reason="a test")
    restored = Registry.__new__(Registry)
    restored._start(reg.store, restored=checkpoints.loads(data))
    assert state_of(restored) == state_of(reg)


def test_a_postgres_store_made_before_checkpoints_gets_the_table(pg_backend: Backend) -> None:
    """A PostgreSQL store without the checkpoint table gets it back when opened."""
    with pg_backend.open() as reg:
        west_africa(reg)
    pg_backend.execute(f"DROP TABLE {pg_backend.options['schema']}.aes_checkpoints")
    with pg_backend.open() as reg:
        assert reg.store.load_checkpoint() is None
        assert reg.checkpoint() == reg.position
    with pg_backend.open() as reg, pg_backend.open(checkpoint=False) as replayed:
        assert reg.store.load_checkpoint() is not None
        assert state_of(reg) == state_of(replayed)


def test_a_read_only_postgres_session_without_the_table_replays(pg_backend: Backend) -> None:
    """A session that may not add the checkpoint table opens by replay and cannot save one."""
    with pg_backend.open() as reg:
        west_africa(reg)
        expected = answers(reg)
    pg_backend.execute(f"DROP TABLE {pg_backend.options['schema']}.aes_checkpoints")
    separator = "&" if "?" in pg_backend.target else "?"
    read_only = f"{pg_backend.target}{separator}options=-c%20default_transaction_read_only%3Don"
    with Registry.open(read_only, **pg_backend.options) as reader:
        assert reader.store.load_checkpoint() is None
        assert answers(reader) == expected
        with pytest.raises(StoreError, match="no checkpoint table"):
            reader.checkpoint()
