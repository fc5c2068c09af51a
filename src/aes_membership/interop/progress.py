"""Progress reports from long imports, and a terminal progress bar for the command line.

Importers accept ``progress=callback``; the callback receives ``(stage, done, total)``:
``("reading", lines_read, None)`` every thousand lines, then ``("recording", 0, events)``
before the batch is validated and stored, and ``("recorded", events, events)`` at the end.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import IO

from ..errors import FieldError, check_number, shown

__all__ = ["Progress", "TerminalProgress"]

Progress = Callable[[str, int, "int | None"], None]


def check_progress(progress: object) -> None:
    """Refuse a progress callback that cannot be called: it would fail only once a long
    import had begun, with Python's own message about the object."""
    if progress is not None and not callable(progress):
        raise TypeError(f"progress: expected a function of (stage, done, total), got "
                        f"{type(progress).__name__} {shown(progress)}")


class TerminalProgress:
    """A one-line progress display on a terminal, shown only once a job takes over a second.

    Writes nothing when ``stream`` is not a terminal, so logs and pipes stay clean. The line
    fits the terminal's width (asked of it at each update; ``columns`` fixes it), so that it
    never wraps: a wrapped line could not be redrawn in place.
    """

    def __init__(self, stream: IO[str] | None = None, *, delay: float = 1.0,
                 columns: int | None = None) -> None:
        if stream is not None and not (hasattr(stream, "write") and hasattr(stream, "isatty")):
            raise TypeError(f"stream: expected a text stream to write to (such as sys.stderr), "
                            f"got {type(stream).__name__} {shown(stream)}")
        check_number("delay", delay, least=0)
        if columns is not None and (type(columns) is not int or columns < 1):
            raise FieldError("columns", columns, "a whole number of columns ≥ 1, or None")
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = self._stream.isatty()
        self._started = time.monotonic()
        self._delay = delay
        self._columns = columns
        self._shown = False
        self._last = 0.0

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if not self._enabled:
            return
        now = time.monotonic()
        elapsed = now - self._started
        final = stage == "recorded"
        if elapsed < self._delay or (now - self._last < 0.1 and not final):
            return
        self._last = now
        head = f"{stage:<10} "
        tail = f"{done:,}/{total:,}" if total else f"{done:,}"
        tail += f"  {elapsed:5.1f} s"
        fits = max(self._width() - 1, 1)  # (the last column would wrap on some terminals)
        room = fits - len(head) - len(tail)
        bar = ""
        if total and room >= 8:  # a bar of 5 or more cells, its brackets and a space
            width = min(30, room - 3)
            filled = int(width * min(done, total) / total)
            bar = f"[{'#' * filled}{'.' * (width - filled)}] "
        self._stream.write(f"\r{(head + bar + tail)[:fits]}\033[K")
        if final:
            self._stream.write("\n")
        self._stream.flush()
        self._shown = not final  # (a line ended here needs no ending from close())

    def _width(self) -> int:
        """The terminal's width in columns (80 where it cannot be asked)."""
        if self._columns is not None:
            return self._columns
        try:
            return os.get_terminal_size(self._stream.fileno()).columns or 80
        except (AttributeError, ValueError, OSError):  # (no file descriptor, or no terminal)
            return 80

    def close(self) -> None:
        """End the line if anything was shown and not ended."""
        if self._shown and self._enabled:
            self._stream.write("\n")
            self._stream.flush()
            self._shown = False
