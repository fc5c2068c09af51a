"""The PostgreSQL store: one log shared by many processes and machines (``postgres`` extra).

Positions follow commit order. Every append takes ``LOCK TABLE … IN EXCLUSIVE MODE`` on the
events table before it reads the last position, and holds it until it commits; plain reads
are not blocked, but a second writer waits, then (read committed) sees the first writer's
rows. So no row can commit with a lower position than a row already visible to a reader —
a follower reading "after position P" never skips an event that commits late.

Each committed batch sends ``NOTIFY`` on the store's channel; :meth:`PostgresStore.wait`
listens on its own connection, and still re-reads the last position every
``catch_up`` seconds so that a lost notification can delay a follower but never stall it.

Rows hold the same text as the SQLite store's (payloads as canonical JSON text, not
``jsonb``, which would reorder keys and break the hash chain).
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import pendulum

from ..codec import Codec
from ..errors import (
    ConcurrencyError,
    FieldError,
    SchemaVersionError,
    StoreError,
    check_number,
)
from ..events import Event
from .base import (
    GENESIS_HASH,
    SCHEMA_VERSION,
    Instants,
    Recorded,
    Row,
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
    redact_dsn,
    store_codec,
    verify_rows,
)

try:
    import psycopg
    from psycopg import sql
except ImportError:  # pragma: no cover - exercised only without the extra
    psycopg = None  # type: ignore[assignment]

__all__ = ["PostgresStore", "redact_dsn"]

_APPLICATION = "aes_membership"
_CHUNK = 2_000  # rows per statement: large single pipelines can hang psycopg (psycopg #685)
_READ_PAGE = 10_000  # rows per read query: reading a long log keeps memory flat
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,47}")  # (fullmatch: "$" would let "x\n" through)
_PART = 1 << 26  # checkpoint bytes per row: PostgreSQL caps a value at 1 GB
# A cache of the replayed log, not part of it (added to older stores when they are opened).
_CHECKPOINTS = (
    "CREATE TABLE IF NOT EXISTS {} ("
    " position bigint NOT NULL,"
    " part integer NOT NULL,"
    " head text NOT NULL,"
    " data bytea NOT NULL,"
    " PRIMARY KEY (position, part))"
)
# One key for "creating the schema", so two processes opening a new database don't race.
_CREATE_LOCK = 0x_AE5_0001


class PostgresStore:
    """An append-only event log in a PostgreSQL database.

    ``dsn`` is a libpq connection string (``postgresql://user:pass@host:5432/db``).
    ``schema`` keeps the store's tables in their own PostgreSQL schema (created if absent),
    so several stores can share a database; ``create=False`` refuses to make a store where
    there is none, rather than starting an empty one. ``catch_up`` bounds how long a follower
    relies on notifications alone before it re-reads the last position.
    """

    def __init__(self, dsn: str, *, schema: str = "public", codec: Codec | None = None,
                 create: bool = True, connect_timeout: float = 10.0,
                 catch_up: float = 2.0) -> None:
        if psycopg is None:
            raise StoreError(
                "PostgreSQL stores need psycopg: install aes_membership[postgres]"
            )
        if not isinstance(dsn, str):  # (shown by its type alone: it may hold a password)
            raise FieldError("dsn", dsn, "a PostgreSQL connection string (text)",
                             shown=type(dsn).__name__)
        # (PostgreSQL keeps names beginning with pg_ for its own schemas, and refuses them)
        if not isinstance(schema, str) or not _SCHEMA_NAME.fullmatch(schema) or schema.startswith("pg_"):
            raise FieldError("schema", schema, "a lower-case PostgreSQL name: up to 48 letters, "
                             "digits and _, not beginning with a digit or pg_")
        check_number("connect_timeout", connect_timeout, least=0, exclusive=True)
        check_number("catch_up", catch_up, least=0, exclusive=True)
        check_flag("create", create)
        codec = store_codec(codec)
        self.dsn = dsn
        self.schema = schema
        self._may_create = create
        self._codec = codec
        self._connect_timeout = connect_timeout
        self._catch_up = catch_up
        self._lock = threading.RLock()
        self._listen_lock = threading.Lock()
        self._listener: Any = None
        self._closed = False
        self._events = sql.Identifier(schema, "aes_events")
        self._meta = sql.Identifier(schema, "aes_meta")
        self._checkpoints = sql.Identifier(schema, "aes_checkpoints")
        self._channel = f"aes_membership_{schema}"
        self._conn = self._connect()
        try:
            self._prepare()
        except BaseException:
            self._conn.close()
            raise

    def __repr__(self) -> str:
        return f"<PostgresStore {redact_dsn(self.dsn)!r} schema={self.schema!r}>"

    # -- connections ----------------------------------------------------------------------

    def _connect(self) -> Any:
        try:
            return psycopg.connect(self.dsn, autocommit=True,
                                   connect_timeout=max(1, round(self._connect_timeout)))
        except psycopg.ProgrammingError as error:
            raise StoreError(
                f"the connection string {redact_dsn(self.dsn)!r} is not valid: {error}"
            ) from None
        except psycopg.OperationalError as error:
            raise StoreError(
                f"cannot connect to PostgreSQL at {redact_dsn(self.dsn)!r}: "
                f"{_first_line(error)}"
            ) from None

    def _prepare(self) -> None:
        with self._guard():
            conn = self._conn
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_CREATE_LOCK,))
                found = {
                    row[0]
                    for row in conn.execute(
                        "SELECT table_name FROM information_schema.tables"
                        " WHERE table_schema = %s"
                        " AND table_name IN ('aes_meta', 'aes_events', 'aes_checkpoints')",
                        (self.schema,),
                    )
                }
                if "aes_events" in found and "aes_meta" not in found:
                    raise StoreError(
                        f"schema {self.schema!r} has a table aes_events that is not an "
                        f"aes_membership store (no aes_meta table)"
                    )
                if not found and not self._may_create:
                    raise StoreError(f"schema {self.schema!r} of {redact_dsn(self.dsn)!r} holds "
                                     "no store (and create=False)", missing=True)
                if not found:
                    self._create(conn)
                elif "aes_checkpoints" not in found:
                    self._add_checkpoints(conn)
                meta = dict(conn.execute(sql.SQL("SELECT key, value FROM {}").format(self._meta))
                            .fetchall())
        if meta.get("application") != _APPLICATION:
            raise StoreError(f"schema {self.schema!r} does not hold an aes_membership store")
        version = meta.get("schema_version")
        if version != str(SCHEMA_VERSION):
            raise SchemaVersionError(version, SCHEMA_VERSION)

    def _create(self, conn: Any) -> None:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))
        conn.execute(sql.SQL("CREATE TABLE {} (key text PRIMARY KEY, value text NOT NULL)")
                     .format(self._meta))
        conn.execute(
            sql.SQL(
                "CREATE TABLE {} ("
                " position bigint PRIMARY KEY CHECK (position > 0),"
                " event_id text NOT NULL UNIQUE,"
                " type text NOT NULL,"
                " version integer NOT NULL,"
                " effective text,"
                " recorded_at text NOT NULL,"
                " payload text NOT NULL,"
                " hash text NOT NULL)"
            ).format(self._events)
        )
        conn.execute(
            sql.SQL("INSERT INTO {} (key, value) VALUES (%s, %s), (%s, %s)").format(self._meta),
            ("application", _APPLICATION, "schema_version", str(SCHEMA_VERSION)),
        )
        conn.execute(sql.SQL(_CHECKPOINTS).format(self._checkpoints))

    def _add_checkpoints(self, conn: Any) -> None:
        """Add the checkpoint table to a store made before it; a user who may not is let be."""
        try:
            with conn.transaction():  # a savepoint
                conn.execute(sql.SQL(_CHECKPOINTS).format(self._checkpoints))
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction):
            pass

    def _guard(self) -> _Guard:
        return _Guard(self)

    # -- writing --------------------------------------------------------------------------

    def append(
        self,
        events: Sequence[Event],
        *,
        expected_position: int,
        recorded_at: Instants | None = None,
    ) -> list[Recorded]:
        expected_position = check_batch(events, expected_position)
        with self._guard():
            conn = self._conn
            with conn.transaction():
                # Held until commit: positions are handed out in commit order (module doc).
                conn.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(self._events))
                last = conn.execute(
                    sql.SQL("SELECT position, recorded_at, hash FROM {}"
                            " ORDER BY position DESC LIMIT 1").format(self._events)
                ).fetchone()
                actual = int(last[0]) if last else 0
                if actual != expected_position:
                    raise ConcurrencyError(expected_position, actual)
                # Insert at once; sort out stored or repeated ids only if the unique index
                # objects (an idempotent retry, an event given twice, or a reused id).
                fresh: Sequence[Event] = events
                try:
                    with conn.transaction():  # a savepoint
                        rows, stamps = self._insert(conn, fresh, last, recorded_at)
                except psycopg.errors.UniqueViolation:
                    fresh, _ = check_duplicates(events, self._stored(conn, events))
                    rows, stamps = self._insert(conn, fresh, last, recorded_at)
                if not rows:
                    return []
                conn.execute("SELECT pg_notify(%s, %s)", (self._channel, str(rows[-1].position)))
            return recorded_envelopes(rows, stamps, fresh)

    def _insert(self, conn: Any, fresh: Sequence[Event], last: Any,
                recorded_at: Instants | None
                ) -> tuple[list[Row], list[pendulum.DateTime]]:
        if not fresh:
            return [], []
        stamps = next_recorded_at(
            parse_stored_instant(last[1]) if last else None, recorded_at, len(fresh)
        )
        rows = encode_rows(fresh, first_position=(int(last[0]) if last else 0) + 1,
                           recorded_at=stamps, previous_hash=last[2] if last else GENESIS_HASH,
                           codec=self._codec)
        insert = sql.SQL(
            "COPY {} (position, event_id, type, version, effective, recorded_at,"
            " payload, hash) FROM STDIN"
        ).format(self._events)
        with conn.cursor() as cursor, cursor.copy(insert) as copy:
            for row in rows:
                copy.write_row(row)  # a tuple in the columns' order
        return rows, stamps

    def _stored(self, conn: Any, events: Sequence[Event]) -> dict[uuid.UUID, Event]:
        ids = [str(e.id) for e in events]
        found: dict[uuid.UUID, Event] = {}
        query = sql.SQL("SELECT position, type, version, recorded_at, payload FROM {}"
                        " WHERE event_id = ANY(%s)").format(self._events)
        for start in range(0, len(ids), _CHUNK):
            for position, type_tag, version, stamp, payload in conn.execute(
                query, (ids[start : start + _CHUNK],)
            ):
                row = decode_row(position, type_tag, version, stamp, payload, self._codec)
                found[row.event.id] = row.event
        return found

    # -- reading --------------------------------------------------------------------------

    def _rows(self, columns: str, after: int) -> Iterator[Any]:
        """Rows after a position, in pages: reading a long log keeps memory flat."""
        query = sql.SQL(f"SELECT position, {columns} FROM {{}}"
                        " WHERE position > %s ORDER BY position LIMIT %s").format(self._events)
        while True:
            with self._guard():
                page = self._conn.execute(query, (after, _READ_PAGE)).fetchall()
            for position, *rest in page:
                yield (int(position), *rest)
            if len(page) < _READ_PAGE:
                return
            after = int(page[-1][0])

    def read(self, after: int = 0) -> Iterator[Recorded]:
        # A generator that decodes page after page; the position is refused now, not at the
        # first next().
        return decode_rows(self._rows("type, version, recorded_at, payload",
                                      check_position("after", after)), self._codec)

    def last_position(self) -> int:
        with self._guard():
            row = self._conn.execute(
                sql.SQL("SELECT max(position) FROM {}").format(self._events)
            ).fetchone()
        return int(row[0] or 0)

    def wait(self, after: int, timeout: float) -> bool:
        after, timeout = check_wait(after, timeout)
        deadline = time.monotonic() + timeout
        with self._listen_lock:
            listener = self._listening()
            while True:
                # LISTEN was issued before this check, so a commit after it is notified.
                if self.last_position() > after:
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                try:
                    for _ in listener.notifies(timeout=min(remaining, self._catch_up),
                                               stop_after=1):
                        pass
                except psycopg.Error as error:
                    self._drop_listener()
                    raise StoreError(
                        f"lost the notification connection to {redact_dsn(self.dsn)!r}: "
                        f"{_first_line(error)}"
                    ) from None

    def _listening(self) -> Any:
        if self._listener is None or self._listener.closed:
            listener = self._connect()
            try:
                listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
            except psycopg.Error as error:
                listener.close()
                raise StoreError(f"cannot listen for new events: {_first_line(error)}") from None
            self._listener = listener
        return self._listener

    def _drop_listener(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def verify(self, after: int = 0) -> VerifyReport:
        after = check_position("after", after)
        columns = "event_id, type, version, recorded_at, payload, hash"
        if not after:
            # From far below 1: rows given bogus positions behind the library's back are seen.
            return verify_rows(self._rows(columns, -(2**62)))
        with self._guard():
            anchor = self._conn.execute(
                sql.SQL("SELECT hash FROM {} WHERE position = %s").format(self._events), (after,)
            ).fetchone()
        if anchor is None:
            return missing_anchor(after)
        return verify_rows(self._rows(columns, after), after=after, previous=anchor[0])

    # -- checkpoints ----------------------------------------------------------------------

    def save_checkpoint(self, position: int, data: bytes) -> None:
        check_checkpoint_data(data)
        with self._guard():
            conn = self._conn
            with conn.transaction():
                # The same lock as appends: no batch commits while the checkpoint is anchored.
                conn.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(self._events))
                last = conn.execute(
                    sql.SQL("SELECT max(position) FROM {}").format(self._events)
                ).fetchone()[0]
                position = check_position("position", position, last=int(last or 0),
                                          recorded=True)
                if not self._has_checkpoints(conn):
                    raise StoreError(
                        f"the store in schema {self.schema!r} at {redact_dsn(self.dsn)!r} has no "
                        "checkpoint table (it was made by an earlier version, and this session "
                        "may not add one): open it once as a user who may create tables"
                    )
                head = conn.execute(
                    sql.SQL("SELECT hash FROM {} WHERE position = %s").format(self._events),
                    (position,),
                ).fetchone()[0]
                conn.execute(sql.SQL("DELETE FROM {}").format(self._checkpoints))
                insert = sql.SQL("COPY {} (position, part, head, data) FROM STDIN").format(
                    self._checkpoints)
                with conn.cursor() as cursor, cursor.copy(insert) as copy:
                    for part, start in enumerate(range(0, len(data), _PART)):
                        copy.write_row((position, part, head, data[start : start + _PART]))

    def _has_checkpoints(self, conn: Any) -> bool:
        found = conn.execute("SELECT to_regclass(%s)",
                             (f"{self.schema}.aes_checkpoints",)).fetchone()[0]
        return found is not None

    def load_checkpoint(self) -> tuple[int, bytes] | None:
        with self._guard():
            conn = self._conn
            with conn.transaction():
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                if not self._has_checkpoints(conn):
                    return None  # a store made before checkpoints, for a user who may not add
                found = conn.execute(
                    sql.SQL("SELECT c.position FROM {} c JOIN {} e"
                            " ON e.position = c.position AND e.hash = c.head"
                            " WHERE c.part = 0 ORDER BY c.position DESC LIMIT 1").format(
                        self._checkpoints, self._events)
                ).fetchone()
                if found is None:
                    return None
                parts = conn.execute(
                    sql.SQL("SELECT data FROM {} WHERE position = %s ORDER BY part").format(
                        self._checkpoints), (found[0],)
                ).fetchall()
        return int(found[0]), b"".join(bytes(part[0]) for part in parts)

    def close(self) -> None:
        with self._listen_lock:
            self._drop_listener()
        with self._lock:
            self._closed = True
            self._conn.close()


class _Guard:
    """Holds the store's lock and turns driver errors into :class:`StoreError`."""

    def __init__(self, store: PostgresStore) -> None:
        self._store = store

    def __enter__(self) -> None:
        store = self._store
        store._lock.acquire()
        if store._closed:
            store._lock.release()
            raise StoreError(f"the store {redact_dsn(store.dsn)!r} is closed")
        if store._conn.broken:  # the server restarted or the network dropped: reconnect once
            try:
                store._conn = store._connect()
            except BaseException:
                store._lock.release()
                raise

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: object) -> None:
        self._store._lock.release()
        if isinstance(error, psycopg.Error):
            raise _translate(error, self._store) from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _translate(error: Exception, store: PostgresStore) -> StoreError:
    where = redact_dsn(store.dsn)
    if isinstance(error, psycopg.errors.InsufficientPrivilege):
        return StoreError(f"the store {where!r} refuses this user: {_first_line(error)}")
    if isinstance(error, psycopg.errors.ReadOnlySqlTransaction):
        return StoreError(f"the store {where!r} is read-only: {_first_line(error)}")
    if isinstance(error, psycopg.errors.DiskFull):
        return StoreError(f"the disk of the server at {where!r} is full; nothing was written")
    if isinstance(error, psycopg.errors.UndefinedTable):
        return StoreError(f"the store's tables in schema {store.schema!r} at {where!r} are gone")
    if isinstance(error, psycopg.OperationalError):
        return StoreError(f"lost the connection to {where!r}: {_first_line(error)}")
    return StoreError(f"the store {where!r} failed: {_first_line(error)}")
