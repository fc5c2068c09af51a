"""The files the exchange formats read and write: a path, or a stream already open, of text
or of bytes.

Bytes are UTF-8 text. A file read, or a stream of bytes, is unpacked if it is gzip, which its
first two bytes tell whatever its name: no UTF-8 text begins with them. A path written is
packed with gzip if its name ends in ``.gz``. A file that is not the text it should be (not
UTF-8, a damaged gzip stream, a CSV cell larger than the ``csv`` module reads) is reported as
a :class:`DecodeError`, like any other bad content, rather than as the codec's own exception.
A stream given by the caller is left open.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import gzip
import io
import json
import os
import zlib
from collections.abc import Iterator
from typing import IO, Any, TypeGuard

from ..errors import DecodeError, shown

__all__ = ["Source", "check_text", "parse_json", "reading", "writing"]

_GZIP_MAGIC = b"\x1f\x8b"  # the first bytes of every gzip stream

Source = str | os.PathLike[str] | IO[str] | IO[bytes]


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
            with open(source, "rb") as raw, _text_of(raw, errors) as handle:
                yield handle
        elif _reads_bytes(source):
            with _text_of(source, errors) as handle:
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
def _text_of(binary: IO[bytes], errors: str) -> Iterator[IO[str]]:
    """The UTF-8 text of a stream of bytes, unpacked if it is gzip; the stream stays open."""
    # Peeking needs a buffer; a stream without one (a socket's, an unbuffered file) gets one.
    buffered: Any = (binary if callable(getattr(binary, "peek", None))
                     else io.BufferedReader(_RawReader(binary)))
    packed = buffered.peek(len(_GZIP_MAGIC))[:len(_GZIP_MAGIC)] == _GZIP_MAGIC
    unpacked = gzip.GzipFile(fileobj=buffered, mode="rb") if packed else buffered
    # (utf-8-sig: a byte-order mark, as some editors write, is not part of the text)
    text = io.TextIOWrapper(unpacked, encoding="utf-8-sig", errors=errors, newline="")
    try:
        yield text
    finally:
        text.detach()  # (closing the wrapper would close the stream under it)
        if packed:
            unpacked.close()  # (a GzipFile leaves the stream it reads open)


class _RawReader(io.RawIOBase):
    """A stream's ``read``, as the raw stream a buffer reads from: any stream that reads
    bytes can then be buffered, and closing the buffer leaves the stream open."""

    def __init__(self, binary: IO[bytes]) -> None:
        self._read = binary.read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._read(len(buffer))
        if data is None:  # (a non-blocking stream with nothing to give now)
            raise BlockingIOError(errno.EAGAIN, "the stream has nothing to give now")
        buffer[: len(data)] = data
        return len(data)


@contextlib.contextmanager
def writing(target: Source) -> Iterator[IO[str]]:
    """``target`` open for writing text, each line ended by ``\\n`` alone."""
    if isinstance(target, (str, os.PathLike)):
        path = os.fspath(target)
        opener: Any = gzip.open if path.endswith(".gz") else open
        with opener(path, "wt", encoding="utf-8", newline="") as handle:
            yield handle
    elif _writes_bytes(target):
        yield _Utf8Writer(target)  # type: ignore[misc]  # (write() is all the formats call)
    else:
        yield _stream(target, "write")


class _Utf8Writer:
    """Text written into a stream of bytes, as UTF-8. Not a ``TextIOWrapper``: that closes
    the stream under it when it goes, and could be kept from it only by a flush that, after
    an error on the stream, may fail again."""

    def __init__(self, binary: IO[bytes]) -> None:
        self._write = binary.write

    def write(self, text: str) -> int:
        data = memoryview(text.encode("utf-8"))
        while data:  # an unbuffered stream may take only part of it
            taken = self._write(data)
            if taken is None:  # (a non-blocking stream that cannot take it now)
                raise BlockingIOError(errno.EAGAIN, "the stream cannot take more now")
            data = data[taken:]
        return len(text)


def _reads_bytes(given: object) -> TypeGuard[IO[bytes]]:
    """Whether ``given`` is a stream that reads bytes rather than text."""
    known = _bytes_by_class(given)
    if known is not None:
        return known
    try:  # reading nothing tells which it gives
        return isinstance(given.read(0), bytes)  # type: ignore[attr-defined]
    except Exception:  # (no read(size): what reads it next says what is wrong)
        return False


def _writes_bytes(given: object) -> TypeGuard[IO[bytes]]:
    """Whether ``given`` is a stream that writes bytes rather than text."""
    known = _bytes_by_class(given)
    if known is not None:
        return known
    try:  # writing nothing tells, as a stream of bytes refuses text, even empty
        given.write("")  # type: ignore[attr-defined]
    except TypeError:
        return True
    except Exception:  # (no write(): what writes to it next says what is wrong)
        return False
    return False


def _bytes_by_class(given: object) -> bool | None:
    """Whether io's classes say ``given`` is a stream of bytes; ``None`` where it derives from
    none of them (a SpooledTemporaryFile, a codecs.open() stream, an HTTP client's response)
    and must be asked."""
    if isinstance(given, io.TextIOBase):
        return False
    if isinstance(given, (io.RawIOBase, io.BufferedIOBase)):
        return True
    return None


def _stream(given: Any, method: str) -> IO[str]:
    if not callable(getattr(given, method, None)):
        raise TypeError(f"expected a path or an open file, got {type(given).__name__} {shown(given)}")
    stream: IO[str] = given
    return stream
