"""Every store backend passes the one contract suite; SQLite's own guarantees."""

from __future__ import annotations

import multiprocessing
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from aes_membership import InvariantError, Registry, StoreError
from aes_membership.datasets import west_africa
from aes_membership.errors import SchemaVersionError
from aes_membership.stores import MemoryStore, SQLiteStore
from aes_membership.testing import StoreContract


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


def test_reopen_gives_identical_answers(tmp_path: Path) -> None:
    """A reopened SQLite file answers exactly as the registry that wrote it."""
    path = tmp_path / "wa.sqlite"
    with Registry.open(path) as first:
        west_africa(first)
        expected = [(r.position, r.recorded_at, r.event) for r in first.events()]
        snap = first.snapshot("2024-06-01")
        answers = (snap.members("ECOWAS"), snap.suspended("ECOWAS"), first.tenures("AES/president"))
    with Registry.open(path) as again:
        assert [(r.position, r.recorded_at, r.event) for r in again.events()] == expected
        snap = again.snapshot("2024-06-01")
        assert (snap.members("ECOWAS"), snap.suspended("ECOWAS"),
                again.tenures("AES/president")) == answers
        assert again.verify().ok


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


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    """A store written by a newer schema version is refused, not misread."""
    path = tmp_path / "new.sqlite"
    Registry.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE aes_meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaVersionError, match="schema version '99'"):
        Registry.open(path)


def test_tampering_is_detected(tmp_path: Path) -> None:
    """Editing or deleting a row behind the library's back breaks verification there."""
    path = tmp_path / "wa.sqlite"
    with Registry.open(path) as reg:
        west_africa(reg)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE aes_events SET payload = payload || ' ' WHERE position = 40")
    conn.commit()
    with Registry.open(path) as reg:
        report = reg.verify()
        assert not report.ok and report.position == 40
    conn.execute("DELETE FROM aes_events WHERE position = 10")
    conn.commit()
    conn.close()
    with Registry.open(path) as reg:
        assert reg.verify().position == 10


def _writer(path: str, worker: int, count: int) -> None:
    reg = Registry.open(path)
    for n in range(count):
        reg.register_state(f"W{worker}-{n}", name=f"state {worker}/{n}")
    reg.close()


def test_two_processes_lose_nothing(tmp_path: Path) -> None:
    """Two processes appending to one file store every event exactly once."""
    path = str(tmp_path / "shared.sqlite")
    Registry.open(path).close()
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_writer, args=(path, w, 40)) for w in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    with Registry.open(path) as reg:
        assert len(reg.ids("state")) == 80
        assert reg.position == 80
        assert reg.verify().ok


def test_stale_registry_catches_up_and_revalidates(tmp_path: Path) -> None:
    """A writer that missed another's events validates against them before appending."""
    path = tmp_path / "race.sqlite"
    a = Registry.open(path)
    b = Registry.open(path)
    a.register_state("MLI", name="Mali")
    a.found("AES", name="AES", on="2023-09-16")
    b.join("MLI", "AES", on="2023-09-16")  # b has not seen a's events yet: it catches up
    with pytest.raises(InvariantError, match="already a member"):
        a.join("MLI", "AES", on="2024-01-01")
    assert a.position == b.position == 3
    a.close()
    b.close()


def test_postgres_dsn_gives_a_clear_error() -> None:
    """A postgresql:// target is refused with a StoreError, not an import traceback."""
    with pytest.raises(StoreError, match="PostgreSQL stores are not available"):
        Registry.open("postgresql://user:secret@localhost/db")
