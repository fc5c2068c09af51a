"""Event stores: one protocol, several backends (memory, SQLite, PostgreSQL)."""

import os
import re
from typing import Any

from ..errors import FieldError, StoreError
from .base import Recorded, Store, VerifyReport, redact_dsn
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
# libpq's other form of connection string, "host=db.example.org dbname=membership": nothing but
# keyword=value pairs (a value may be quoted), one of them saying where the database is.
# Without this, such a string would be taken for the name of an SQLite file and created.
_KEYWORD_PAIR = re.compile(r"\s*([A-Za-z_]+)\s*=\s*(?:'(?:[^'\\]|\\.)*'|[^\s']*)")
_WHERE_KEYWORDS = frozenset({"host", "hostaddr", "port", "dbname", "service", "user"})
_BLANK_TO_END = re.compile(r"\s*\Z")
_TARGETS = "an SQLite file path, ':memory:' or a PostgreSQL connection string"


def _keywords(text: str) -> list[str] | None:
    """The keywords of ``text`` if it is nothing but keyword=value pairs, else ``None``.

    A pair at a time, each matched where the last ended: one pattern for the whole string
    could split it into pairs in exponentially many ways before failing.
    """
    found, at = [], 0
    while not _BLANK_TO_END.match(text, at):
        pair = _KEYWORD_PAIR.match(text, at)
        if pair is None:
            return None
        found.append(pair.group(1).lower())
        at = pair.end()
    return found


def _is_postgres_target(text: str) -> bool:
    """Whether ``text`` is a PostgreSQL connection string: a ``postgresql://`` (or
    ``postgres://``) URL, or libpq keyword=value pairs such as ``host=… dbname=…``."""
    if text.startswith(("postgresql://", "postgres://")):
        return True
    keywords = _keywords(text)
    return keywords is not None and not _WHERE_KEYWORDS.isdisjoint(keywords)


def open_store(target: str | os.PathLike[str], **options: Any) -> Store:
    """The store for ``target``: ``":memory:"``, a PostgreSQL connection string (a
    ``postgresql://`` URL or libpq's ``host=… dbname=…`` pairs), or an SQLite path.

    ``options`` go to the store's constructor (``schema=`` for PostgreSQL,
    ``read_only=`` for SQLite…).
    """
    if not isinstance(target, (str, bytes, os.PathLike)):
        raise FieldError("target", target, _TARGETS)
    text = os.fsdecode(target)  # (a path given as bytes too, decoded as the file system does)
    if not text.strip():
        raise FieldError("target", target, _TARGETS)
    if text == ":memory:":
        return MemoryStore(**options)
    if _is_postgres_target(text):
        from .postgres import PostgresStore

        return PostgresStore(text, **options)
    if text[:5].lower() == "file:":  # SQLite's URIs: some builds would read one, others not
        raise StoreError(f"cannot open a file: URI ({redact_dsn(text)!r}): expected the SQLite "
                         "file's path, such as 'membership.sqlite'")
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
