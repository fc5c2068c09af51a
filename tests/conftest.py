"""Shared fixtures: registries on every backend, the bundled history, the shared data folder."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from aes_membership import Registry
from aes_membership.datasets import west_africa

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
POSTGRES_DSN = os.environ.get("AES_MEMBERSHIP_TEST_DSN")


def shared_file(*parts: str) -> Path:
    """A file of the shared reference data, or skip the test when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared reference data not present: {'/'.join(parts)}")
    return path


def from_threads(first_use: Callable[[], object], count: int = 8) -> list[object]:
    """What ``first_use`` returns in ``count`` threads that call it at the same moment."""
    start = threading.Barrier(count)
    found: list[object] = []

    def run() -> None:
        start.wait()
        found.append(first_use())

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return found


def postgres_dsn() -> str:
    """The test server's DSN; skip without one, except in CI, where PostgreSQL must be tested."""
    if POSTGRES_DSN:
        return POSTGRES_DSN
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail("CI=true but AES_MEMBERSHIP_TEST_DSN is not set: PostgreSQL tests must run")
    pytest.skip("no PostgreSQL server: set AES_MEMBERSHIP_TEST_DSN to run these tests")


@contextlib.contextmanager
def splitting_at(module: ModuleType, size: int) -> Iterator[None]:
    """Within the block, ``module``'s persistent maps split a dict past ``size`` items."""
    before, module.SPLIT_AT = module.SPLIT_AT, size  # type: ignore[attr-defined]
    try:
        yield
    finally:
        module.SPLIT_AT = before  # type: ignore[attr-defined]


def replay_into_maps(empty: Any, batches: list[list[tuple[bool, Any, int]]],
                     check: Any = None, held: dict[Any, int] | None = None
                     ) -> list[tuple[Any, dict[Any, int]]]:
    """Every version a persistent map goes through, each beside the dict it should equal.

    Each batch of (set?, key, value) operations is applied to one evolver that goes on from
    one version to the next, and to a plain dict; ``check(evolver, key, expected)`` runs after
    each operation. The map starts empty, or holding ``held``.
    """
    versions: list[tuple[Any, dict[Any, int]]] = [(empty, dict(held or {}))]
    evolver = empty.evolver()
    for batch in batches:
        expected = dict(versions[-1][1])
        for is_set, key, value in batch:
            if is_set:
                evolver[key] = value
                expected[key] = value
            elif key in expected:
                del evolver[key]
                del expected[key]
            if check is not None:
                check(evolver, key, expected)
        versions.append((evolver.persistent(), expected))
    return versions


class Backend:
    """A durable store for one test, and a back door for changing it behind the library."""

    def __init__(self, kind: str, tmp_path: Path) -> None:
        self.kind = kind
        self.options: dict[str, Any] = {}
        if kind == "sqlite":
            self.target = str(tmp_path / "store.sqlite")
        else:
            self.target = postgres_dsn()
            self.options = {"schema": f"t_{uuid.uuid4().hex[:16]}"}

    def open(self, **options: Any) -> Registry:
        return Registry.open(self.target, **self.options, **options)

    def execute(self, statement: str, *params: Any) -> list[tuple[Any, ...]]:
        """Run SQL on the store's tables ({events}, {meta}) without the library."""
        if self.kind == "sqlite":
            conn = sqlite3.connect(self.target)
            try:
                rows = conn.execute(
                    statement.format(events="aes_events", meta="aes_meta"), params
                ).fetchall()
                conn.commit()
            finally:
                conn.close()
            return rows
        import psycopg

        schema = self.options["schema"]
        text = statement.replace("?", "%s").format(events=f"{schema}.aes_events",
                                                   meta=f"{schema}.aes_meta")
        with psycopg.connect(self.target, autocommit=True) as conn:
            cursor = conn.execute(text, params)
            return cursor.fetchall() if cursor.description else []

    def drop(self) -> None:
        if self.kind == "postgres":
            import psycopg

            with psycopg.connect(self.target, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {self.options['schema']} CASCADE")


@pytest.fixture(params=["sqlite", "postgres"])
def durable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Each durable backend, empty, with a back door (PostgreSQL in its own schema)."""
    backend = Backend(request.param, tmp_path)
    yield backend
    backend.drop()


@pytest.fixture
def pg_backend(tmp_path: Path) -> Iterator[Backend]:
    """A PostgreSQL backend in its own schema, dropped afterwards."""
    backend = Backend("postgres", tmp_path)
    yield backend
    backend.drop()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Registry]:
    """An empty registry on each backend."""
    if request.param == "memory":
        reg = Registry()
        yield reg
        reg.close()
        return
    backend = Backend(request.param, tmp_path)
    reg = backend.open()
    yield reg
    reg.close()
    backend.drop()


@pytest.fixture(scope="session")
def wa() -> Registry:
    """The bundled West Africa history, in memory (shared: tests must not write to it)."""
    return west_africa()
