"""The one family of exceptions a command may end with; everything else is a located Problem.

click prints these without a traceback: a `DeckgenError` exits 1, a `BadUsage` exits 2.
"""

from __future__ import annotations

from pathlib import Path

import click

# The distribution's name on the package index (the command and import name stay `deckgen`).
DISTRIBUTION = "deckgen-anki"


class DeckgenError(click.ClickException):
    """A request deckgen cannot carry out, worded for people; nothing was changed (exit 1)."""


class BadUsage(click.UsageError):
    """A command line that asks for something impossible (exit 2)."""


class MissingExtra(DeckgenError):
    """An optional dependency is not installed; the message names the install command."""

    def __init__(self, what: str, extra: str) -> None:
        super().__init__(f"{what} needs Anki's backend: pip install '{DISTRIBUTION}[{extra}]'")


class WriteError(DeckgenError):
    """Writing the outputs failed; every output was left as it was. `path` is the file that failed."""

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path
