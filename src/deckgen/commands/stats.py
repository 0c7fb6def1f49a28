"""`deckgen stats`: what the cards hold, and what the next import will do to a collection."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from deckgen.commands.build import PackageReport, build_report
from deckgen.model import LockEntry
from deckgen.pipeline import compile_project, load_project
from deckgen.project.loader import without_cyclic_gc
from deckgen.problems import Problem, has_errors
from deckgen.project.counts import note_counts
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
    """Compile the cards against the lock file, without writing, and count.

    When the last build read exactly these inputs, its cache already holds every count, and
    no card is read; nothing was removed since that build, whose lock file marks every removal.
    """
    project = load_project(ProjectPaths.of(cards_dir, out_dir, lock_path), reuse=True)
    if project.reused is not None and project.reused.counts is None:  # a cache from before counts
        project = load_project(ProjectPaths.of(cards_dir, out_dir, lock_path))
    compilation = compile_project(project, now)
    report = build_report(project, compilation)
    counts = project.reused.counts if project.reused is not None else None
    counts = counts or note_counts(s.note for s in compilation.notes)
    return StatsReport(
        problems=report.problems,
        decks=tuple(DeckCount(*row) for row in counts.decks),
        tags=counts.tags,
        packages=report.packages,
        removed=compilation.removed,
        lock_found=report.lock_found,
    )
