"""Located problems: the values every stage returns instead of raising."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Literal, NamedTuple

Severity = Literal["error", "warning"]


class Location(NamedTuple):
    """A 1-based position in a file, shown as `path:line:col`.

    A tuple rather than a dataclass: every card carries one and a cached build makes 100k of them.
    """

    path: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{printable(self.path)}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, where it is, and a stable code for it."""

    location: Location
    code: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.location}: {self.severity}: {printable(self.message)} ({self.code})"


def printable(text: str) -> str:
    """Escape line breaks and other control characters, so a name can never forge an output line."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() or char == " " else f"\\x{ord(char):02x}" if ord(char) < 256
                   else f"\\u{ord(char):04x}" for char in text)


def error(location: Location, code: str, message: str) -> Problem:
    """Make an error-level problem."""
    return Problem(location, code, message, "error")


def warning(location: Location, code: str, message: str) -> Problem:
    """Make a warning-level problem."""
    return Problem(location, code, message, "warning")


def has_errors(problems: Iterable[Problem]) -> bool:
    """Tell whether any problem is an error (warnings never stop a build)."""
    return any(p.severity == "error" for p in problems)


def sorted_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Sort problems by file, line and column so output reads top to bottom; drop repeats."""
    return sorted(dict.fromkeys(problems), key=lambda p: (p.location, p.code, p.message))
