"""`deckgen lint`: warn about cards that are hard to learn from (see lint/)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from deckgen.lint.engine import lint_cards
from deckgen.model import ParsedFile
from deckgen.pipeline import Project, load_project
from deckgen.project.loader import without_cyclic_gc
from deckgen.problems import Problem, has_errors, sorted_problems
from deckgen.project.paths import ProjectPaths


@dataclass(frozen=True)
class LintReport:
    """Validation errors and lint warnings, and how many notes and cards were checked."""

    problems: tuple[Problem, ...]
    notes: int
    cards: int
    strict: bool = False

    @property
    def failed(self) -> bool:
        return has_errors(self.problems) or (self.strict and bool(self.problems))


def lint_project(project: Project) -> list[Problem]:
    """Lint a loaded project's valid cards with its settings; the settings file's own mistakes too."""
    return [*project.config.problems, *lint_cards(project.cards, project.config.lint)]


@dataclass
class _Counted:
    """Count each card file's notes and cards as it is read, and drop its notes: the rules read only cards.

    Rendered notes are about a sixth of a loaded 100k-card project's memory.
    """

    notes: int = 0
    cards: int = 0

    def __call__(self, file: ParsedFile) -> ParsedFile:
        self.notes += len(file.notes)
        self.cards += sum(len(note.ordinals) for note in file.notes)
        return replace(file, notes=())


@without_cyclic_gc
def run_lint(cards_dir: Path, config_path: Path | None = None, *, strict: bool = False) -> LintReport:
    """Validate the card folder and lint every card that is valid."""
    counted = _Counted()
    project = load_project(ProjectPaths.of(cards_dir, config_path=config_path), keep=counted)
    problems = sorted_problems([*project.problems, *lint_project(project)])
    return LintReport(tuple(problems), counted.notes, counted.cards, strict)
