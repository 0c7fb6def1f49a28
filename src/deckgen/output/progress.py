"""A one-line progress bar for long builds, shown only on a terminal and only after a delay."""

from __future__ import annotations

import time
from typing import Callable, TextIO

# Called as progress(stage, done, total) by the pipeline's slow loops.
ProgressFn = Callable[[str, int, int], None]

_WIDTH = 24


def no_progress(stage: str, done: int, total: int) -> None:
    """Ignore progress: the default for library callers and tests."""


class TerminalProgress:
    """Redraw one stderr line per update, once the build has run longer than `delay` seconds.

    Short builds print nothing, so the usual output is not interleaved with a flickering bar.
    """

    def __init__(self, stream: TextIO, delay: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.delay = delay
        self.clock = clock
        self.start = clock()
        self.drawn = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.clock() - self.start < self.delay:
            return
        filled = _WIDTH * done // total if total else _WIDTH
        bar = "#" * filled + "-" * (_WIDTH - filled)
        self.stream.write(f"\r{stage:<18} [{bar}] {done}/{total}\x1b[K")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """Erase the bar so the summary starts on a clean line."""
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def terminal_progress(stdout: TextIO, stderr: TextIO) -> TerminalProgress | None:
    """Return a progress bar when both streams are terminals (never in pipes, files or CI logs)."""
    if stdout.isatty() and stderr.isatty():
        return TerminalProgress(stderr)
    return None
