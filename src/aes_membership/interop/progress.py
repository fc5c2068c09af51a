"""Progress reports from long imports, and a terminal progress bar for the command line.

Importers accept ``progress=callback``; the callback receives ``(stage, done, total)``:
``("reading", lines_read, None)`` every thousand lines, then ``("recording", 0, events)``
before the batch is validated and stored, and ``("recorded", events, events)`` at the end.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import IO

__all__ = ["Progress", "TerminalProgress"]

Progress = Callable[[str, int, "int | None"], None]


def check_progress(progress: object) -> None:
    """Refuse a progress callback that cannot be called: it would fail only once a long
    import had begun, with Python's own message about the object."""
    if progress is not None and not callable(progress):
        raise TypeError(f"progress: expected a function of (stage, done, total), got "
                        f"{type(progress).__name__} {progress!r}")


class TerminalProgress:
    """A one-line progress display on a terminal, shown only once a job takes over a second.

    Writes nothing when ``stream`` is not a terminal, so logs and pipes stay clean.
    """

    def __init__(self, stream: IO[str] | None = None, *, delay: float = 1.0) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = self._stream.isatty()
        self._started = time.monotonic()
        self._delay = delay
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
        if total:
            width = 30
            filled = int(width * min(done, total) / total)
            figure = f"[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}"
        else:
            figure = f"{done:,}"
        self._stream.write(f"\r{stage:<10} {figure}  {elapsed:5.1f} s\033[K")
        if final:
            self._stream.write("\n")
        self._stream.flush()
        self._shown = True

    def close(self) -> None:
        """End the line if anything was shown."""
        if self._shown and self._enabled:
            self._stream.write("\n")
            self._stream.flush()
            self._shown = False
