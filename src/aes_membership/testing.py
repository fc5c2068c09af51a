"""The store contract: one test suite that every store backend must pass.

Third-party backends reuse it by subclassing :class:`StoreContract` in their own tests and
providing a ``store`` fixture that yields a new, empty store::

    class TestMyStore(StoreContract):
        @pytest.fixture
        def store(self):
            store = MyStore(...)
            yield store
            store.close()

Needs pytest (the ``test`` extra).
"""

from __future__ import annotations

import datetime
import math
import re
import threading
import uuid
from typing import Any

import pendulum
import pytest

from .errors import ConcurrencyError, DateError, DuplicateEventError, FieldError, StoreError
from .events import StateJoined, StateRegistered
from .stores.base import Store

__all__ = ["StoreContract"]


def _event(n: int) -> StateRegistered:
    return StateRegistered(state=f"S{n}", name=f"State {n}")


class StoreContract:
    """Behaviour every :class:`~aes_membership.stores.base.Store` must have."""

    def test_a_closed_store_refuses_to_be_used(self, store: Store) -> None:
        """After close(), appending, reading and asking for the last position each raise a
        StoreError that says the store is closed; closing again is allowed."""
        store.append([_event(1)], expected_position=0)
        store.close()
        with pytest.raises(StoreError, match="is closed"):
            store.append([_event(2)], expected_position=1)
        with pytest.raises(StoreError, match="is closed"):
            list(store.read())
        with pytest.raises(StoreError, match="is closed"):
            store.last_position()
        store.close()

    def test_new_store_is_empty(self, store: Store) -> None:
        """A new store has no events and last position 0."""
        assert store.last_position() == 0
        assert list(store.read()) == []

    def test_append_assigns_consecutive_positions(self, store: Store) -> None:
        """Appended events get positions 1, 2, 3… in the order given."""
        recorded = store.append([_event(1), _event(2)], expected_position=0)
        recorded += store.append([_event(3)], expected_position=2)
        assert [r.position for r in recorded] == [1, 2, 3]
        assert store.last_position() == 3

    def test_read_returns_events_unchanged(self, store: Store) -> None:
        """Reading gives back equal events with their envelope, in position order."""
        events = [_event(1), StateJoined(state="S1", bloc="B", on="1977", source="src")]
        store.append(events, expected_position=0)
        read = list(store.read())
        assert [r.event for r in read] == events
        assert all(r.recorded_at.tzinfo is not None for r in read)
        assert read[0].recorded_at.utcoffset() == pendulum.duration(0)

    def test_read_after_position(self, store: Store) -> None:
        """read(after=n) starts right after position n."""
        store.append([_event(i) for i in range(5)], expected_position=0)
        assert [r.position for r in store.read(3)] == [4, 5]

    def test_stale_expected_position_conflicts(self, store: Store) -> None:
        """Appending at a stale position raises ConcurrencyError and writes nothing."""
        store.append([_event(1)], expected_position=0)
        with pytest.raises(ConcurrencyError) as caught:
            store.append([_event(2)], expected_position=0)
        assert (caught.value.expected, caught.value.actual) == (0, 1)
        assert store.last_position() == 1

    def test_expected_position_ahead_of_the_store_is_named_as_given(self, store: Store) -> None:
        """Appending at a position the store has not reached raises ConcurrencyError naming
        that position as given, however large (past what Python writes, by its size), and
        saying the store is behind it."""
        store.append([_event(1)], expected_position=0)
        for ahead, shown in ((5, "5"), (2**70, str(2**70)),
                             (10**5000, "<a whole number of 16610 bits>")):
            with pytest.raises(ConcurrencyError) as caught:
                store.append([_event(2)], expected_position=ahead)
            assert (caught.value.expected, caught.value.actual) == (ahead, 1)
            assert str(caught.value) == (f"the store is at position 1, behind the expected "
                                         f"position {shown}; append at the position it is at")
        assert store.last_position() == 1

    def test_idempotent_retry(self, store: Store) -> None:
        """Appending an already stored event again (same id, same content) stores nothing."""
        event = _event(1)
        store.append([event], expected_position=0)
        assert store.append([event], expected_position=1) == []
        assert store.last_position() == 1

    def test_duplicate_id_with_other_content_is_rejected(self, store: Store) -> None:
        """The same id with different content raises DuplicateEventError and writes nothing."""
        event = _event(1)
        store.append([event], expected_position=0)
        impostor = StateRegistered(id=event.id, state="S1", name="Another name")
        with pytest.raises(DuplicateEventError) as caught:
            store.append([impostor, _event(2)], expected_position=1)
        assert caught.value.event_id == event.id and not caught.value.in_batch
        assert store.last_position() == 1

    def test_an_event_repeated_in_a_batch_is_stored_once(self, store: Store) -> None:
        """The same event twice in one batch takes one position."""
        event, other = _event(1), _event(2)
        recorded = store.append([event, other, event], expected_position=0)
        assert [(r.position, r.event) for r in recorded] == [(1, event), (2, other)]
        assert [r.event for r in store.read()] == [event, other]

    def test_batch_is_all_or_nothing(self, store: Store) -> None:
        """A batch with one bad event leaves the store exactly as it was."""
        store.append([_event(1)], expected_position=0)
        same = uuid.uuid4()
        batch = [StateRegistered(id=same, state="X", name="x"),
                 StateRegistered(id=same, state="Y", name="y")]
        with pytest.raises(DuplicateEventError) as caught:
            store.append(batch, expected_position=1)
        assert caught.value.event_id == same and caught.value.in_batch
        assert [r.position for r in store.read()] == [1]

    def test_recorded_at_never_goes_back(self, store: Store) -> None:
        """Backdated batches are accepted in order and refused out of order."""
        first = pendulum.datetime(2020, 1, 1, tz="UTC")
        store.append([_event(1)], expected_position=0, recorded_at=first)
        with pytest.raises(DateError):
            store.append([_event(2)], expected_position=1,
                         recorded_at=pendulum.datetime(2019, 1, 1, tz="UTC"))
        later = store.append([_event(3)], expected_position=1)
        assert later[0].recorded_at >= first
        assert next(iter(store.read())).recorded_at == first

    def test_recorded_at_given_per_event_must_be_one_per_event(self, store: Store) -> None:
        """One instant per event stamps each event; any other count is a FieldError naming
        recorded_at and both counts, and stores nothing."""
        first = pendulum.datetime(2020, 1, 1, tz="UTC")
        second = pendulum.datetime(2021, 1, 1, tz="UTC")
        with pytest.raises(FieldError, match=r"^recorded_at: expected one instant per event "
                                             r"\(2\), got 1 instant$") as caught:
            store.append([_event(1), _event(2)], expected_position=0, recorded_at=[first])
        assert caught.value.value == [first]
        assert store.last_position() == 0
        recorded = store.append([_event(1), _event(2)], expected_position=0,
                                recorded_at=[first, second])
        assert [r.recorded_at for r in recorded] == [first, second]
        assert [r.recorded_at for r in store.read()] == [first, second]

    def test_wait_sees_new_events(self, store: Store) -> None:
        """wait() returns True once the log passes the given position, False on timeout."""
        assert store.wait(0, 0.05) is False
        timer = threading.Timer(0.05, lambda: store.append([_event(1)], expected_position=0))
        timer.start()
        try:
            assert store.wait(0, 5.0) is True
        finally:
            timer.join()

    def test_verify_passes_on_untouched_log(self, store: Store) -> None:
        """An untouched log verifies, and verify counts every event."""
        store.append([_event(i) for i in range(3)], expected_position=0)
        report = store.verify()
        assert report.ok and report.checked == 3

    def test_large_batch(self, store: Store) -> None:
        """A batch of several thousand events is stored whole, in its order."""
        events: list[Any] = [_event(i) for i in range(5003)]
        recorded = store.append(events, expected_position=0)
        assert [r.position for r in recorded] == list(range(1, 5004))
        assert store.last_position() == 5003
        assert [r.event for r in store.read()] == events
        assert store.verify().ok

    def test_a_retried_large_batch_appends_only_what_was_not_stored(self, store: Store) -> None:
        """A large batch whose first part is already stored appends the rest, in order."""
        events: list[Any] = [_event(i) for i in range(250)]
        store.append(events[:150], expected_position=0)
        recorded = store.append(events, expected_position=150)
        assert [(r.position, r.event) for r in recorded] == list(
            zip(range(151, 251), events[150:], strict=True))
        assert [r.event for r in store.read()] == events

    def test_verify_after_a_position_checks_the_rest(self, store: Store) -> None:
        """verify(after=n) checks the rows after n against row n's hash, and counts them."""
        store.append([_event(i) for i in range(5)], expected_position=0)
        report = store.verify(after=3)
        assert report.ok and report.checked == 2
        missing = store.verify(after=9)
        assert not missing.ok and missing.position == 9

    def test_no_checkpoint_at_first(self, store: Store) -> None:
        """A new store, or one never given a checkpoint, has none to load."""
        assert store.load_checkpoint() is None
        store.append([_event(1)], expected_position=0)
        assert store.load_checkpoint() is None

    def test_checkpoint_round_trip_and_replacement(self, store: Store) -> None:
        """A saved checkpoint loads back byte for byte; saving again replaces it."""
        store.append([_event(i) for i in range(3)], expected_position=0)
        first = bytes(range(256)) * 10
        store.save_checkpoint(2, first)
        assert store.load_checkpoint() == (2, first)
        store.append([_event(3)], expected_position=3)
        assert store.load_checkpoint() == (2, first)  # later events leave it standing
        store.save_checkpoint(4, b"newer")
        assert store.load_checkpoint() == (4, b"newer")

    def test_checkpoint_outside_the_log_is_refused(self, store: Store) -> None:
        """Positions the log does not hold raise ValueError and keep the checkpoint there was."""
        store.append([_event(1)], expected_position=0)
        store.save_checkpoint(1, b"kept")
        for position in (0, 2):
            with pytest.raises(ValueError, match=f"from 1 to 1, got {position}"):
                store.save_checkpoint(position, b"other")
        assert store.load_checkpoint() == (1, b"kept")

    def test_checkpoint_data_that_is_not_bytes_is_refused(self, store: Store) -> None:
        """Checkpoint data given as text is a FieldError naming data and its type, and keeps
        the checkpoint there was."""
        store.append([_event(1)], expected_position=0)
        store.save_checkpoint(1, b"kept")
        with pytest.raises(FieldError, match=r"^data: expected the checkpoint.s bytes, got str$"):
            store.save_checkpoint(1, "text")  # type: ignore[arg-type]
        assert store.load_checkpoint() == (1, b"kept")

    @pytest.mark.parametrize("bad", [-1, "1", 1.0, True, None])
    def test_a_position_that_is_not_one_is_refused_on_reading(self, store: Store,
                                                              bad: object) -> None:
        """read, verify and wait refuse an ``after`` that is not a whole number ≥ 0 with a
        FieldError naming it (read as soon as it is called), rather than reading from the
        end or comparing text with positions."""
        store.append([_event(1), _event(2)], expected_position=0)
        message = f"^after: expected a log position ≥ 0, got {re.escape(repr(bad))}$"
        with pytest.raises(FieldError, match=message):
            store.read(bad)  # type: ignore[arg-type]
        with pytest.raises(FieldError, match=message):
            store.verify(bad)  # type: ignore[arg-type]
        with pytest.raises(FieldError, match=message):
            store.wait(bad, 0.01)  # type: ignore[arg-type]

    @pytest.mark.parametrize("bad", [-0.5, "1", None])
    def test_a_wait_for_no_number_of_seconds_is_refused(self, store: Store, bad: object) -> None:
        """wait() takes a timeout of seconds ≥ 0, and names what it got."""
        with pytest.raises(FieldError, match=f"^timeout: expected a number ≥ 0, got {bad!r}$"):
            store.wait(0, bad)  # type: ignore[arg-type]

    def test_a_batch_that_is_not_a_sequence_of_events_is_refused(self, store: Store) -> None:
        """append() names the first item that is not an event and its index, refuses a batch
        that is no sequence, and stores nothing."""
        store.append([_event(1)], expected_position=0)
        with pytest.raises(TypeError, match=r"^append\(\) takes events, got str 'S9' at index 1$"):
            store.append([_event(2), "S9"], expected_position=1)  # type: ignore[list-item]
        with pytest.raises(TypeError, match=r"takes a sequence of events \(a list\), got generator"):
            store.append((_event(n) for n in (2, 3)), expected_position=1)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"takes a sequence of events \(a list\), got str"):
            store.append("S2", expected_position=1)  # type: ignore[arg-type]
        assert [r.position for r in store.read()] == [1]

    @pytest.mark.parametrize("bad", [-1, "1", 1.0, True, None])
    def test_an_expected_position_that_is_not_one_is_refused(self, store: Store,
                                                             bad: object) -> None:
        """An expected position that is not a whole number ≥ 0 is a FieldError naming it,
        not a conflict, and stores nothing."""
        store.append([_event(1)], expected_position=0)
        with pytest.raises(FieldError, match=f"^expected_position: expected a log position ≥ 0, "
                                             f"got {re.escape(repr(bad))}$"):
            store.append([_event(2)], expected_position=bad)  # type: ignore[arg-type]
        assert store.last_position() == 1

    def test_recorded_at_takes_aware_datetimes_and_text(self, store: Store) -> None:
        """A backdating instant may be an aware datetime of any zone or ISO text; it is kept
        in UTC, as it reads back."""
        plus_one = datetime.datetime(2020, 1, 1, 1, 0,
                                     tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
        recorded = store.append([_event(1)], expected_position=0, recorded_at=plus_one)
        recorded += store.append([_event(2), _event(3)], expected_position=1,
                                 recorded_at="2021-06-01T12:00:00Z")
        recorded += store.append([_event(4)], expected_position=3,
                                 recorded_at=[pendulum.datetime(2022, 1, 1, 9, tz="Asia/Tokyo")])
        expected = [pendulum.datetime(2020, 1, 1, tz="UTC"),
                    pendulum.datetime(2021, 6, 1, 12, tz="UTC"),
                    pendulum.datetime(2021, 6, 1, 12, tz="UTC"),
                    pendulum.datetime(2022, 1, 1, tz="UTC")]
        for envelopes in (recorded, list(store.read())):
            assert [r.recorded_at for r in envelopes] == expected
            assert all(r.recorded_at.timezone_name == "UTC" for r in envelopes)

    @pytest.mark.parametrize(("bad", "offending", "error"), [
        (pendulum.naive(2020, 1, 1), pendulum.naive(2020, 1, 1), DateError),
        ("2020-01-01", "2020-01-01", DateError),
        ([pendulum.naive(2020, 1, 1)], pendulum.naive(2020, 1, 1), DateError),
        (1577836800, 1577836800, FieldError),
    ])
    def test_recorded_at_that_is_no_instant_is_refused(self, store: Store, bad: object,
                                                        offending: object,
                                                        error: type[FieldError]) -> None:
        """A naive datetime, text without an offset, or a number is refused as recorded_at,
        naming the value, and nothing is stored."""
        with pytest.raises(error, match=r"^recorded_at: ") as caught:
            store.append([_event(1)], expected_position=0, recorded_at=bad)  # type: ignore[arg-type]
        assert caught.value.value == offending
        assert store.last_position() == 0

    def test_a_position_past_any_store_has_nothing_after_it(self, store: Store) -> None:
        """A position larger than a store's integers hold reads nothing and verifies as a
        missing row, rather than failing to bind the number."""
        store.append([_event(1)], expected_position=0)
        assert list(store.read(10**30)) == []
        report = store.verify(10**30)
        assert not report.ok and report.checked == 0
        assert store.wait(10**30, 0.01) is False

    @pytest.mark.parametrize("timeout", [math.inf, 10**400])
    def test_wait_without_end_returns_on_news(self, store: Store, timeout: float) -> None:
        """A timeout of math.inf, or of more seconds than a float holds, waits as long as it
        takes, not an error for a number too large for a lock or a float."""
        answers: list[object] = []

        def wait() -> None:
            try:
                answers.append(store.wait(0, timeout))
            except Exception as error:  # (reported by the assertion below)
                answers.append(error)

        waiter = threading.Thread(target=wait, daemon=True)  # (a store that never returns
        waiter.start()                                       # fails the test, not hangs it)
        store.append([_event(1)], expected_position=0)
        waiter.join(timeout=30)
        assert answers == [True]
