"""`deckgen preview`: write build/preview.html, every card's front and back as Anki shows them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from deckgen.commands.build import build_report, write_failure
from deckgen.commands.lint import lint_project
from deckgen.compiler.preview import PreviewCompilation, compile_preview
from deckgen.errors import BadUsage, WriteError
from deckgen.lint.engine import warnings_by_card
from deckgen.model import Compilation, Note
from deckgen.output.preview import PREVIEW_NAME, LinkStyle, editor_url_problem, preview_pieces
from deckgen.pipeline import Project, compile_project, load_project
from deckgen.problems import Problem, has_errors, sorted_problems
from deckgen.project.loader import without_cyclic_gc
from deckgen.project.paths import ProjectPaths, display_path
from deckgen.project.writer import write_files


@dataclass(frozen=True)
class PreviewReport:
    """The outcome of writing (or refusing to write) the preview page."""

    problems: tuple[Problem, ...]
    path: str
    cards: int = 0
    notes: int = 0
    decks: int = 0
    warned: int = 0  # notes with lint warnings
    wrote: bool = False

    @property
    def failed(self) -> bool:
        return has_errors(self.problems)


@dataclass(frozen=True)
class PreviewPage:
    """A drawn preview page (UTF-8, in pieces to write one after another) and what it shows."""

    target: Path
    pieces: tuple[bytes, ...]
    report: PreviewReport

    @property
    def html(self) -> str:
        """The page as text (a copy: at 100,000 cards, write `pieces` instead)."""
        return b"".join(self.pieces).decode("utf-8")


def preview_page(project: Project, compilation: Compilation, warnings: Sequence[Problem], *,
                 editor_url: str = "", run_card_scripts: bool = False,
                 media: Mapping[str, bytes] | None = None) -> PreviewPage:
    """Draw the preview page of a compiled project."""
    stamped = compilation.notes
    if media is None:  # the files the packages bundle, under the names the fields use
        media = {name: data for planned in compilation.packages for name, data in planned.plan.media}
    return draw_preview(project, [s.note for s in stamped], {s.note.key: s.status for s in stamped}, media, warnings,
                        editor_url=editor_url, run_card_scripts=run_card_scripts)


def draw_preview(project: Project, notes: Sequence[Note], statuses: Mapping[str, str], media: Mapping[str, bytes],
                 warnings: Sequence[Problem], *, editor_url: str = "", run_card_scripts: bool = False) -> PreviewPage:
    """Draw the preview page of linked notes, given each one's status (by note key) and the media they show."""
    out_dir = project.paths.out_dir
    target = out_dir / PREVIEW_NAME
    by_card = warnings_by_card(warnings, [note.card for note in notes])
    page = preview_pieces(notes, project.notetypes, media, LinkStyle(out_dir, editor_url), statuses, by_card,
                         run_card_scripts)
    report = PreviewReport(
        (), display_path(target),
        cards=sum(len(note.ordinals) for note in notes), notes=len(notes),
        decks=len({note.card.deck for note in notes}), warned=len(by_card), wrote=True,
    )
    return PreviewPage(target, page, report)


def check_editor_url(editor_url: str) -> None:
    """Refuse an --editor-url template that cannot be filled in (bad usage)."""
    problem = editor_url_problem(editor_url)
    if problem:
        raise BadUsage(problem)


def preview_compile(paths: ProjectPaths, now: float | None = None,
                    ) -> tuple[Project, PreviewCompilation | None, Compilation | None]:
    """Load a project and compile what its page is drawn from: the preview's own compile when it can.

    An unchanged project's cards come from the build cache and skip stamping and package
    plans; otherwise the project is compiled as a build would compile it (the third value).
    """
    project = load_project(paths, reuse=True, with_cards=True)
    compiled = compile_preview(project)
    if compiled is None and project.reused is not None:  # the cache cannot vouch for it after all
        project = load_project(paths)
    return project, compiled, compile_project(project, now) if compiled is None else None


@without_cyclic_gc
def run_preview(
    cards_dir: Path,
    out_dir: Path,
    lock_path: Path | None = None,
    *,
    config_path: Path | None = None,
    editor_url: str = "",
    run_card_scripts: bool = False,
    now: float | None = None,
) -> PreviewReport:
    """Compile and lint the cards and write `<out_dir>/preview.html`, unless something is wrong."""
    check_editor_url(editor_url)
    project, compiled, compilation = preview_compile(ProjectPaths.of(cards_dir, out_dir, lock_path, config_path), now)
    if compilation is not None:
        problems = list(build_report(project, compilation).problems)
    else:
        assert compiled is not None  # preview_compile makes one or the other
        problems = sorted_problems(compiled.problems)
    shown = display_path(out_dir / PREVIEW_NAME)
    if has_errors(problems) or has_errors(project.config.problems):
        return PreviewReport(tuple(sorted_problems(problems + list(project.config.problems))), shown)
    warnings = lint_project(project)
    if compilation is not None:
        page = preview_page(project, compilation, warnings, editor_url=editor_url, run_card_scripts=run_card_scripts)
    else:
        assert compiled is not None  # preview_compile makes one or the other
        page = draw_preview(project, compiled.notes, compiled.statuses, compiled.media, warnings,
                            editor_url=editor_url, run_card_scripts=run_card_scripts)
    try:
        write_files({page.target: page.pieces})
    except WriteError as exc:
        return PreviewReport(tuple(sorted_problems(problems + [write_failure(exc, page.target)])), shown)
    return PreviewReport(tuple(sorted_problems(problems)), shown, page.report.cards, page.report.notes,
                         page.report.decks, page.report.warned, wrote=True)
