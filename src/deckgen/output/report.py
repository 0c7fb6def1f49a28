"""Format problems and build summaries for people: the one place output is worded."""

from __future__ import annotations

import dataclasses
import json
import functools
from typing import TYPE_CHECKING, Any, Callable, Iterable, TypeVar

from deckgen.problems import Problem, printable

if TYPE_CHECKING:  # only for annotations: each command imports its own module
    from deckgen.commands.build import BuildReport
    from deckgen.commands.ids import IdsReport
    from deckgen.commands.importing import ImportReport
    from deckgen.commands.lint import LintReport
    from deckgen.commands.preview import PreviewReport
    from deckgen.commands.stats import StatsReport


_Formatter = TypeVar("_Formatter", bound=Callable[..., list[str]])


def _printable(formatter: _Formatter) -> _Formatter:
    """Escape control characters in every line a text formatter gives, so no name (a file, a deck,
    a lock entry) can forge an output line or send escape codes to the terminal."""

    @functools.wraps(formatter)
    def escaped(*args: Any, **kwargs: Any) -> list[str]:
        return [printable(line) for line in formatter(*args, **kwargs)]

    return escaped  # type: ignore[return-value]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _counts(problems: list[Problem]) -> tuple[int, int]:
    errors = sum(1 for p in problems if p.severity == "error")
    return errors, len(problems) - errors


@_printable
def format_problems(problems: Iterable[Problem], quiet: bool = False) -> list[str]:
    """Render each problem compiler-style, then a count line (left out when quiet)."""
    problems = list(problems)
    return [str(problem) for problem in problems] + ([] if quiet else format_count(problems))


@_printable
def format_count(problems: list[Problem], repeated: int = 0) -> list[str]:
    """Count errors and warnings, saying how many were already shown; nothing when there are none."""
    if not problems:
        return []
    errors, warnings = _counts(problems)
    again = f" ({repeated} shown before)" if repeated else ""
    return [f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}{again}"]


