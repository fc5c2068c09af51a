"""Several processes write to one store at once: nothing lost, nothing doubled, rules kept."""

from __future__ import annotations

import json
import multiprocessing
import random
from pathlib import Path
from typing import Any

import pytest

from aes_membership import (
    ConcurrencyError,
    MembershipError,
    Registry,
    StateJoined,
    StateRegistered,
    StateWithdrew,
)
from aes_membership._eventlog import EventLog
from aes_membership.events import Event
from aes_membership.stores import MemoryStore
from conftest import Backend

WORKERS = 4
ATTEMPTS = 30
STATES = [f"S{n}" for n in range(6)]


def _contend(target: str, options: dict[str, Any], worker: int, out: str) -> None:
    """Join and withdraw shared states (conflicting) and register own states (not conflicting)."""
    rng = random.Random(worker)
    outcomes = []
    reg = Registry.open(target, max_retries=50, **options)
    for attempt in range(ATTEMPTS):
        state = rng.choice(STATES)
        year = 1990 + attempt
        event: Event
        if rng.random() < 0.25:
            event = StateRegistered(state=f"W{worker}-{attempt}", name=f"state {worker}/{attempt}")
        elif rng.random() < 0.6:
            event = StateJoined(state=state, bloc="AES", on=f"{year}-0{1 + worker}-01")
        else:
            event = StateWithdrew(state=state, bloc="AES", on=f"{year}-0{1 + worker}-15")
        try:
            reg.record(event)
        except MembershipError as error:
            outcomes.append({"id": str(event.id), "accepted": False, "error": type(error).__name__})
        else:
            outcomes.append({"id": str(event.id), "accepted": True})
    outcomes.append({"lost_races": reg.lost_races})
    reg.close()
    Path(out).write_text(json.dumps(outcomes))


def test_concurrent_writers_keep_every_accepted_event_once(durable: Backend,
                                                           tmp_path: Path) -> None:
    """Accepted events are stored exactly once, rejections reach their callers, rules hold."""
    with durable.open() as reg:
        reg.found("AES", name="Alliance of Sahel States", on="1980-01-01")
        for state in STATES:
            reg.register_state(state, name=state)
        setup = reg.position
    ctx = multiprocessing.get_context("spawn")
    outs = [tmp_path / f"worker{w}.json" for w in range(WORKERS)]
    workers = [
        ctx.Process(target=_contend, args=(durable.target, durable.options, w, str(outs[w])))
        for w in range(WORKERS)
    ]
    for process in workers:
        process.start()
    for process in workers:
        process.join(300)
        assert process.exitcode == 0
    reports = [json.loads(out.read_text()) for out in outs]
    outcomes = [o for report in reports for o in report[:-1]]
    assert len(outcomes) == WORKERS * ATTEMPTS
    accepted = {o["id"] for o in outcomes if o["accepted"]}
    rejected = [o for o in outcomes if not o["accepted"]]
    assert rejected, "the workload is built to conflict"
    assert {o["error"] for o in rejected} <= {"InvariantError", "AmbiguousDateError"}

    with durable.open(on_tamper="refuse") as reg:
        stored = [str(r.event.id) for r in reg.events()][setup:]
        assert len(stored) == len(set(stored)), "an event was stored twice"
        assert set(stored) == accepted, "stored events are exactly the accepted ones"
        assert [r.position for r in reg.events()] == list(range(1, reg.position + 1))
        assert reg.verify().ok
        # Replaying the stored log with full validation proves the invariants hold.
        check = Registry()
        check.record(*(r.event for r in reg.events()))
        assert check.position == reg.position


class _AlwaysBeaten(MemoryStore):
    """A store where a rival writer commits just before every append of ours."""

    def __init__(self) -> None:
        super().__init__()
        self.rivals = 0

    def append(self, events: Any, *, expected_position: int, recorded_at: Any = None) -> Any:
        self.rivals += 1
        super().append([StateRegistered(state=f"RIVAL{self.rivals}", name="rival")],
                       expected_position=self.last_position())
        return super().append(events, expected_position=expected_position,
                              recorded_at=recorded_at)


def test_a_writer_that_keeps_losing_gives_up_with_both_positions(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """After max_retries lost races the writer raises ConcurrencyError naming both positions;
    its event is not stored, and the rivals' events are."""
    copied: list[bool] = []
    ready_for = EventLog.ready_for

    def noting_copies(log: EventLog, position: int) -> EventLog:
        found = ready_for(log, position)
        copied.append(found is not log)
        return found

    monkeypatch.setattr(EventLog, "ready_for", noting_copies)
    store = _AlwaysBeaten()
    reg = Registry(store, max_retries=3)
    with pytest.raises(ConcurrencyError) as caught:
        reg.register_state("MLI", name="Mali")
    error = caught.value
    assert error.attempts == 3
    assert (error.expected, error.actual) == (2, 3)
    assert "position 2 to 3" in str(error)
    assert store.rivals == 3 and reg.lost_races == 3
    reg.refresh()
    assert reg.ids("state") == {"RIVAL1", "RIVAL2", "RIVAL3"}
    # Each lost batch's events were taken back out of the log before the rivals' came in,
    # so that theirs went at its end, not on a copy of it.
    log = reg._timeline.events
    assert copied and not any(copied) and len(log) == reg.position == 3
    assert [e.state for e in log.span(0, 3)] == ["RIVAL1", "RIVAL2", "RIVAL3"]  # type: ignore[attr-defined]
