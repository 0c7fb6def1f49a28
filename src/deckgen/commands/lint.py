"""`deckgen lint`: warn about cards that are hard to learn from (see lint/)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from deckgen.lint.engine import lint_cards
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


@without_cyclic_gc
def run_lint(cards_dir: Path, config_path: Path | None = None, *, strict: bool = False) -> LintReport:
    """Validate the card folder and lint every card that is valid."""
    project = load_project(ProjectPaths.of(cards_dir, config_path=config_path))
    problems = sorted_problems([*project.problems, *lint_project(project)])
    notes = list(project.notes)
    return LintReport(tuple(problems), len(notes), sum(len(note.ordinals) for note in notes), strict)