def _github_escape(text: str, in_property: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if in_property else text


@_printable
def format_github(problems: Iterable[Problem]) -> list[str]:
    """Render each problem as a GitHub Actions workflow command, which annotates the file and line."""
    lines = []
    for problem in problems:
        where = problem.location
        place = (f"file={_github_escape(where.path, True)},line={where.line},col={where.col},"
                 f"title={_github_escape(problem.code, True)}")
        lines.append(f"::{problem.severity} {place}::{_github_escape(problem.message)}")
    return lines


def problem_record(problem: Problem) -> dict[str, Any]:
    """Describe a problem as the flat JSON object scripts and CI read."""
    where = problem.location
    return {"path": where.path, "line": where.line, "col": where.col, "severity": problem.severity,
            "code": problem.code, "message": problem.message}


def format_json(command: str, problems: Iterable[Problem], failed: bool, summary: dict[str, Any]) -> str:
    """Render a command's whole outcome as one JSON document."""
    problems = list(problems)
    errors, warnings = _counts(problems)
    document = {"command": command, "ok": not failed, "errors": errors, "warnings": warnings,
                "problems": [problem_record(p) for p in problems], "summary": summary}
    return json.dumps(document, ensure_ascii=False, indent=2)


def build_summary(report: BuildReport) -> dict[str, Any]:
    """Describe a build's packages and removed cards as JSON-ready data."""
    return {"packages": [dataclasses.asdict(package) for package in report.packages],
            "removed": list(report.removed), "lock_found": report.lock_found, "wrote": report.wrote}


@_printable
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
        if any(package.changed for package in report.packages):
            lines.append("no lock file: notes found in the last packages count as changed, the others as new; "
                         "Anki updates the notes it already has")
        else:
            lines.append("no lock file yet: every note counts as new; Anki updates the notes it already has")
    if report.removed:
        shown = ", ".join(report.removed[:5]) + (", ..." if len(report.removed) > 5 else "")
        lines.append(
            f"{_plural(len(report.removed), 'card')} removed from the sources since the last build ({shown}); "
            "a package cannot delete notes, so delete them in Anki if you no longer want them"
        )
    return lines


@_printable
def format_preview(report: PreviewReport) -> list[str]:
    """Say where the preview page is and what it shows."""
    warned = f"; {_plural(report.warned, 'note')} with lint warnings" if report.warned else ""
    return [f"wrote {report.path}: {_plural(report.cards, 'card')} from {_plural(report.notes, 'note')} "
            f"in {_plural(report.decks, 'deck')}{warned}"]


def preview_summary(report: PreviewReport) -> dict[str, Any]:
    """Describe the preview page as JSON-ready data."""
    return {"path": report.path, "cards": report.cards, "notes": report.notes, "decks": report.decks,
            "notes_with_warnings": report.warned, "wrote": report.wrote}


@_printable
def format_lint(report: LintReport) -> list[str]:
    """Sum up a lint run whose problems were already printed."""
    if report.problems:
        return []
    return [f"no lint warnings in {_plural(report.notes, 'note')} ({_plural(report.cards, 'card')})"]


def lint_summary(report: LintReport) -> dict[str, Any]:
    """Describe a lint run as JSON-ready data."""
    return {"notes": report.notes, "cards": report.cards, "strict": report.strict}


def _table(rows: list[tuple[str, str]], indent: str = "  ") -> list[str]:
    width = max((len(name) for name, _ in rows), default=0)
    return [f"{indent}{name:<{width}}  {value}" for name, value in rows]


@_printable
def format_stats(report: StatsReport) -> list[str]:
    """Describe the cards per deck and tag, and what the next import will do."""
    lines = ["Decks (notes / cards):"]
    lines += _table([(d.deck, f"{d.notes} / {d.cards}") for d in report.decks])
    lines.append("Tags (cards):" if report.tags else "Tags: none")
    lines += _table([(tag, str(count)) for tag, count in report.tags])
    for package in report.packages:
        lines.append(f"Next import of {package.path}: {package.new} new, {package.changed} changed, "
                     f"{package.unchanged} unchanged")
    if not report.lock_found:
        lines.append("no lock file yet: every note counts as new")
    if report.removed:
        lines.append(f"Removed from the sources since the last build: {_plural(len(report.removed), 'card')}")
        lines += _table([(entry.key, entry.deck) for entry in report.removed])
        lines.append("A package cannot delete notes. To find these in Anki, paste this into the Browse "
                     f"window's search bar, check them, and delete them: {report.anki_search}")
    return lines


def stats_summary(report: StatsReport) -> dict[str, Any]:
    """Describe the statistics as JSON-ready data."""
    return {
        "decks": [dataclasses.asdict(deck) for deck in report.decks],
        "tags": [{"tag": tag, "cards": count} for tag, count in report.tags],
        "packages": [dataclasses.asdict(package) for package in report.packages],
        "removed": [{"card": e.key, "deck": e.deck, "note_id": e.note_id} for e in report.removed],
        "anki_search": report.anki_search,
        "lock_found": report.lock_found,
    }


@_printable
def format_ids(report: IdsReport, dry_run: bool) -> list[str]:
    """List each id added, then a count."""
    verb = "would add" if dry_run else "added"
    lines = [f"{added.location}: {verb} id '{added.card_id}'" for added in report.added]
    if not report.added:
        return ["every card has an id"]
    files = len({added.location.path for added in report.added})
    return lines + [f"{verb} {_plural(len(report.added), 'id')} in {_plural(files, 'file')}"]


@_printable
def format_import(report: ImportReport, package: str) -> list[str]:
    """Describe what an import wrote (its problems are printed as for any command)."""
    files = ", ".join(report.card_files)
    lines = [f"imported {package}: {_plural(report.notes, 'note')} ({_plural(report.cards, 'card')}) "
             f"into {_plural(len(report.card_files), 'card file')}: {files}"]
    if report.notetype_files:
        lines.append(f"note types: {', '.join(report.notetype_files)}")
    if report.media_written or report.media_kept:
        kept = f" ({report.media_kept} already there)" if report.media_kept else ""
        lines.append(f"media: {_plural(report.media_written, 'file')} written{kept}")
    if report.already_there:
        lines.append(f"{_plural(report.already_there, 'note')} already in the project (same guid) left as they are")
    lines.append("next: deckgen build, then import the package in Anki: it finds every note it already has")
    return lines


def import_summary(report: ImportReport) -> dict[str, Any]:
    """Describe an import as JSON-ready data."""
    return {"notes": report.notes, "cards": report.cards, "card_files": list(report.card_files),
            "notetype_files": list(report.notetype_files), "media_written": report.media_written,
            "media_kept": report.media_kept, "already_there": report.already_there, "merged": report.merged}


def ids_summary(report: IdsReport) -> dict[str, Any]:
    """Describe the ids added as JSON-ready data."""
    return {"added": [{"path": a.location.path, "line": a.location.line, "col": a.location.col, "id": a.card_id}
                      for a in report.added], "files": report.files, "wrote": report.wrote}
