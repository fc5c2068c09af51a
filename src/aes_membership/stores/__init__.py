"""Event stores: one protocol, several backends (memory, SQLite, PostgreSQL)."""

from typing import Any

from .base import Recorded, Store, VerifyReport
from .memory import MemoryStore
from .sqlite import SQLiteStore

__all__ = ["MemoryStore", "PostgresStore", "Recorded", "SQLiteStore", "Store", "VerifyReport"]


def __getattr__(name: str) -> Any:
    # psycopg is an optional extra and slow to import: load the PostgreSQL store on first use.
    if name == "PostgresStore":
        from .postgres import PostgresStore

        return PostgresStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
