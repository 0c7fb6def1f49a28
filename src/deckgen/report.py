"""Format problems and build summaries for people: the one place output is worded."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from deckgen.build import BuildReport

if TYPE_CHECKING:  # building never loads the import machinery
    from deckgen.importing import ImportReport
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


def format_import(report: "ImportReport", package: str) -> list[tuple[str, bool]]:
    """Describe an import: (line, goes to stderr) pairs; a failure is one error line."""
    if report.error is not None:
        return [(f"error: {report.error}", True)]
    lines = [(f"warning: {text}", True) for text in report.warnings]
    lines += [(f"warning: skipped {text}", True) for text in report.skipped]
    files = ", ".join(report.card_files)
    lines.append((f"imported {package}: {_plural(report.notes, 'note')} ({_plural(report.cards, 'card')}) "
                  f"into {_plural(len(report.card_files), 'card file')}: {files}", False))
    if report.notetype_files:
        lines.append((f"note types: {', '.join(report.notetype_files)}", False))
    if report.media_written or report.media_kept:
        kept = f" ({report.media_kept} already there)" if report.media_kept else ""
        lines.append((f"media: {_plural(report.media_written, 'file')} written{kept}", False))
    if report.already_there:
        lines.append((f"{_plural(report.already_there, 'note')} already in the project (same guid) left as they are", False))
    lines.append(("next: deckgen build, then import the package in Anki: it finds every note it already has", False))
    return lines
