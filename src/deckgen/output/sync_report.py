"""Word a sync's plan and outcome, as text in the build summary's style or as one JSON document."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from deckgen.output.report import format_problems, problem_record
from deckgen.problems import printable

if TYPE_CHECKING:  # only for annotations
    from deckgen.commands.pull import PullReport
    from deckgen.commands.sync import SyncReport
    from deckgen.sync.plan import DeckPlan


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _deck_line(deck: DeckPlan, removed_mode: str) -> str:
    parts = [f"{deck.new} new", f"{deck.updated} updated", f"{deck.unchanged} unchanged", f"{deck.moved} moved"]
    if deck.restored:
        parts.append(f"{deck.restored} restored")
    verb = {"suspend": "removed (suspended)", "delete": "removed (deleted)", "keep": "removed"}[removed_mode]
    parts.append(f"{len(deck.to_remove) if removed_mode != 'keep' else 0} {verb}")
    if removed_mode == "keep" and deck.removed:
        parts.append(f"{len(deck.removed)} removed kept")
    parts.append(_plural(len(deck.conflicts), "conflict"))
    if deck.edited:
        parts.append(f"{len(deck.edited)} edited in Anki")
    if deck.updated_notetypes:
        parts.append(f"{_plural(deck.updated_notetypes, 'note type')} updated")
    return f"  {deck.deck}: " + ", ".join(parts)


def format_sync(report: SyncReport) -> list[str]:
    """The plan per top-level deck, then what was done."""
    plan = report.plan
    if plan is None:
        return []
    lines = [f"{'plan for' if report.dry_run else 'sync with'} {report.target}:"]
    lines += [_deck_line(deck, plan.removed_mode) for deck in plan.decks] or ["  no cards"]
    if report.dry_run:
        lines.append("dry run: nothing was changed")
    elif not report.applied:
        lines.append("the collection already matches the cards: nothing was changed")
    else:
        if report.backup:
            lines.append(f"backup: {report.backup}")
        elif report.ankiconnect:
            lines.append("backup: none made through AnkiConnect; Anki's desktop app keeps its own backups")
        direct = f" ({_plural(report.direct, 'note')} set directly: the importer skips notes not newer)"
        lines.append("applied to the collection" + (direct if report.direct else ""))
    if plan.conflicts:
        lines.append(f"{_plural(len(plan.conflicts), 'conflict')} left: run deckgen pull to keep Anki's text, "
                     "or deckgen sync --force to keep the card files'")
    return [printable(line) for line in lines]


def sync_document(report: SyncReport) -> dict[str, Any]:
    """Everything about a sync as JSON-ready data."""
    plan = report.plan
    decks = plan.decks if plan else ()
    mode = plan.removed_mode if plan else "suspend"

    def total(name: str) -> int:
        return sum(getattr(deck, name) for deck in decks)

    return {
        "command": "sync",
        "ok": not report.failed,
        "collection": report.target,
        "new": total("new"),
        "updated": total("updated"),
        "unchanged": total("unchanged"),
        "moved": total("moved"),
        "restored": total("restored"),
        "removed": sum(len(deck.to_remove) for deck in decks),
        "removed_mode": mode,
        "conflicts": [{"id": n.card_id, "file": n.location.path, "line": n.location.line}
                      for n in (plan.conflicts if plan else [])],
        "edited_in_anki": [{"id": n.card_id, "file": n.location.path, "line": n.location.line}
                           for deck in decks for n in deck.edited],
        "notetypes_updated": sum(deck.updated_notetypes for deck in decks),
        "decks": [{"deck": d.deck, "new": d.new, "updated": d.updated, "unchanged": d.unchanged, "moved": d.moved,
                   "restored": d.restored, "removed": len(d.to_remove), "conflicts": len(d.conflicts),
                   "edited_in_anki": len(d.edited)} for d in decks],
        "dry_run": report.dry_run,
        "applied": report.applied,
        "backup": report.backup,
        "problems": [problem_record(p) for p in report.problems],
    }


def format_sync_json(report: SyncReport) -> str:
    return json.dumps(sync_document(report), ensure_ascii=False, indent=2)


def sync_problems(report: SyncReport | PullReport, quiet: bool) -> list[str]:
    """The problems, compiler-style, for stderr."""
    return format_problems(report.problems, quiet)


def _short(text: str, limit: int = 60) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def format_pull(report: PullReport) -> list[str]:
    """Each value rewritten (or that would be), then a count."""
    lines = [f"{e.location}: {e.key}: {_short(e.old)!r} -> {_short(e.new)!r}" for e in report.edits]
    lines += [f"{n.card.location}: tags: {' '.join(n.card.tags) or '(none)'} -> {' '.join(n.tags) or '(none)'}"
              for n in report.notes if n.tags is not None]
    files = len({n.card.file for n in report.notes})
    verb = "would write" if report.dry_run else "wrote"
    if not report.notes:
        lines.append("nothing to pull: no card was edited in Anki")
    else:
        lines.append(f"{verb} the Anki edits of {_plural(len(report.notes), 'note')} into "
                     f"{_plural(files, 'card file')}" + (" (dry run: nothing was changed)" if report.dry_run else ""))
    return [printable(line) for line in lines]


def format_pull_json(report: PullReport) -> str:
    """A pull as one JSON document."""
    document = {
        "command": "pull", "ok": not report.failed, "dry_run": report.dry_run, "wrote": report.wrote,
        "edits": [{"id": e.card_id, "file": e.location.path, "line": e.location.line, "key": e.key, "old": e.old,
                   "new": e.new} for e in report.edits],
        "tags": [{"id": n.card.id, "file": n.card.location.path, "line": n.card.location.line, "old": list(n.card.tags),
                  "new": list(n.tags)} for n in report.notes if n.tags is not None],
        "problems": [problem_record(p) for p in report.problems],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def format_failure_json(command: str, message: str) -> str:
    """A sync or pull that could not start (no collection, Anki holds it, ...) as one JSON document."""
    return json.dumps({"command": command, "ok": False, "error": message, "problems": []}, ensure_ascii=False, indent=2)
