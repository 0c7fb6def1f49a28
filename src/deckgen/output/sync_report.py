"""Word a sync's plan and outcome, as text in the build summary's style or as one JSON document."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from deckgen.output.report import format_problems, problem_record
from deckgen.problems import printable

if TYPE_CHECKING:  # only for annotations
    from deckgen.commands.sync import SyncReport
    from deckgen.sync.plan import DeckPlan


def _deck_line(deck: DeckPlan, removed_mode: str) -> str:
    parts = [f"{deck.new} new", f"{deck.updated} updated", f"{deck.unchanged} unchanged", f"{deck.moved} moved"]
    if deck.restored:
        parts.append(f"{deck.restored} restored")
    verb = {"suspend": "removed (suspended)", "delete": "removed (deleted)", "keep": "removed"}[removed_mode]
    parts.append(f"{len(deck.to_remove) if removed_mode != 'keep' else 0} {verb}")
    if removed_mode == "keep" and deck.removed:
        parts.append(f"{len(deck.removed)} removed kept")
    conflicts = len(deck.conflicts)
    parts.append(f"{conflicts} conflict" + ("" if conflicts == 1 else "s"))
    if deck.edited:
        parts.append(f"{len(deck.edited)} edited in Anki")
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
        lines.append("applied" + (f" ({report.direct} notes set directly)" if report.direct else ""))
    if plan.conflicts:
        lines.append(f"{len(plan.conflicts)} conflicts left: run deckgen pull to keep Anki's text, "
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


def sync_problems(report: SyncReport, quiet: bool) -> list[str]:
    """The problems, compiler-style, for stderr."""
    return format_problems(report.problems, quiet)
