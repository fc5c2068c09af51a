"""Event stores: one protocol, several backends (memory, SQLite, PostgreSQL)."""

import os
from typing import Any

from .base import Recorded, Store, VerifyReport
from .memory import MemoryStore
from .sqlite import SQLiteStore

__all__ = [
    "MemoryStore",
    "PostgresStore",
    "Recorded",
    "SQLiteStore",
    "Store",
    "VerifyReport",
    "open_store",
]


def open_store(target: str | os.PathLike[str], **options: Any) -> Store:
    """The store for ``target``: ``":memory:"``, a ``postgresql://`` DSN, or an SQLite path.

    ``options`` go to the store's constructor (``schema=`` for PostgreSQL,
    ``read_only=`` for SQLite…).
    """
    text = os.fspath(target)
    if text == ":memory:":
        return MemoryStore(**options)
    if text.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStore

        return PostgresStore(text, **options)
    return SQLiteStore(text, **options)


def __getattr__(name: str) -> Any:
    # psycopg is an optional extra and slow to import: load the PostgreSQL store on first use.
    if name == "PostgresStore":
        from .postgres import PostgresStore

        return PostgresStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
