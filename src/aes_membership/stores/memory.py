"""The in-memory store: the log of one process, gone when it ends."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterator, Sequence

from ..errors import ConcurrencyError, StoreError
from ..events import Event
from .base import (
    GENESIS_HASH,
    Instants,
    Recorded,
    Row,
    VerifyReport,
    check_batch,
    check_checkpoint_data,
    check_duplicates,
    check_position,
    check_wait,
    encode_rows,
    missing_anchor,
    next_recorded_at,
    recorded_envelopes,
    verify_rows,
)

__all__ = ["MemoryStore"]


class MemoryStore:
    """A store held in this process's memory; rows are kept encoded, as a durable store would."""

    def __init__(self, *, create: bool = True) -> None:
        if not create:  # (as the durable stores take it: there is never one to open here)
            raise StoreError("an in-memory store is always a new one, and create=False")
        self._rows: list[Row] = []
        self._recorded: list[Recorded] = []
        self._by_id: dict[uuid.UUID, Event] = {}
        self._changed = threading.Condition()
        self._checkpoint: tuple[int, str, bytes] | None = None
        self._closed = False

    @contextlib.contextmanager
    def _held(self) -> Iterator[None]:
        """The store's lock, on a store that is still open (a closed one refuses, as the
        durable stores do)."""
        with self._changed:
            if self._closed:
                raise StoreError("the in-memory store is closed: what it held went with it "
                                 "(a new MemoryStore starts empty)")
            yield

    def append(
        self,
        events: Sequence[Event],
        *,
        expected_position: int,
        recorded_at: Instants | None = None,
    ) -> list[Recorded]:
        expected_position = check_batch(events, expected_position)
        with self._held():
            actual = len(self._rows)
            if actual != expected_position:
                raise ConcurrencyError(expected_position, actual)
            fresh, _ = check_duplicates(
                events, {e.id: self._by_id[e.id] for e in events if e.id in self._by_id}
            )
            if not fresh:
                return []
            last = self._recorded[-1].recorded_at if self._recorded else None
            stamps = next_recorded_at(last, recorded_at, len(fresh))
            rows = encode_rows(
                fresh,
                first_position=actual + 1,
                recorded_at=stamps,
                previous_hash=self._rows[-1].hash if self._rows else GENESIS_HASH,
            )
            recorded = recorded_envelopes(rows, stamps, fresh)
            self._rows.extend(rows)
            self._recorded.extend(recorded)
            for event in fresh:
                self._by_id[event.id] = event
            self._changed.notify_all()
            return recorded

    def read(self, after: int = 0) -> Iterator[Recorded]:
        after = check_position("after", after)
        with self._held():
            snapshot = self._recorded[after:]
        return iter(snapshot)

    def last_position(self) -> int:
        with self._held():
            return len(self._rows)

    def wait(self, after: int, timeout: float) -> bool:
        after, timeout = check_wait(after, timeout)
        with self._held():
            return self._changed.wait_for(lambda: len(self._rows) > after, timeout=timeout)

    def verify(self, after: int = 0) -> VerifyReport:
        after = check_position("after", after)
        with self._held():
            rows = self._rows[after:]
            previous = self._rows[after - 1].hash if 0 < after <= len(self._rows) else GENESIS_HASH
        if after > len(self._rows):
            return missing_anchor(after)
        return verify_rows(
            iter(
                (r.position, r.event_id, r.type, r.version, r.recorded_at, r.payload, r.hash)
                for r in rows
            ),
            after=after,
            previous=previous,
        )

    def save_checkpoint(self, position: int, data: bytes) -> None:
        check_checkpoint_data(data)
        with self._held():
            position = check_position("position", position, last=len(self._rows), recorded=True)
            self._checkpoint = (position, self._rows[position - 1].hash, data)

    def load_checkpoint(self) -> tuple[int, bytes] | None:
        with self._held():
            if self._checkpoint is None:
                return None
            position, head, data = self._checkpoint
            if position > len(self._rows) or self._rows[position - 1].hash != head:
                return None
            return position, data

    def close(self) -> None:
        """Let go of what the store holds; using it after is a :class:`StoreError`."""
        with self._changed:
            self._closed = True
            self._rows, self._recorded, self._by_id, self._checkpoint = [], [], {}, None
            self._changed.notify_all()

    def __repr__(self) -> str:
        return f"<MemoryStore events={len(self._rows)}>"
