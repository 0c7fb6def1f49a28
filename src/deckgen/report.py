"""Format problems and build summaries for people: the one place output is worded."""

from __future__ import annotations

from typing import Iterable

from deckgen.build import BuildReport
from deckgen.problems import Problem


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def format_problems(problems: Iterable[Problem]) -> list[str]:
    """Render each problem compiler-style, then a count line."""
    problems = list(problems)
    lines = [str(problem) for problem in problems]
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    if problems:
        lines.append(f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}")
    return lines


def format_summary(report: BuildReport, verb: str) -> list[str]:
    """Describe each package and what the next import will do with its notes."""
    lines = []
    for package in report.packages:
        lines.append(
            f"{verb} {package.path}: {package.deck} - {_plural(package.decks, 'deck')}, "
            f"{_plural(package.notes, 'note')} ({_plural(package.cards, 'card')}): "
            f"{package.new} new, {package.changed} changed, {package.unchanged} unchanged"
        )
    if not report.lock_found and report.packages:
        lines.append("no lock file yet: every note counts as new; Anki will update notes it already has")
    if report.removed:
        shown = ", ".join(report.removed[:5]) + (", ..." if len(report.removed) > 5 else "")
        lines.append(
            f"{_plural(len(report.removed), 'card')} removed from the sources since the last build ({shown}); "
            "a package cannot delete notes, so delete them in Anki if you no longer want them"
        )
    return lines
