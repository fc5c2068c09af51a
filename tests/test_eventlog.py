"""The registry's events by position: the same answers as a plain list in log order."""

from __future__ import annotations

import random
from array import array

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aes_membership import Event, StateRegistered
from aes_membership._eventlog import EventLog


def _events(count: int) -> list[Event]:
    return [StateRegistered(state=f"S{n}", name=f"State {n}") for n in range(count)]


def _log(in_order: list[Event], held_count: int, seed: int) -> EventLog:
    """A log holding the first ``held_count`` events shuffled, with their order, then the rest."""
    held = in_order[:held_count]
    written = held[:]
    random.Random(seed).shuffle(written)
    place = {id(event): n for n, event in enumerate(written)}
    log = EventLog(written, array("Q", (place[id(event)] for event in held)))
    log.extend(in_order[held_count:])
    return log


@given(st.integers(0, 12), st.integers(0, 12), st.integers(0, 2**16),
       st.lists(st.one_of(st.integers(-30, 30), st.tuples(
           st.none() | st.integers(-30, 30), st.none() | st.integers(-30, 30),
           st.none() | st.integers(-3, 3).filter(bool)))))
def test_a_log_answers_as_the_list_in_log_order(held: int, since: int, seed: int,
                                               asked: list[int | tuple[int | None, ...]]) -> None:
    """Length, iteration, indexing and slicing agree with a list of the events in log order."""
    in_order = _events(held + since)
    log = _log(in_order, held, seed)
    assert len(log) == len(in_order)
    assert list(log) == in_order
    for index in asked:
        if isinstance(index, tuple):
            assert log[slice(*index)] == in_order[slice(*index)]
        elif -len(in_order) <= index < len(in_order):
            assert log[index] is in_order[index]
        else:
            with pytest.raises(IndexError, match=f"index {index} out of range"):
                log[index]


def test_a_log_without_an_order_holds_its_events_in_log_order() -> None:
    """Events given without an order are taken as already in log order."""
    in_order = _events(3)
    log = EventLog(in_order)
    log.extend(_events(1))
    assert list(log)[:3] == in_order and len(log) == 4
    assert log[1:3] == in_order[1:3]
