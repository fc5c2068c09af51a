"""Every store backend passes the one contract suite; each durable store's own guarantees."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from aes_membership import DecodeError, FieldError, InvariantError, Registry, StoreError
from aes_membership.codec import Codec
from aes_membership.datasets import west_africa
from aes_membership.errors import SchemaVersionError
from aes_membership.events import StateRegistered
from aes_membership.stores import MemoryStore, PostgresStore, SQLiteStore
from aes_membership.testing import StoreContract
from conftest import Backend, postgres_dsn


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store(self) -> MemoryStore:
        return MemoryStore()


class TestSQLiteStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[SQLiteStore]:
        store = SQLiteStore(tmp_path / "contract.sqlite")
        yield store
        store.close()


class TestPostgresStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[PostgresStore]:
        backend = Backend("postgres", tmp_path)
        store = PostgresStore(backend.target, **backend.options)
        yield store
        store.close()
        backend.drop()


def test_reopen_gives_identical_answers(durable: Backend) -> None:
    """A reopened store answers exactly as the registry that wrote it."""
    with durable.open() as first:
        west_africa(first)
        expected = [(r.position, r.recorded_at, r.event) for r in first.events()]
        snap = first.snapshot("2024-06-01")
        answers = (snap.members("ECOWAS"), snap.suspended("ECOWAS"), first.tenures("AES/president"))
    with durable.open() as again:
        assert [(r.position, r.recorded_at, r.event) for r in again.events()] == expected
        snap = again.snapshot("2024-06-01")
        assert (snap.members("ECOWAS"), snap.suspended("ECOWAS"),
                again.tenures("AES/president")) == answers
        assert again.verify().ok


def test_a_row_of_an_older_schema_version_is_read_through_an_upcaster_or_named_as_such(
        durable: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """A row written at an older version of its type is read through the codec's upcaster,
    and without one the error names the step and how to give it, not an edit of the row."""
    with durable.open() as reg:
        reg.register_state("MLI", name="Mali")
    monkeypatch.setattr(StateRegistered, "VERSION", 2)  # as a later version of the library
    with pytest.raises(DecodeError) as refused:
        durable.open(checkpoint=False)
    assert refused.value.version_mismatch and refused.value.position == 1
    assert str(refused.value) == (
        "the stored event at position 1 cannot be read: no upcaster from state-registered "
        "version 1 to 2 (the codec that reads it needs one: "
        "codec.register_upcaster('state-registered', 1, function))")
    codec = Codec()
    codec.register_upcaster("state-registered", 1, lambda p: {**p, "name": p["name"].upper()})
    with durable.open(checkpoint=False, codec=codec) as reg:
        assert reg.snapshot("2024-01-01").name("MLI") == "MALI"
        assert reg.verify().ok  # the row itself is as it was written


def test_a_row_whose_content_cannot_be_read_suggests_a_check_of_the_chain(durable: Backend) -> None:
    """A stored row that is not a valid event of its version points to verify, as an edit would."""
    with durable.open() as reg:
        reg.register_state("MLI", name="Mali")
    durable.execute("UPDATE {events} SET payload = ? WHERE position = 1", '{"state": 5}')
    with pytest.raises(DecodeError, match=r"^the stored event at position 1 cannot be read "
                                          r"\(run verify: it may have been changed") as refused:
        durable.open(checkpoint=False, on_tamper="skip")  # (the chain check would say so first)
    assert not refused.value.version_mismatch


def test_rejected_events_leave_the_file_unchanged(tmp_path: Path) -> None:
    """An invalid event leaves the SQLite file byte for byte as it was."""
    path = tmp_path / "wa.sqlite"
    with Registry.open(path) as reg:
        west_africa(reg)
        reg.store.close()
        before = path.read_bytes()
    with Registry.open(path) as reg:
        snapshot_bytes = path.read_bytes()
        with pytest.raises(InvariantError):
            reg.join("MLI", "AES", on="2024-01-01")
        assert path.read_bytes() == snapshot_bytes
    assert path.read_bytes() == before


def test_foreign_and_corrupt_files_are_refused(tmp_path: Path) -> None:
    """A file that is not an aes_membership store gives a clear StoreError."""
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="not a readable aes_membership store"):
        Registry.open(garbage)
    foreign = tmp_path / "foreign.sqlite"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE people (name TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not an aes_membership store"):
        Registry.open(foreign)
    with pytest.raises(StoreError, match="does not exist"):
        Registry.open(tmp_path / "missing-folder" / "x.sqlite")
    # Another program's table of the same name, or an empty file opened only to read.
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE aes_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute("INSERT INTO aes_meta VALUES ('application', 'something-else')")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match=r"other\.sqlite' is not an aes_membership store$"):
        Registry.open(other)
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    with pytest.raises(StoreError, match=r"empty\.sqlite' is read-only and holds no store$"):
        SQLiteStore(empty, read_only=True)
    assert empty.stat().st_size == 0


def test_a_refused_sqlite_file_is_not_left_open(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Every connection made to open a file that is then refused is closed at once."""
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not a database" * 100)
    foreign = tmp_path / "foreign.sqlite"
    with contextlib.closing(sqlite3.connect(foreign)) as conn:
        conn.execute("CREATE TABLE people (name TEXT)")
    newer = tmp_path / "newer.sqlite"
    SQLiteStore(newer).close()
    with contextlib.closing(sqlite3.connect(newer, isolation_level=None)) as conn:
        conn.execute("UPDATE aes_meta SET value = '99' WHERE key = 'schema_version'")
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    made: list[sqlite3.Connection] = []
    connect = sqlite3.connect

    def recorded(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        made.append(connect(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(sqlite3, "connect", recorded)
    refusals: list[tuple[Callable[[], object], type[Exception]]] = [
        (lambda: SQLiteStore(garbage), StoreError),
        (lambda: SQLiteStore(foreign), StoreError),
        (lambda: SQLiteStore(newer), SchemaVersionError),
        (lambda: SQLiteStore(empty, create=False), StoreError),
        (lambda: SQLiteStore(empty, read_only=True), StoreError),
    ]
    for refused, error in refusals:
        with pytest.raises(error):
            refused()
    assert len(made) == len(refusals)
    for conn in made:
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            conn.execute("SELECT 1")


def test_a_url_of_another_kind_is_refused_without_echoing_it(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A URL no store serves is a StoreError naming its scheme; no file of that name is made."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError, match=r"cannot open a mysql:// URL: expected an SQLite") as caught:
        Registry.open("mysql://user:secret@localhost/db")
    assert "secret" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("uri", ["file:x.sqlite", "FILE:x.sqlite?mode=ro", "file:///tmp/x.sqlite"])
def test_an_sqlite_uri_is_refused_for_the_files_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    uri: str) -> None:
    """A file: URI is refused, asking for the file's path: SQLite builds differ on whether
    they read one, so it would open one file on one machine and another elsewhere."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError, match=f"^cannot open a file: URI \\({re.escape(repr(uri))}\\): "
                                         "expected the SQLite file's path, such as 'membership.sqlite'$"):
        Registry.open(uri)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["file:x.sqlite", "a?mode=ro#b.sqlite", "100%.sqlite", "données é.sqlite"])
def test_an_sqlite_store_opens_the_file_its_path_names_whatever_the_characters(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """SQLiteStore takes its path as a path: characters that mean something in a URI open the
    file of that name, and nothing else, on every build of SQLite."""
    monkeypatch.chdir(tmp_path)  # (a relative path is the one a build may read as a URI)
    with Registry(SQLiteStore(name)) as registry:
        registry.register_state("MLI", name="Mali")
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm"))] == [name]
    with Registry(SQLiteStore(name, create=False)) as registry:
        assert registry.ids("state") == {"MLI"}
    with Registry(SQLiteStore(name, read_only=True)) as registry:
        assert registry.ids("state") == {"MLI"}


@pytest.mark.parametrize(("dsn", "shown"), [
    ("postgresql://u:secret@db.example.org/m", "postgresql://u:***@db.example.org/m"),
    ("postgresql://u:se@cr/et@db.example.org:5432/m", "postgresql://u:***@db.example.org:5432/m"),
    ("host=db.example.org password=secret dbname=m", "host=db.example.org password=*** dbname=m"),
    ("host=db.example.org password='se cret' dbname=m", "host=db.example.org password=*** dbname=m"),
    ("host=db password='it\\'s secret' dbname=m", "host=db password=*** dbname=m"),
    ("host=db PASSWORD = secret", "host=db PASSWORD = ***"),
    ("postgresql://db/m?password=secret&sslmode=require", None),
], ids=["url", "url-at-and-slash", "pairs", "pairs-quoted", "pairs-quoted-escape", "pairs-spaced",
        "url-query"])
def test_a_connection_strings_password_is_never_shown(dsn: str, shown: str | None) -> None:
    """Error messages show a connection string with no part of its password, in every form
    libpq takes it."""
    from aes_membership.stores.postgres import redact_dsn

    redacted = redact_dsn(dsn)
    assert "secret" not in redacted and "cret" not in redacted and "et@" not in redacted
    if shown is not None:
        assert redacted == shown


@pytest.mark.parametrize("target", [5, None, "", "   ", ["a.sqlite"]])
def test_a_target_that_names_no_store_is_a_field_error(
        target: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Something that is no path or connection string, or blank text, is refused naming
    the target and what it may be, and no file is made (rather than one called '.')."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FieldError, match=r"^target: expected an SQLite file path, ':memory:' or "
                                         r"a PostgreSQL connection string, got ") as caught:
        Registry.open(target)  # type: ignore[arg-type]
    assert caught.value.value == target
    assert list(tmp_path.iterdir()) == []


def test_a_path_given_as_bytes_opens_that_file(tmp_path: Path) -> None:
    """A file system path in bytes names the same file as its text."""
    path = tmp_path / "bytes.sqlite"
    with Registry.open(os.fsencode(path)) as reg:  # type: ignore[arg-type]
        reg.register_state("MLI", name="Mali")
    with Registry.open(path) as reg:
        assert reg.ids("state") == {"MLI"}


@pytest.mark.parametrize("checkpoint", ["no", 0, None])
def test_checkpoint_is_true_or_false(checkpoint: object) -> None:
    """checkpoint= takes True or False: text such as "no" would otherwise count as yes."""
    with pytest.raises(FieldError, match=f"^checkpoint: expected True or False, got {checkpoint!r}$"):
        Registry.open(":memory:", checkpoint=checkpoint)  # type: ignore[arg-type]


def test_create_false_opens_a_store_and_refuses_to_make_one(durable: Backend) -> None:
    """With create=False a durable store opens only where a store is, and makes nothing; the
    error says, as missing, that there was no store rather than a store that failed."""
    with pytest.raises(StoreError, match=r"no store .*\(and create=False\)") as caught:
        durable.open(create=False)
    assert caught.value.missing
    if durable.kind == "sqlite":
        assert not Path(durable.target).exists()
    else:
        schema = durable.options["schema"]
        assert durable.execute("SELECT count(*) FROM information_schema.schemata"
                               " WHERE schema_name = ?", schema) == [(0,)]
    with durable.open() as reg:
        reg.register_state("MLI", name="Mali")
    with durable.open(create=False) as reg:
        assert reg.ids("state") == {"MLI"}


def test_create_false_has_no_store_to_open_in_memory() -> None:
    """An in-memory store is always new, so create=False refuses it as the durable ones do."""
    with pytest.raises(StoreError, match="always a new one, and create=False"):
        Registry.open(":memory:", create=False)


def test_create_false_refuses_an_empty_sqlite_file(tmp_path: Path) -> None:
    """An empty file is not a store, and create=False leaves it empty."""
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    with pytest.raises(StoreError, match="holds no store") as caught:
        SQLiteStore(empty, create=False)
    assert caught.value.missing
    assert empty.stat().st_size == 0
    for read_only in (empty, tmp_path / "absent.sqlite"):
        with pytest.raises(StoreError, match="read-only") as caught:
            SQLiteStore(read_only, read_only=True)
        assert caught.value.missing
    with pytest.raises(StoreError, match="not a readable aes_membership store") as caught:
        SQLiteStore(Path(__file__))
    assert not caught.value.missing  # (a file that is something else: not a missing store)


def test_newer_schema_is_refused(durable: Backend) -> None:
    """A store written by a newer schema version is refused, not misread, and kept."""
    with durable.open() as reg:
        reg.register_state("MLI", name="Mali")
    durable.execute("UPDATE {meta} SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(SchemaVersionError, match="schema version '99'"):
        durable.open()
    assert durable.execute("SELECT count(*) FROM {events}") == [(1,)]


def test_read_only_sqlite_file_reads_but_refuses_writes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only file answers queries; writing to it is a clear StoreError."""
    path = tmp_path / "ro.sqlite"
    with Registry.open(path) as reg:
        reg.register_state("MLI", name="Mali")
    path.chmod(0o444)
    if os.geteuid() == 0:  # root may write any file: show the store what other users see
        writable = os.access

        def access(target: Any, mode: int, **options: Any) -> bool:
            if mode & os.W_OK and Path(target) == path:
                return False
            return writable(target, mode, **options)

        monkeypatch.setattr(os, "access", access)
    with Registry.open(path) as reg:
        assert reg.ids("state") == {"MLI"}
        with pytest.raises(StoreError, match="read-only"):
            reg.register_state("NER", name="Niger")


def test_read_only_store_is_reported_not_swallowed(tmp_path: Path) -> None:
    """A store opened read_only=True answers, refuses writes clearly and keeps every event."""
    path = tmp_path / "ro.sqlite"
    with Registry.open(path) as reg:
        reg.register_state("MLI", name="Mali")
    with Registry.open(path, read_only=True) as reg:
        assert reg.ids("state") == {"MLI"}
        with pytest.raises(StoreError, match="read-only"):
            reg.register_state("NER", name="Niger")
        with pytest.raises(StoreError, match="read-only"):  # a large batch too
            reg.record(*_large_batch())  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="no such file"):
        Registry.open(tmp_path / "absent.sqlite", read_only=True)
    assert _journal_mode(path) == "wal"
    with Registry.open(path) as again:
        assert again.ids("state") == {"MLI"} and again.verify().ok


def test_full_disk_is_a_clear_error_and_loses_nothing(tmp_path: Path) -> None:
    """When the disk fills mid-batch, the batch is refused whole, earlier events stay, and
    the next batch is recorded after them."""
    path = tmp_path / "full.sqlite"
    with Registry.open(path) as reg:
        west_africa(reg)
        before = reg.position
    store = SQLiteStore(path)
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # a disk with two pages left
    reg = Registry(store)
    log = reg._timeline.events
    with pytest.raises(StoreError, match="full"):
        reg.record(*[west_africa_state(n) for n in range(2000)])
    assert reg.position == before == len(log)  # the refused batch's events are not the log's
    reg.register_state("NEW", name="Recorded after")
    assert reg._timeline.events is log and reg.history("NEW")[0].state == "NEW"
    reg.close()
    with Registry.open(path) as again:
        assert again.position == before + 1 and again.verify().ok


def west_africa_state(n: int) -> object:
    from aes_membership import StateRegistered

    return StateRegistered(state=f"X{n:05d}", name=f"A state with a long name number {n}" * 3)


def test_wrong_dsn_is_a_clear_error() -> None:
    """A malformed connection string is reported with the password hidden."""
    with pytest.raises(StoreError, match="not valid") as caught:
        Registry.open("postgresql://user:secret@localhost/db?nonsense_option=1")
    assert "secret" not in str(caught.value)


def test_missing_server_is_a_clear_error() -> None:
    """No server listening gives a StoreError naming where it looked, without the password."""
    with pytest.raises(StoreError, match="cannot connect to PostgreSQL") as caught:
        Registry.open("postgresql://user:secret@127.0.0.1:1/db", connect_timeout=2)
    assert "127.0.0.1:1" in str(caught.value) and "secret" not in str(caught.value)


@pytest.mark.parametrize("schema", ["Upper", "a b", 'a"b', "", "1st", "a" * 49, "abc\n", "pg_catalog",
                                    "pg_mine", 5, None])
def test_a_schema_that_is_no_plain_lower_case_name_is_refused_before_connecting(schema: object) -> None:
    """A PostgreSQL schema must be a plain lower-case name, not one of PostgreSQL's own (pg_…):
    anything else is a FieldError naming it, before any connection (here to no server)."""
    pytest.importorskip("psycopg")
    with pytest.raises(FieldError, match=r"^schema: expected a lower-case PostgreSQL name: up to "
                                         r"48 letters, digits and _, not beginning with a digit or "
                                         rf"pg_, got {re.escape(repr(schema))}$"):
        Registry.open("postgresql://user@127.0.0.1:1/db", schema=schema, connect_timeout=0.5)


@pytest.mark.parametrize(("options", "message"), [
    ({"create": "no"}, "create: expected True or False, got 'no'"),
    ({"read_only": 1}, "read_only: expected True or False, got 1"),
    ({"bulk_load": None}, "bulk_load: expected True or False, got None"),
    ({"codec": 5}, "codec: expected an aes_membership.codec.Codec, or None for the default, got 5"),
])
def test_an_sqlite_option_of_the_wrong_kind_is_refused_by_name_and_makes_nothing(
        tmp_path: Path, options: dict[str, object], message: str) -> None:
    """create="no" is true to Python, and would make the store it refuses: options that are
    flags take True or False only, and a codec must be one; nothing is made otherwise."""
    with pytest.raises(FieldError, match=f"^{re.escape(message)}$"):
        SQLiteStore(tmp_path / "x.sqlite", **options)  # type: ignore[arg-type]
    with pytest.raises(FieldError, match=r"^path: expected an SQLite file's path: text, bytes or "
                                         r"a pathlib\.Path, got 5$"):
        SQLiteStore(5)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("dsn", "options", "message"), [
    ("postgresql://u:secret@127.0.0.1:1/db", {"create": "no"}, "create: expected True or False, got 'no'"),
    ("postgresql://u:secret@127.0.0.1:1/db", {"codec": "json"},
     "codec: expected an aes_membership.codec.Codec, or None for the default, got 'json'"),
    (b"postgresql://u:secret@127.0.0.1:1/db", {},
     "dsn: expected a PostgreSQL connection string (text), got bytes"),
])
def test_a_postgres_option_of_the_wrong_kind_is_refused_by_name_before_connecting(
        dsn: object, options: dict[str, object], message: str) -> None:
    """The PostgreSQL store refuses a flag that is not True or False, a codec that is none and
    a connection string that is not text (told by its type, as it may hold a password),
    before it connects (here to no server)."""
    pytest.importorskip("psycopg")
    with pytest.raises(FieldError, match=f"^{re.escape(message)}$"):
        PostgresStore(dsn, connect_timeout=0.5, **options)  # type: ignore[arg-type]


def test_keyword_connection_string_opens_postgres_not_a_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """libpq's keyword=value form is a PostgreSQL target, never the name of a new SQLite file."""
    monkeypatch.chdir(tmp_path)
    target = "host=127.0.0.1 port=1 dbname=db user=someone password=secret"
    with pytest.raises(StoreError, match="cannot connect to PostgreSQL at") as caught:
        Registry.open(target, connect_timeout=2)
    assert "port=1" in str(caught.value) and "secret" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["store=1.sqlite", "my file=1 host=2", "x = y",
                                  "host=" * 40 + "'.sqlite"])  # (no exponential search)
