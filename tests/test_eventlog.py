"""The events of a log by position: the same answers as a plain list, built on first use."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aes_membership import Event, StateRegistered
from aes_membership._eventlog import EventLog


def _events(count: int, first: int = 0) -> list[Event]:
    return [StateRegistered(state=f"S{n}", name=f"State {n}") for n in range(first, first + count)]


class _Source:
    """Events made anew each time, counting how many were made one by one and all at once."""

    def __init__(self, events: list[Event]) -> None:
        self.events_made = events
        self.one_by_one = 0
        self.all_at_once = 0

    def __len__(self) -> int:
        return len(self.events_made)

    def event(self, index: int) -> Event:
        self.one_by_one += 1
        return StateRegistered(**_fields(self.events_made[index]))

    def fill(self, built: list[Event | None]) -> None:
        self.all_at_once += 1
        for index, event in enumerate(self.events_made):
            if built[index + 1] is None:
                built[index + 1] = StateRegistered(**_fields(event))


def _fields(event: Event) -> dict[str, object]:
    return {"id": event.id, "state": event.state, "name": event.name}  # type: ignore[attr-defined]


@given(st.integers(0, 12), st.integers(0, 12),
       st.lists(st.tuples(st.integers(-2, 26), st.integers(-2, 26))))
def test_a_log_answers_as_the_list_in_log_order(held: int, since: int,
                                               asked: list[tuple[int, int]]) -> None:
    """Length, positions and spans agree with a list of the events in log order."""
    in_order = _events(held + since)
    log = EventLog(_Source(in_order[:held]))
    log.extend(in_order[held:])
    assert len(log) == len(in_order)
    for after, until in asked:
        if 0 <= after <= until <= len(in_order):
            assert log.span(after, until) == in_order[after:until]
        else:
            with pytest.raises(IndexError, match="are not all among the log's"):
                log.span(after, until)
        if 0 < until <= len(in_order):
            assert log.at(until) == in_order[until - 1]
        else:
            with pytest.raises(IndexError, match=f"position {until} is not among"):
                log.at(until)


def test_an_event_is_built_once_and_kept() -> None:
    """An event asked for twice is one object, built once; what is built already is kept
    when all the rest are."""
    source = _Source(_events(5))
    log = EventLog(source)
    assert log.unbuilt == 5
    third = log.at(3)
    assert log.at(3) is third and source.one_by_one == 1 and log.unbuilt == 4
    assert log.span(0, 5)[2] is third and log.unbuilt == 0 and source.all_at_once == 0


def test_many_events_not_built_are_built_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A span asking for more events than are built one by one builds them all in one go."""
    monkeypatch.setattr("aes_membership._eventlog._BUILD_ALL_ABOVE", 2)
    source = _Source(_events(6))
    log = EventLog(source)
    second = log.at(2)
    assert log.span(0, 6)[1] is second
    assert source.all_at_once == 1 and source.one_by_one == 1 and log.unbuilt == 0
    assert log.getter() == log._built.__getitem__  # every event is built: the list answers


def test_threads_asking_for_one_event_get_one_object() -> None:
    """Eight threads asking for the same event at once all get the same object."""
    log = EventLog(_Source(_events(3)))
    start = threading.Barrier(8)
    found: list[Event] = []

    def ask() -> None:
        start.wait()
        found.append(log.at(2))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 8 and all(event is found[0] for event in found)


def test_a_batch_goes_at_the_end_or_on_a_copy() -> None:
    """The log is extended in place for the next position, copied for an earlier one (with
    every event built first), and refuses a gap."""
    source = _Source(_events(2))
    log = EventLog(source)
    log.extend(_events(1, first=2))
    assert log.ready_for(4) is log
    branch = log.ready_for(3)
    branch.extend(_events(1, first=9))
    assert len(log) == 3 and len(branch) == 3 and branch.at(3).state == "S9"  # type: ignore[attr-defined]
    assert log.at(3).state == "S2" and source.all_at_once == 1  # type: ignore[attr-defined]
    assert branch.span(0, 2) == log.span(0, 2) and branch.at(1) is log.at(1)
    with pytest.raises(ValueError, match="the next event goes at position 4, not 6"):
        log.ready_for(6)
    log.truncate(1)
    assert len(log) == 1
