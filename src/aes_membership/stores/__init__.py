"""Event stores: one protocol, several backends (memory, SQLite, PostgreSQL)."""

import os
import re
from typing import Any

from ..errors import StoreError
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

_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")  # an RFC 3986 scheme, then "//"


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
    url = _URL.match(text)
    if url:  # a URL of a kind there is no store for, not a file's path (not echoed: it
        # may carry a password)
        raise StoreError(f"cannot open a {url.group(1)}:// URL: expected an SQLite file path, "
                         "':memory:' or a postgresql:// URL")
    return SQLiteStore(text, **options)


def __getattr__(name: str) -> Any:
    # psycopg is an optional extra and slow to import: load the PostgreSQL store on first use.
    if name == "PostgresStore":
        from .postgres import PostgresStore

        return PostgresStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