def test_file_names_with_equals_signs_stay_sqlite_files(
        name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A path that is not wholly keyword=value pairs naming a server or database is a file."""
    monkeypatch.chdir(tmp_path)
    with Registry.open(name) as reg:
        reg.register_state("MLI", name="Mali")
    assert (tmp_path / name).is_file()


def test_postgres_keyword_connection_string_opens_the_store(pg_backend: Backend) -> None:
    """The same store opens by its URL and by libpq's keyword=value pairs."""
    import psycopg

    durable = pg_backend
    with durable.open() as reg:
        reg.register_state("MLI", name="Mali")
    pairs = psycopg.conninfo.make_conninfo("", **psycopg.conninfo.conninfo_to_dict(durable.target))
    assert "://" not in pairs
    with Registry.open(pairs, **durable.options) as again:
        assert again.ids("state") == {"MLI"}


def test_postgres_wrong_password_is_a_clear_error() -> None:
    """A refused login is a StoreError, not a driver traceback."""
    import psycopg

    info = psycopg.conninfo.conninfo_to_dict(postgres_dsn())
    info["password"] = "certainly-not-the-password"
    info["user"] = "aes_membership_nobody"
    with pytest.raises(StoreError, match="cannot connect"):
        Registry.open(f"postgresql://{info['user']}:{info['password']}@{info.get('host')}"
                      f":{info.get('port', 5432)}/{info.get('dbname')}")


def test_postgres_read_only_session_refuses_writes(pg_backend: Backend) -> None:
    """A read-only PostgreSQL session answers queries and refuses writes clearly."""
    durable = pg_backend
    with durable.open() as reg:
        reg.register_state("MLI", name="Mali")
    separator = "&" if "?" in durable.target else "?"
    read_only = f"{durable.target}{separator}options=-c%20default_transaction_read_only%3Don"
    with Registry.open(read_only, **durable.options) as reg:
        assert reg.ids("state") == {"MLI"}
        with pytest.raises(StoreError, match="read-only"):
            reg.register_state("NER", name="Niger")
    assert durable.execute("SELECT count(*) FROM {events}") == [(1,)]


def test_postgres_dropped_connection_is_reported_then_reconnected(pg_backend: Backend) -> None:
    """A call that finds its connection dropped raises StoreError with nothing written; the
    next call reconnects."""
    durable = pg_backend
    with durable.open() as reg:
        reg.register_state("MLI", name="Mali")
        pid = reg._store._conn.info.backend_pid  # type: ignore[attr-defined]
        durable.execute("SELECT pg_terminate_backend(?)", pid)
        with pytest.raises(StoreError, match="lost the connection to"):
            reg.register_state("NER", name="Niger")
        reg.register_state("BFA", name="Burkina Faso")
        assert reg.ids("state") == {"MLI", "BFA"} and reg.position == 2
    assert [row[0] for row in durable.execute("SELECT payload FROM {events} ORDER BY position")
            if "NER" in row[0]] == []
    with durable.open() as again:
        assert again.ids("state") == {"MLI", "BFA"}


def test_postgres_tables_dropped_under_an_open_store_are_named(pg_backend: Backend) -> None:
    """A store whose tables were dropped behind it says so, naming the schema."""
    durable = pg_backend
    with durable.open() as reg:
        reg.register_state("MLI", name="Mali")
        durable.execute("DROP TABLE {events}")
        with pytest.raises(StoreError, match=f"tables in schema '{durable.options['schema']}'"
                                             ".* are gone"):
            reg.register_state("NER", name="Niger")


def test_postgres_user_without_rights_is_refused_by_name(pg_backend: Backend) -> None:
    """A login that may not create or read the store's tables gets a StoreError saying so."""
    import psycopg

    durable = pg_backend
    with durable.open() as reg:
        reg.register_state("MLI", name="Mali")
    role = f"aes_nobody_{durable.options['schema']}"
    try:
        durable.execute(f"CREATE ROLE {role} LOGIN")
    except psycopg.errors.InsufficientPrivilege:
        pytest.skip("the test server's user may not create roles")
    try:
        info = {**psycopg.conninfo.conninfo_to_dict(durable.target), "user": role}
        info.pop("password", None)
        as_role = psycopg.conninfo.make_conninfo("", **info)  # keyword=value pairs
        with pytest.raises(StoreError, match="refuses this user: permission denied") as caught:
            Registry.open(as_role, **durable.options)
        assert role in str(caught.value)
    finally:
        durable.execute(f"DROP ROLE {role}")


def test_postgres_foreign_table_is_refused(pg_backend: Backend) -> None:
    """A schema whose aes_events table was not made by the library is not adopted."""
    durable = pg_backend
    schema = durable.options["schema"]
    durable.execute(f"CREATE SCHEMA {schema}")
    durable.execute("CREATE TABLE {events} (position int)")
    with pytest.raises(StoreError, match="not an aes_membership store"):
        durable.open()


def test_follower_in_another_registry_sees_new_events(durable: Backend) -> None:
    """A registry following the store yields events another registry records."""
    with durable.open() as writer, durable.open() as follower:
        writer.register_state("MLI", name="Mali")
        timer = threading.Timer(0.2, lambda: writer.register_state("NER", name="Niger"))
        timer.start()
        seen = []
        for recorded in follower.follow(poll=5.0, timeout=5.0):
            seen.append(recorded.event)
            if len(seen) == 2:
                break
        timer.join()
        assert [e.state for e in seen] == ["MLI", "NER"]  # type: ignore[attr-defined]
        assert follower.position == writer.position == 2


def test_following_with_more_seconds_than_a_float_holds_waits_as_long_as_there_is(
        durable: Backend) -> None:
    """A poll or a timeout too large for a float is as long as there is: the follower still
    sees news, and stops after a timeout it was given, rather than raising OverflowError."""
    with durable.open() as writer, durable.open() as follower:
        timer = threading.Timer(0.2, lambda: writer.register_state("NER", name="Niger"))
        timer.start()
        news = next(iter(follower.follow(poll=0.05, timeout=10**400)))
        timer.join()
        assert news.event.state == "NER"  # type: ignore[attr-defined]
        assert list(follower.follow(poll=10**400, timeout=0.1)) == []


def test_following_stops_after_its_timeout_without_news_counted_from_the_last(
        durable: Backend) -> None:
    """follow(timeout=...) stops once that long has passed without news: a follower that
    waited nearly that long before one event still sees one that comes soon after it."""
    with durable.open() as writer, durable.open() as follower:
        def write_later() -> None:
            time.sleep(0.8)
            writer.register_state("MLI", name="Mali")
            time.sleep(0.5)
            writer.register_state("NER", name="Niger")

        thread = threading.Thread(target=write_later)
        thread.start()
        seen = [r.event.state for r in follower.follow(poll=0.05, timeout=1.0)]  # type: ignore[attr-defined]
        thread.join()
        assert seen == ["MLI", "NER"]
        assert list(follower.follow(poll=0.05, timeout=0.1)) == []  # no news: it stops


def test_stale_registry_catches_up_and_revalidates(durable: Backend) -> None:
    """A writer that missed another's events validates against them before appending."""
    a = durable.open()
    b = durable.open()
    a.register_state("MLI", name="Mali")
    a.found("AES", name="AES", on="2023-09-16")
    b.join("MLI", "AES", on="2023-09-16")  # b has not seen a's events yet: it catches up
    with pytest.raises(InvariantError, match="already a member"):
        a.join("MLI", "AES", on="2024-01-01")
    assert a.position == b.position == 3
    a.close()
    b.close()


def test_a_large_batch_gets_a_large_page_cache_for_its_time(tmp_path: Path) -> None:
    """A batch of 10,000 events or more is written with ``cache_mib`` of page cache, which
    is given back afterwards; smaller batches keep SQLite's default."""
    store = SQLiteStore(tmp_path / "cache.sqlite", cache_mib=8)
    default = store._conn.execute("PRAGMA cache_size").fetchone()[0]
    statements: list[str] = []
    store._conn.set_trace_callback(statements.append)
    reg = Registry(store)
    reg.record(*[west_africa_state(n) for n in range(10)])
    assert not [s for s in statements if "cache_size=" in s]
    reg.record(*[west_africa_state(n) for n in range(10, 10_010)])
    sizes = [s for s in statements if "cache_size=" in s]
    assert sizes == ["PRAGMA cache_size=-8192", f"PRAGMA cache_size={default}"]
    assert store._conn.execute("PRAGMA cache_size").fetchone()[0] == default
    reg.close()


def _large_batch(start: int = 0) -> list[object]:
    return [west_africa_state(n) for n in range(start, start + 10_010)]


def _journal_during_batch(store: SQLiteStore, batch: list[object],
                          also: Callable[[], object] = lambda: None) -> bool:
    """Append ``batch``; whether SQLite's rollback journal existed while it was written
    (``also`` runs once then, inside the batch's transaction)."""
    conn = store._conn
    seen: list[bool] = []

    def look() -> int:
        if conn.in_transaction and not seen:
            seen.append(Path(f"{store.path}-journal").exists())
            also()
        return 0

    conn.set_progress_handler(look, 1000)
    store.append(batch, expected_position=store.last_position())  # type: ignore[arg-type]
    conn.set_progress_handler(None, 0)
    assert seen, "the batch ran no statement long enough to be looked at"
    return seen[0]


def _journal_mode(path: Path) -> str:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        mode: str = conn.execute("PRAGMA journal_mode").fetchone()[0]
    return mode


def test_a_large_batch_into_a_store_no_one_else_has_open_goes_through_the_rollback_journal(
        tmp_path: Path) -> None:
    """A large batch written alone uses the rollback journal, and the write-ahead log is back after it."""
    store = SQLiteStore(tmp_path / "bulk.sqlite")
    store.append([west_africa_state(0)], expected_position=0)  # type: ignore[list-item]
    statements: list[str] = []
    store._conn.set_trace_callback(statements.append)
    assert _journal_during_batch(store, _large_batch(1))
    store._conn.set_trace_callback(None)
    settings = [s for s in statements if s.startswith(("PRAGMA synchronous", "PRAGMA journal_mode",
                                                         "BEGIN", "COMMIT"))]
    # The journal's deletion commits the batch: its folder is synced too (EXTRA).
    assert settings == ["PRAGMA synchronous=EXTRA", "PRAGMA journal_mode=DELETE", "BEGIN IMMEDIATE",
                        "COMMIT", "PRAGMA synchronous=FULL", "PRAGMA journal_mode=WAL"]
    assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert not Path(f"{store.path}-journal").exists()
    assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()
    assert _journal_mode(store.path) == "wal"
    with Registry.open(store.path) as again:
        assert again.position == 10_011 and again.verify().ok


def test_a_large_batch_keeps_the_write_ahead_log_while_another_connection_is_open(
        tmp_path: Path) -> None:
    """A reader connected before a large batch reads the state before it while it is written."""
    store = SQLiteStore(tmp_path / "shared.sqlite")
    store.append([west_africa_state(0)], expected_position=0)  # type: ignore[list-item]
    reader = SQLiteStore(store.path, busy_timeout=0)
    read: list[int] = []
    assert not _journal_during_batch(store, _large_batch(1),
                                     also=lambda: read.append(reader.last_position()))
    assert read == [1]
    assert reader.last_position() == 10_011
    assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL, as before
    reader.close()
    store.close()


def test_bulk_load_false_keeps_the_write_ahead_log_for_every_batch(tmp_path: Path) -> None:
    """With ``bulk_load=False`` even a large batch written alone goes through the write-ahead log."""
    store = SQLiteStore(tmp_path / "wal.sqlite", bulk_load=False)
    store.append([west_africa_state(0)], expected_position=0)  # type: ignore[list-item]
    assert not _journal_during_batch(store, _large_batch(1))
    assert store.last_position() == 10_011
    store.close()


def test_a_store_opened_during_a_large_batch_waits_for_all_of_it(tmp_path: Path) -> None:
    """A connection opened while a large batch is written alone waits, then reads all of it."""
    store = SQLiteStore(tmp_path / "wait.sqlite")
    store.append([west_africa_state(0)], expected_position=0)  # type: ignore[list-item]
    inside, go = threading.Event(), threading.Event()
    opened: list[int] = []

    def open_meanwhile() -> None:
        with contextlib.closing(SQLiteStore(store.path, busy_timeout=20)) as late:
            opened.append(late.last_position())

    def hold() -> None:
        inside.set()
        go.wait(20)

    writer = threading.Thread(target=lambda: _journal_during_batch(store, _large_batch(1), hold))
    writer.start()
    assert inside.wait(20)
    late = threading.Thread(target=open_meanwhile)
    late.start()
    late.join(0.3)
    assert late.is_alive() and not opened  # waiting for the batch, not reading half of it
    go.set()
    writer.join(20)
    late.join(20)
    assert opened == [10_011]
    assert _journal_mode(store.path) == "wal"
    store.close()


def test_a_store_opened_during_a_large_batch_gives_up_after_its_busy_timeout(tmp_path: Path) -> None:
    """A connection that waits longer than its busy_timeout for a large batch gets a StoreError."""
    store = SQLiteStore(tmp_path / "late.sqlite")
    store.append([west_africa_state(0)], expected_position=0)  # type: ignore[list-item]
    refused: list[str] = []

    def open_too_late() -> None:
        with pytest.raises(StoreError, match="stayed locked by another process") as caught:
            SQLiteStore(store.path, busy_timeout=0.2)
        refused.append(str(caught.value))

    _journal_during_batch(store, _large_batch(1), also=open_too_late)
    assert len(refused) == 1
    assert store.last_position() == 10_011
    with contextlib.closing(SQLiteStore(store.path, busy_timeout=0.2)) as later:
        assert later.last_position() == 10_011  # once the batch is in, it opens at once
    store.close()


def test_a_crash_during_a_large_batch_leaves_the_store_as_it_was_before_it(tmp_path: Path) -> None:
    """A process killed while writing a large batch into the file leaves the store as it was."""
    path = tmp_path / "crash.sqlite"
    with Registry.open(path) as reg:
        west_africa(reg)
        before = [(r.position, r.recorded_at, r.event) for r in reg.events()]
    script = (
        "import os, sys\n"
        "sys.path.insert(0, 'tests')\n"
        "from aes_membership.stores import SQLiteStore\n"
        "from test_stores import west_africa_state\n"
        f"store = SQLiteStore({str(path)!r}, cache_mib=1)\n"
        "size = os.path.getsize(store.path)\n"
        "def crash():\n"
        "    if store._conn.in_transaction and os.path.getsize(store.path) > size:\n"
        "        os._exit(3)  # pages of the batch are in the file: die without a word\n"
        "    return 0\n"
        "store._conn.set_progress_handler(crash, 1000)\n"
        "batch = [west_africa_state(n) for n in range(20_000)]\n"
        "store.append(batch, expected_position=store.last_position())\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent, check=False)
    assert done.returncode == 3, done.stderr
    assert Path(f"{path}-journal").exists()  # the hot journal SQLite rolls the file back from
    with Registry.open(path, on_tamper="refuse") as again:
        assert [(r.position, r.recorded_at, r.event) for r in again.events()] == before
        again.record(west_africa_state(1))  # type: ignore[arg-type]
        assert again.position == len(before) + 1
    assert not Path(f"{path}-journal").exists()
    assert _journal_mode(path) == "wal"


def test_a_large_batch_refused_by_the_store_leaves_it_unchanged_in_write_ahead_log_mode(
        tmp_path: Path) -> None:
    """A large batch the store refuses changes nothing, and the write-ahead log is back."""
    from aes_membership import DuplicateEventError

    store = SQLiteStore(tmp_path / "refused.sqlite")
    first = west_africa_state(0)
    store.append([first], expected_position=0)  # type: ignore[list-item]
    clash = attrs.evolve(west_africa_state(1), id=first.id)  # type: ignore[attr-defined]
    with pytest.raises(DuplicateEventError):
        store.append([*_large_batch(2), clash], expected_position=1)  # type: ignore[list-item]
    assert store.last_position() == 1 and store.verify().ok
    assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert not Path(f"{store.path}-journal").exists()
    store.close()


def test_a_write_ahead_log_that_could_not_be_put_back_is_put_back_by_the_next_batch(
        tmp_path: Path) -> None:
    """If a reader holds the file when a large batch ends, the log comes back with the next batch."""
    store = SQLiteStore(tmp_path / "back.sqlite", busy_timeout=0.2)
    store.append([west_africa_state(0)], expected_position=0)  # type: ignore[list-item]
    reader = sqlite3.connect(store.path, isolation_level=None)

    def read_at_the_end(statement: str) -> None:
        if statement == "PRAGMA journal_mode=WAL" and not reader.in_transaction:
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM aes_events").fetchone()

    store._conn.set_trace_callback(read_at_the_end)
    assert _journal_during_batch(store, _large_batch(1))
    store._conn.set_trace_callback(None)
    assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    reader.execute("COMMIT")
    reader.close()
    store.append([west_africa_state(20_000)], expected_position=10_011)  # type: ignore[list-item]
    assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.last_position() == 10_012 and store.verify().ok
    store.close()


@pytest.mark.parametrize("bulk_load", [1, "yes", None])
def test_a_bulk_load_setting_that_is_not_a_bool_is_refused(tmp_path: Path, bulk_load: object) -> None:
    """``bulk_load`` is True or False; anything else is named, and no file is made."""
    with pytest.raises(FieldError, match=f"bulk_load: expected True or False, got {bulk_load!r}"):
        SQLiteStore(tmp_path / "bulk.sqlite", bulk_load=bulk_load)  # type: ignore[arg-type]
    assert not (tmp_path / "bulk.sqlite").exists()


@pytest.mark.parametrize("cache_mib", [0, -5, 2.5, "64"])
def test_a_page_cache_size_that_is_not_a_positive_whole_number_is_refused(
        tmp_path: Path, cache_mib: object) -> None:
    """A cache size other than a whole number of MiB ≥ 1 is named in the error."""
    with pytest.raises(FieldError, match=f"cache_mib: expected a whole number of MiB ≥ 1, got {cache_mib!r}"):
        SQLiteStore(tmp_path / "cache.sqlite", cache_mib=cache_mib)  # type: ignore[arg-type]
    assert not (tmp_path / "cache.sqlite").exists()


@pytest.mark.parametrize("seconds", [-1, "30", None, float("nan")])
def test_a_busy_timeout_that_is_not_a_number_of_seconds_is_refused(
        tmp_path: Path, seconds: object) -> None:
    """SQLite's busy timeout is a number of seconds ≥ 0; anything else is named, no file made."""
    with pytest.raises(FieldError, match="busy_timeout: expected a number ≥ 0, got"):
        SQLiteStore(tmp_path / "busy.sqlite", busy_timeout=seconds)  # type: ignore[arg-type]
    assert not (tmp_path / "busy.sqlite").exists()


@pytest.mark.parametrize(("option", "value"), [("connect_timeout", 0), ("connect_timeout", "10"),
                                               ("catch_up", -2.0)])
def test_postgres_timeouts_that_are_not_positive_numbers_are_refused(option: str,
                                                                     value: object) -> None:
    """PostgreSQL's connect timeout and catch-up period are numbers of seconds > 0."""
    pytest.importorskip("psycopg")
    from aes_membership.stores.postgres import PostgresStore

    with pytest.raises(FieldError, match=f"{option}: expected a number > 0, got {value!r}"):
        PostgresStore("postgresql://nobody@localhost/none", **{option: value})


def test_a_checkpoint_is_read_through_a_mapping_closed_after(tmp_path: Path) -> None:
    """SQLite maps the file only while it reads a checkpoint, and reads normally after."""
    with Registry.open(tmp_path / "mapped.sqlite") as reg:
        west_africa(reg)
        reg.checkpoint()
    store = SQLiteStore(tmp_path / "mapped.sqlite")
    statements: list[str] = []
    store._conn.set_trace_callback(statements.append)
    found = store.load_checkpoint()
    assert found is not None and found[0] > 0
    assert [s for s in statements if "mmap_size=" in s] == [
        f"PRAGMA mmap_size={1 << 40}", "PRAGMA mmap_size=0"]
    assert store._conn.execute("PRAGMA mmap_size").fetchone()[0] == 0
    store.close()


def test_a_large_batch_into_a_closed_store_is_a_store_error(tmp_path: Path) -> None:
    """Appending to a closed SQLite store raises a StoreError saying so, not a driver error."""
    store = SQLiteStore(tmp_path / "closed.sqlite")
    store.close()
    for count in (10_000, 1):
        with pytest.raises(StoreError, match=r"closed\.sqlite' is closed: open it again"):
            store.append([west_africa_state(n) for n in range(count)], expected_position=0)  # type: ignore[arg-type]
