"""`deckgen stats`: what the cards hold, and what the next import will do to a collection."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from deckgen.commands.build import PackageReport, build_report
from deckgen.model import LockEntry
from deckgen.pipeline import compile_project, load_project
from deckgen.project.loader import without_cyclic_gc
from deckgen.problems import Problem, has_errors
from deckgen.project.paths import ProjectPaths


@dataclass(frozen=True)
class DeckCount:
    """How many notes and cards one deck (without its sub-decks) holds."""

    deck: str
    notes: int
    cards: int


@dataclass(frozen=True)
class StatsReport:
    """Counts per deck and tag, the next import's effect, and the notes removed since the last build."""

    problems: tuple[Problem, ...]
    decks: tuple[DeckCount, ...] = ()
    tags: tuple[tuple[str, int], ...] = ()
    packages: tuple[PackageReport, ...] = ()
    removed: tuple[LockEntry, ...] = ()
    lock_found: bool = True

    @property
    def failed(self) -> bool:
        return has_errors(self.problems)

    @property
    def anki_search(self) -> str:
        """An Anki browser search that finds the removed notes by the note ids the lock recorded."""
        ids = sorted(entry.note_id for entry in self.removed if entry.note_id)
        return "nid:" + ",".join(map(str, ids)) if ids else ""


@without_cyclic_gc
def run_stats(cards_dir: Path, out_dir: Path, lock_path: Path | None = None, *, now: float | None = None) -> StatsReport:
    """Compile the cards against the lock file, without writing, and count."""
    project = load_project(ProjectPaths.of(cards_dir, out_dir, lock_path))
    compilation = compile_project(project, now)
    report = build_report(project, compilation)
    notes = [s.note for s in compilation.notes]
    decks: dict[str, list[int]] = {}
    tags: Counter[str] = Counter()
    for note in notes:
        counts = decks.setdefault(note.card.deck, [0, 0])
        counts[0] += 1
        counts[1] += len(note.ordinals)
        for tag in note.card.tags:
            tags[tag] += len(note.ordinals)
    return StatsReport(
        problems=report.problems,
        decks=tuple(DeckCount(deck, *decks[deck]) for deck in sorted(decks, key=str.casefold)),
        tags=tuple(sorted(tags.items(), key=lambda item: (-item[1], item[0].casefold()))),
        packages=report.packages,
        removed=compilation.removed,
        lock_found=report.lock_found,
    )
