"""The SQLite store: the embedded default, one file, safe for several processes.

The file runs in WAL mode with ``synchronous=FULL``: a committed batch survives a crash or a
power cut, and readers never block the writer. Each batch is one ``BEGIN IMMEDIATE``
transaction, which takes SQLite's write lock before the expected position is checked, so two
processes can never both append at the same position. A large batch written while no other
connection has the file open goes through SQLite's rollback journal instead, which writes it
once rather than twice (see :class:`SQLiteStore`).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from itertools import chain
from pathlib import Path

from ..codec import Codec
from ..errors import ConcurrencyError, FieldError, SchemaVersionError, StoreError, check_number
from ..events import Event
from .base import (
    GENESIS_HASH,
    SCHEMA_VERSION,
    Instants,
    Recorded,
    VerifyReport,
    check_batch,
    check_checkpoint_data,
    check_duplicates,
    check_flag,
    check_position,
    check_wait,
    decode_row,
    decode_rows,
    encode_rows,
    missing_anchor,
    next_recorded_at,
    parse_stored_instant,
    recorded_envelopes,
    store_codec,
    verify_rows,
)

__all__ = ["SQLiteStore"]

_APPLICATION = "aes_membership"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS aes_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS aes_events (
    position INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    version INTEGER NOT NULL,
    effective TEXT,
    recorded_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    hash TEXT NOT NULL
);
"""
# A cache of the replayed log, not part of it: added to older files when opened for writing.
_CHECKPOINTS = """
CREATE TABLE IF NOT EXISTS aes_checkpoints (
    position INTEGER NOT NULL,
    part INTEGER NOT NULL,
    head TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (position, part)
)
"""
_PART = 1 << 26  # checkpoint bytes per row: SQLite caps a value at 1e9 bytes
_MAPPED = 1 << 40  # bytes of the file SQLite may map while it reads a checkpoint: all of it
# The file's setting for every commit but a large batch's through the rollback journal.
_SYNCHRONOUS = "PRAGMA synchronous=FULL"
_LARGE_BATCH = 10_000  # events in a batch from which SQLite gets a large page cache
_ID_CHUNK = 500  # SQLite's limit on bound parameters is 32766 but small IN lists plan better

_INSERT = ("INSERT INTO aes_events (position, event_id, type, version, effective, recorded_at,"
           " payload, hash) VALUES ")
_ROW_MARKS = "(?, ?, ?, ?, ?, ?, ?, ?)"
# Rows per INSERT statement: one statement for many rows halves the cost of each (SQLite
# runs its program once per statement, not once per row). 800 parameters, within the 999
# that SQLite allowed before 3.32.
_ROWS_PER_INSERT = 100
_INSERT_ONE = _INSERT + _ROW_MARKS
_INSERT_MANY = _INSERT + ", ".join([_ROW_MARKS] * _ROWS_PER_INSERT)


