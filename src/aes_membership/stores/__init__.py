"""Event stores: one protocol, several backends (memory, SQLite, PostgreSQL)."""

from .base import Recorded, Store, VerifyReport
from .memory import MemoryStore
from .sqlite import SQLiteStore

__all__ = ["MemoryStore", "Recorded", "SQLiteStore", "Store", "VerifyReport"]
