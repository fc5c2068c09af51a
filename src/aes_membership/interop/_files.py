"""The files the exchange formats read and write: a path, or a text stream already open.

A path ending in ``.gz`` is read and written through gzip. A file that is not the text it
should be (not UTF-8, a damaged gzip stream, a CSV cell larger than the ``csv`` module
reads) is reported as a :class:`DecodeError`, like any other bad content, rather than as
the codec's own exception.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import os
import zlib
from collections.abc import Iterator
from typing import IO, Any

from ..errors import DecodeError

__all__ = ["Source", "check_text", "parse_json", "reading", "writing"]

Source = str | os.PathLike[str] | IO[str]


def check_text(text: str, line: int) -> None:
    """Raise :class:`DecodeError` if ``text``, read with ``errors="surrogateescape"``, held
    bytes that are not UTF-8 (which that reading keeps as lone surrogates)."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            code = ord(text[error.start])
            what = (f"byte {code - 0xDC00:#04x}" if 0xDC80 <= code <= 0xDCFF  # an escaped byte
                    else f"the lone surrogate U+{code:04X}")  # in text handed over as such
            raise DecodeError([f"not UTF-8 text ({what} at column {error.start + 1})"],
                              line=line) from None


def parse_json(text: str, *, line: int | None = None) -> Any:
    """``text`` read as JSON (the whole of a file, or ``line`` of a JSON Lines file); what
    cannot be read is a :class:`DecodeError` saying where."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        where = (f"column {error.colno}" if line is not None
                 else f"line {error.lineno}, column {error.colno}")
        raise DecodeError([f"not valid JSON: {error.msg} ({where})"], line=line) from None
    except (ValueError, RecursionError) as error:  # a number too long for int(), nesting too deep
        raise DecodeError([f"JSON that cannot be read: {error}"], line=line) from None


@contextlib.contextmanager
def reading(source: Source, *, errors: str = "strict") -> Iterator[IO[str]]:
    """``source`` open for reading text; lines are left as the file ends them.

    With ``errors="surrogateescape"``, bytes that are not UTF-8 reach the reader, which
    finds them with :func:`check_text` and can say on which line they are.
    """
    try:
        if isinstance(source, (str, os.PathLike)):
            path = os.fspath(source)
            opener: Any = gzip.open if path.endswith(".gz") else open
            # (utf-8-sig: a byte-order mark, as some editors write, is not part of the text)
            with opener(path, "rt", encoding="utf-8-sig", errors=errors, newline="") as handle:
                yield handle
        else:
            yield _stream(source, "read")
    except UnicodeDecodeError as error:
        raise DecodeError([f"not UTF-8 text ({error.reason})"]) from None
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise DecodeError([f"not a whole gzip file ({error})"]) from None
    except csv.Error as error:
        raise DecodeError([f"not CSV text ({error})"]) from None


@contextlib.contextmanager
def writing(target: Source) -> Iterator[IO[str]]:
    """``target`` open for writing text, each line ended by ``\\n`` alone."""
    if isinstance(target, (str, os.PathLike)):
        path = os.fspath(target)
        opener: Any = gzip.open if path.endswith(".gz") else open
        with opener(path, "wt", encoding="utf-8", newline="") as handle:
            yield handle
    else:
        yield _stream(target, "write")


def _stream(given: Any, method: str) -> IO[str]:
    if not callable(getattr(given, method, None)):
        raise TypeError(f"expected a path or an open text file, got {type(given).__name__} {given!r}")
    if isinstance(given, (io.RawIOBase, io.BufferedIOBase)):  # bytes would fail far from here
        raise TypeError(f"expected a path or an open text file, got the binary stream "
                        f"{type(given).__name__} {given!r} (open it in text mode, or wrap it: "
                        f"io.TextIOWrapper(stream, encoding='utf-8'))")
    stream: IO[str] = given
    return stream