class SQLiteStore:
    """An append-only event log in one SQLite file.

    ``read_only=True`` opens an existing file for queries only (files the process may not
    write are opened that way anyway). ``create=False`` refuses to make a store where there
    is none, rather than starting an empty one. ``cache_mib`` caps the memory SQLite may use
    to cache pages while it writes a large batch (taken only as needed, and given back after
    it): the unique id index grows in random order, and with SQLite's default of 2 MiB a
    million events spilled and re-read its pages and took twice as long to write.

    ``bulk_load`` (default ``True``): a batch of 10,000 events or more, written while no
    other connection has the file open, goes through SQLite's rollback journal rather than
    the write-ahead log, which writes every page twice (into the log, then into the file).
    Connections opened while it is written may have to wait for it (up to their
    ``busy_timeout``, past which they raise a StoreError) rather than read the state before
    it; connections open before it keep the write-ahead log, and with it their reads.
    ``bulk_load=False`` keeps the write-ahead log for every batch.
    """

    def __init__(self, path: str | os.PathLike[str], *, codec: Codec | None = None,
                 busy_timeout: float = 30.0, read_only: bool = False, create: bool = True,
                 cache_mib: int = 256, bulk_load: bool = True) -> None:
        if type(cache_mib) is not int or cache_mib < 1:
            raise FieldError("cache_mib", cache_mib, "a whole number of MiB ≥ 1")
        check_number("busy_timeout", busy_timeout, least=0)
        for flag, value in (("bulk_load", bulk_load), ("read_only", read_only), ("create", create)):
            check_flag(flag, value)
        codec = store_codec(codec)
        if not isinstance(path, (str, bytes, os.PathLike)):
            raise FieldError("path", path, "an SQLite file's path: text, bytes or a pathlib.Path")
        self.path = Path(os.fsdecode(path))
        self._cache_kib = cache_mib * 1024
        self._busy_timeout = busy_timeout
        self._bulk_load = bulk_load
        self._out_of_wal = False  # left by a large batch that could not put the log back
        self._codec = codec
        self._lock = threading.RLock()
        self.read_only = read_only
        self._may_create = create
        try:
            self._conn = self._connect(busy_timeout)
        except sqlite3.DatabaseError as error:
            raise _translate(error, self.path) from None
        try:
            self._prepare(deadline=time.monotonic() + busy_timeout)
        except BaseException as error:
            # Whatever refused the file (SQLite, or a check of what it holds), the connection
            # is not left open until the collector finds it.
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            if isinstance(error, sqlite3.DatabaseError):
                raise _translate(error, self.path) from None
            raise

    def _connect(self, busy_timeout: float) -> sqlite3.Connection:
        # The file is always named to SQLite by its URI, which Path escapes: SQLite builds made
        # with SQLITE_USE_URI (Debian's) would otherwise take a path that begins with "file:"
        # for a URI of another file, and other builds would not.
        uri = ":memory:" if str(self.path) == ":memory:" else self.path.resolve().as_uri()
        if self.path.exists() and (self.read_only or not os.access(self.path, os.W_OK)):
            self.read_only = True
            conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None,
                                   check_same_thread=False, timeout=busy_timeout)
        else:
            if self.read_only:
                raise StoreError(f"cannot open {str(self.path)!r} read-only: there is no such file",
                                 missing=True)
            if not self._may_create and not self.path.exists():
                raise StoreError(f"there is no store at {str(self.path)!r} (and create=False)",
                                 missing=True)
            if not self.path.parent.exists():
                raise StoreError(f"cannot create the store {str(self.path)!r}: "
                                 f"the folder {str(self.path.parent)!r} does not exist")
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False,
                                   timeout=busy_timeout)
        return conn

    def _prepare(self, deadline: float) -> None:
        conn = self._conn
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if tables and "aes_meta" not in tables:
            raise StoreError(
                f"{str(self.path)!r} is an SQLite database but not an aes_membership store "
                f"(it has tables {', '.join(sorted(tables))})"
            )
        if self.read_only:
            if not tables:
                raise StoreError(f"{str(self.path)!r} is read-only and holds no store",
                                 missing=True)
        else:
            if not tables and not self._may_create:  # an empty file
                raise StoreError(f"{str(self.path)!r} holds no store (and create=False)",
                                 missing=True)
            # One wait for another connection's large batch, whether it holds the reads
            # above or the change of journal below.
            self._enter_wal(max(0.0, deadline - time.monotonic()))
            conn.execute(_SYNCHRONOUS)
            if not tables:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    conn.execute(_CHECKPOINTS)  # (here too: a new file takes one commit)
                    conn.execute(
                        "INSERT OR IGNORE INTO aes_meta (key, value) VALUES (?, ?), (?, ?)",
                        ("application", _APPLICATION, "schema_version", str(SCHEMA_VERSION)),
                    )
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
        meta = dict(conn.execute("SELECT key, value FROM aes_meta").fetchall())
        if meta.get("application") != _APPLICATION:
            raise StoreError(f"{str(self.path)!r} is not an aes_membership store")
        found = meta.get("schema_version")
        if found != str(SCHEMA_VERSION):
            raise SchemaVersionError(found, SCHEMA_VERSION)
        if not self.read_only:
            conn.execute(_CHECKPOINTS)

    # -- writing --------------------------------------------------------------------------

    def append(
        self,
        events: Sequence[Event],
        *,
        expected_position: int,
        recorded_at: Instants | None = None,
    ) -> list[Recorded]:
        expected_position = check_batch(events, expected_position)
        if self._out_of_wal:
            with self._lock, contextlib.suppress(sqlite3.Error):
                self._enter_wal(0)
        if len(events) < _LARGE_BATCH:
            with self._transaction("BEGIN IMMEDIATE"):
                return self._append_locked(events, expected_position, recorded_at)
        # Room for the pages a large batch touches, given back once it is committed (a
        # registry keeps its store open, and reads gain nothing from a large cache).
        large_cache = self._pragma_for_a_while("cache_size", -self._cache_kib,  # KiB if < 0
                                               then="PRAGMA shrink_memory")
        with (self._lock, large_cache, self._rollback_journal(),
              self._transaction("BEGIN IMMEDIATE")):
            return self._append_locked(events, expected_position, recorded_at)

    def _enter_wal(self, timeout: float) -> None:
        """Put the file in WAL mode, waiting up to ``timeout`` seconds for another
        connection's large batch (SQLite refuses the change at once while one is written)."""
        deadline = time.monotonic() + timeout
        pause = 0.005
        while True:
            try:
                self._conn.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() >= deadline:
                    raise
            else:
                self._out_of_wal = False
                return
            time.sleep(pause)
            pause = min(pause * 2, 0.1)

    @contextlib.contextmanager
    def _rollback_journal(self) -> Iterator[None]:
        """SQLite's rollback journal for the block if no other connection has the file
        open (``bulk_load``), the write-ahead log again after it.

        In WAL mode each page of a batch is written twice: into the log at the commit, then
        into the file when SQLite checkpoints it. The rollback journal copies only the pages
        that were in the file before the batch (few: rows, and time-ordered ids, go at the
        end), and the batch is written once: 1.8–2.1 s less for a million events here.
        SQLite leaves WAL mode only for a connection that is alone on the file, so no reader
        already connected ever waits for the batch.
        """
        conn = self._conn
        left = False
        bulk = self._bulk_load and not self.read_only
        if bulk:
            # If it cannot be changed (another connection is open), the batch is written
            # through the log as any other. The rollback journal commits by deleting the
            # journal: EXTRA also syncs the folder, so that a power cut just after the commit
            # cannot bring the journal back (and with it, the batch's undoing).
            with contextlib.suppress(sqlite3.Error):
                conn.execute("PRAGMA synchronous=EXTRA")
                left = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0] == "delete"
        try:
            yield
        finally:
            if bulk:
                self._out_of_wal = left  # until the log is back, tried again at each batch
                with contextlib.suppress(sqlite3.Error):
                    conn.execute(_SYNCHRONOUS)
                    if left:
                        self._enter_wal(self._busy_timeout)

    @contextlib.contextmanager
    def _pragma_for_a_while(self, name: str, value: int, *, then: str | None = None
                            ) -> Iterator[None]:
        """``PRAGMA name=value`` for the block, then the setting it had (and ``then``).

        Settings of memory, not of data: failing to change or restore one is not reported
        (on a closed store, the transaction inside the block says so, as a StoreError).
        """
        conn = self._conn
        try:
            before = conn.execute(f"PRAGMA {name}").fetchone()[0]
            conn.execute(f"PRAGMA {name}={value}")
        except sqlite3.Error:
            yield
            return
        try:
            yield
        finally:
            with contextlib.suppress(sqlite3.Error):
                conn.execute(f"PRAGMA {name}={before}")
                if then is not None:
                    conn.execute(then)

    @contextlib.contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        """One transaction under the store's lock, rolled back on error; driver errors
        become StoreErrors. ``BEGIN IMMEDIATE`` takes the write lock at once; a plain
        ``BEGIN`` gives a consistent read."""
        if self.read_only and begin != "BEGIN":
            raise StoreError(f"the store {str(self.path)!r} is read-only")
        with self._lock:
            conn = self._conn
            try:
                conn.execute(begin)
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except sqlite3.Error as error:
                raise _translate(error, self.path) from None

    def _append_locked(
        self,
        events: Sequence[Event],
        expected_position: int,
        recorded_at: Instants | None,
    ) -> list[Recorded]:
        conn = self._conn
        last = conn.execute(
            "SELECT position, recorded_at, hash FROM aes_events ORDER BY position DESC LIMIT 1"
        ).fetchone()
        actual = last[0] if last else 0
        if actual != expected_position:
            raise ConcurrencyError(expected_position, actual)
        # Most batches hold only new, distinct ids: insert them at once, and sort out stored
        # or repeated ones only if the unique index on event_id objects (an idempotent retry,
        # an event given twice, or a reused id).
        conn.execute("SAVEPOINT aes_batch")
        try:
            recorded = self._insert(events, last, recorded_at)
        except sqlite3.IntegrityError:
            conn.execute("ROLLBACK TO aes_batch")
            fresh, _ = check_duplicates(events, self._stored(events))
            recorded = self._insert(fresh, last, recorded_at)
        conn.execute("RELEASE aes_batch")
        return recorded

    def _insert(self, fresh: Sequence[Event], last: tuple[int, str, str] | None,
                recorded_at: Instants | None
                ) -> list[Recorded]:
        if not fresh:
            return []
        actual = last[0] if last else 0
        stamps = next_recorded_at(
            parse_stored_instant(last[1]) if last else None, recorded_at, len(fresh)
        )
        rows = encode_rows(
            fresh,
            first_position=actual + 1,
            recorded_at=stamps,
            previous_hash=last[2] if last else GENESIS_HASH,
            codec=self._codec,
        )
        # Rows are tuples in the columns' order: a run of them, flattened, binds a statement.
        whole = len(rows) - len(rows) % _ROWS_PER_INSERT
        if whole:  # (a small batch does not make SQLite compile the long statement)
            self._conn.executemany(
                _INSERT_MANY,
                (tuple(chain.from_iterable(rows[start : start + _ROWS_PER_INSERT]))
                 for start in range(0, whole, _ROWS_PER_INSERT)),
            )
        self._conn.executemany(_INSERT_ONE, rows[whole:])
        return recorded_envelopes(rows, stamps, fresh)

    def _stored(self, events: Sequence[Event]) -> dict[uuid.UUID, Event]:
        ids = [str(e.id) for e in events]
        found: dict[uuid.UUID, Event] = {}
        for start in range(0, len(ids), _ID_CHUNK):
            chunk = ids[start : start + _ID_CHUNK]
            marks = ",".join("?" * len(chunk))
            for position, type_tag, version, recorded_at, payload in self._conn.execute(
                "SELECT position, type, version, recorded_at, payload FROM aes_events"
                f" WHERE event_id IN ({marks})",
                chunk,
            ):
                row = decode_row(position, type_tag, version, recorded_at, payload, self._codec)
                found[row.event.id] = row.event
        return found

    # -- reading --------------------------------------------------------------------------

    def read(self, after: int = 0) -> Iterator[Recorded]:
        return self._read(check_position("after", after))  # refused now, not at the first next()

    def _read(self, after: int) -> Iterator[Recorded]:
        with self._lock:
            try:
                rows = self._conn.execute(
                    "SELECT position, type, version, recorded_at, payload FROM aes_events"
                    " WHERE position > ? ORDER BY position",
                    (after,),
                ).fetchall()
            except sqlite3.Error as error:
                raise _translate(error, self.path) from None
        yield from decode_rows(rows, self._codec)

    def last_position(self) -> int:
        with self._lock:
            try:
                row = self._conn.execute("SELECT max(position) FROM aes_events").fetchone()
            except sqlite3.Error as error:
                raise _translate(error, self.path) from None
        return int(row[0] or 0)

    def wait(self, after: int, timeout: float) -> bool:
        after, timeout = check_wait(after, timeout)
        # SQLite has no notifications between processes: poll, gently.
        deadline = time.monotonic() + timeout
        interval = 0.02
        while True:
            if self.last_position() > after:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(interval, remaining))
            interval = min(interval * 2, 0.25)

    def verify(self, after: int = 0) -> VerifyReport:
        after = check_position("after", after)
        with self._transaction("BEGIN") as conn:  # one snapshot for the anchor and the rows
            anchor = conn.execute(
                "SELECT hash FROM aes_events WHERE position = ?", (after,)
            ).fetchone()
            rows = conn.execute(
                "SELECT position, event_id, type, version, recorded_at, payload, hash"
                " FROM aes_events WHERE position > ? ORDER BY position",
                (after,),
            ).fetchall()
        if after and anchor is None:
            return missing_anchor(after)
        return verify_rows(iter(rows), after=after,
                           previous=anchor[0] if anchor else GENESIS_HASH)

    # -- checkpoints ----------------------------------------------------------------------

    def save_checkpoint(self, position: int, data: bytes) -> None:
        check_checkpoint_data(data)
        with self._transaction("BEGIN IMMEDIATE") as conn:
            last = conn.execute("SELECT max(position) FROM aes_events").fetchone()[0]
            position = check_position("position", position, last=int(last or 0), recorded=True)
            head = conn.execute(
                "SELECT hash FROM aes_events WHERE position = ?", (position,)
            ).fetchone()[0]
            conn.execute("DELETE FROM aes_checkpoints")
            conn.executemany(
                "INSERT INTO aes_checkpoints (position, part, head, data) VALUES (?, ?, ?, ?)",
                [(position, part, head, data[start : start + _PART])
                 for part, start in enumerate(range(0, len(data), _PART))],
            )

    def load_checkpoint(self) -> tuple[int, bytes] | None:
        # Read through a memory mapping: a checkpoint is read page after page, which plain
        # reads fetch from a cold disk cache four times slower (the kernel reads ahead for a
        # mapping). Only for this read: an I/O error in a mapped file cannot be reported as
        # an error, so the mapping is never kept.
        mapped = self._pragma_for_a_while("mmap_size", _MAPPED)
        with self._lock, mapped, self._transaction("BEGIN") as conn:
            if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table'"
                            " AND name = 'aes_checkpoints'").fetchone() is None:
                return None  # a file written before checkpoints, opened read-only
            found = conn.execute(
                "SELECT c.position FROM aes_checkpoints c JOIN aes_events e"
                " ON e.position = c.position AND e.hash = c.head"
                " WHERE c.part = 0 ORDER BY c.position DESC LIMIT 1"
            ).fetchone()
            if found is None:
                return None
            parts = conn.execute(
                "SELECT data FROM aes_checkpoints WHERE position = ? ORDER BY part", (found[0],)
            ).fetchall()
        return int(found[0]), b"".join(part[0] for part in parts)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __repr__(self) -> str:
        return f"<SQLiteStore {str(self.path)!r}>"


def _translate(error: sqlite3.Error, path: Path) -> StoreError:
    text = str(error)
    if "file is not a database" in text or "malformed" in text:
        return StoreError(f"{str(path)!r} is not a readable aes_membership store ({text})")
    if "readonly" in text or "read-only" in text:
        return StoreError(f"the store {str(path)!r} is read-only ({text})")
    if "locked" in text or "busy" in text:
        return StoreError(f"the store {str(path)!r} stayed locked by another process ({text})")
    if "disk" in text and "full" in text:
        return StoreError(f"the disk holding {str(path)!r} is full; nothing was written ({text})")
    if "unable to open" in text:
        return StoreError(f"cannot open the store {str(path)!r} ({text})")
    if "closed database" in text:
        return StoreError(f"the store {str(path)!r} is closed: open it again to use it")
    return StoreError(f"the store {str(path)!r} failed: {text}")
