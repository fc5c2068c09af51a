"""The events of a log by position: the same answers as a plain list, built on first use."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aes_membership import Event, StateRegistered
from aes_membership._eventlog import EventColumns, EventLog
from conftest import from_threads


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

    def fill(self, built: list[Event | None], *, release: bool) -> None:
        self.all_at_once += 1
        for index, event in enumerate(self.events_made[: len(built) - 1]):
            if built[index + 1] is None:
                built[index + 1] = StateRegistered(**_fields(event))

    def columns(self, count: int) -> EventColumns:
        first = self.events_made[:count]
        return ([event.id.int for event in first], bytes(count),
                [([event.state for event in first],  # type: ignore[attr-defined]
                  [event.name for event in first])])  # type: ignore[attr-defined]


def _from_columns(head: EventColumns | None) -> list[Event]:
    """The events a _Source's columns describe."""
    if head is None:
        return []
    ids, _, [(states, names)] = head
    return [StateRegistered(id=uuid.UUID(int=number), state=state, name=name)
            for number, state, name in zip(ids, states, names, strict=True)]


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
    found = from_threads(lambda: log.at(2))
    assert len(found) == 8 and all(event is found[0] for event in found)


def test_a_batch_goes_at_the_end_or_on_a_copy() -> None:
    """The log is extended in place for the next position, copied for an earlier one, and
    refuses a gap; a copy shares the events built so far, and builds the others itself."""
    source = _Source(_events(4))
    log = EventLog(source)
    log.extend(_events(1, first=4))
    assert log.ready_for(6) is log
    first = log.at(1)
    branch = log.ready_for(4)
    branch.extend(_events(1, first=9))
    assert len(log) == 5 and len(branch) == 4
    assert branch.at(4).state == "S9" and log.at(4).state == "S3"  # type: ignore[attr-defined]
    assert branch.at(1) is first and branch.at(2) == log.at(2)
    assert branch.span(0, 3) == log.span(0, 3)
    with pytest.raises(ValueError, match="the next event goes at position 6, not 8"):
        log.ready_for(8)
    log.truncate(1)
    assert len(log) == 1


def test_copies_build_every_event_from_a_shared_source_without_taking_it_from_the_other(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Two logs sharing a source each build all their events at once, in any order."""
    monkeypatch.setattr("aes_membership._eventlog._BUILD_ALL_ABOVE", 0)
    in_order = _events(6)
    source = _Source(in_order)
    log = EventLog(source)
    branch = log.ready_for(4)
    branch.extend(_events(1, first=9))
    assert branch.span(0, 4)[:3] == in_order[:3] and branch.unbuilt == 0
    assert log.span(0, 6) == in_order and log.unbuilt == 0


@given(st.integers(1, 8), st.lists(st.tuples(st.sampled_from(["extend", "truncate", "copy", "at"]),
                                             st.integers(0, 12)), max_size=8),
       st.integers(0, 20))
def test_columns_describe_the_log_s_events_without_building_any(
        held: int, steps: list[tuple[str, int]], until: int) -> None:
    """Whatever was added, taken away, copied or built, the source's columns and the events
    after them are the log's events in order, and asking for them builds none."""
    made = _events(held)
    log, expected, added = EventLog(_Source(made)), list(made), 100
    for step, number in steps:
        if step == "extend":
            more = _events(number, first=added)
            added += number
            log.extend(more)
            expected += more
        elif step == "truncate":
            length = min(number, len(expected))
            log.truncate(length)
            del expected[length:]
        elif step == "copy":
            position = min(number, len(expected)) + 1
            log = log.ready_for(position)
            del expected[position - 1 :]
        elif expected:
            log.at(number % len(expected) + 1)
    until = min(until, len(expected))
    unbuilt = log.unbuilt
    head, built = log.columns(until)
    assert _from_columns(head) + built == expected[:until]
    assert log.unbuilt == unbuilt
    with pytest.raises(IndexError, match=f"position {len(expected) + 1} is not among"):
        log.columns(len(expected) + 1)


def test_a_source_whose_columns_are_gone_gives_its_events_built() -> None:
    """Where the source can no longer give its columns, the log gives every event, built."""
    made = _events(3)
    source = _Source(made)
    source.columns = lambda count: None  # type: ignore[method-assign]
    log = EventLog(source)
    later = _events(1, first=7)
    log.extend(later)
    head, built = log.columns(4)
    assert head is None and built == [*made, *later] and log.unbuilt == 0
