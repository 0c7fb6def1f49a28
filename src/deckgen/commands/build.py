"""`deckgen build` and `deckgen check`: validate every card file; build writes the packages and lock file."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from deckgen.errors import WriteError
from deckgen.model import Compilation
from deckgen.output.progress import ProgressFn, no_progress
from deckgen.pipeline import Project, compile_project, load_project, write_build
from deckgen.problems import Location, Problem, error, has_errors, sorted_problems
from deckgen.project.paths import ProjectPaths, display_path
from deckgen.project.writer import unwritable


@dataclass(frozen=True)
class PackageReport:
    """What one package holds and how its notes compare with the last build."""

    path: str
    deck: str
    decks: int
    notes: int
    cards: int
    new: int
    changed: int
    unchanged: int


@dataclass(frozen=True)
class BuildReport:
    """The outcome of a build or check: problems, and what was (or would be) written."""

    problems: tuple[Problem, ...]
    packages: tuple[PackageReport, ...] = ()
    removed: tuple[str, ...] = ()
    lock_found: bool = True
    wrote: bool = False

    @property
    def failed(self) -> bool:
        return has_errors(self.problems)


def build_report(project: Project, compilation: Compilation) -> BuildReport:
    """Sum up what a build of this compilation writes, with every problem found on the way."""
    out_dir = project.paths.out_dir
    packages = tuple(
        PackageReport(display_path(out_dir / s.filename), s.deck, s.decks, s.notes, s.cards, s.new, s.changed, s.unchanged)
        for s in compilation.summaries
    )
    return BuildReport(
        problems=tuple(sorted_problems([*project.problems, *compilation.problems])),
        packages=packages,
        removed=tuple(entry.key for entry in compilation.removed),
        lock_found=project.lock.text is not None,
    )


def write_failure(exc: WriteError, target: Path) -> Problem:
    """Report a write that failed (nothing was changed) as a problem at the file that failed (else `target`)."""
    return error(Location(display_path(exc.path or target)), "cannot-write", exc.message)


def target_problems(project: Project, compilation: Compilation) -> list[Problem]:
    """Find, before anything is written, each file a build would write but could not.

    A build writes the packages whose plan changed and the lock file; `check` reports the same
    problems, so it finds everything a build would.
    """
    if project.reused is not None:
        return []
    targets = [project.paths.out_dir / planned.filename for planned in compilation.packages if not planned.current]
    if not any(p.code == "lock-unreadable" for p in project.problems):  # already reported as unreadable
        targets.append(project.paths.lock_path)
    problems = []
    for target in targets:
        reason = unwritable(target)
        if reason is not None:
            shown = display_path(target)
            problems.append(error(Location(shown), "cannot-write", f"cannot write {shown}: {reason}"))
    return problems


def run_build(
    cards_dir: Path,
    out_dir: Path,
    lock_path: Path | None = None,
    *,
    write: bool = True,
    now: float | None = None,
    progress: ProgressFn = no_progress,
) -> BuildReport:
    """Compile the card folder; write packages and lock file only when nothing is wrong.

    With the build cache, a rebuild skips what did not change: everything when every input is
    as the last build left it; otherwise the unchanged files' parsing and the unchanged
    packages' writing.
    """
    paths = ProjectPaths.of(cards_dir, out_dir, lock_path)
    project = load_project(paths, reuse=True, keep_decks=True, progress=progress)
    compilation = compile_project(project, now)
    report = build_report(project, compilation)
    blocked = target_problems(project, compilation)
    if blocked:
        report = dataclasses.replace(report, problems=tuple(sorted_problems([*report.problems, *blocked])))
    if report.failed or not write:
        return report
    try:
        write_build(project, compilation, progress=progress)
    except WriteError as exc:
        return BuildReport(report.problems + (write_failure(exc, paths.out_dir),), report.packages,
                           report.removed, report.lock_found)
    return BuildReport(report.problems, report.packages, report.removed, report.lock_found, wrote=True)


def run_check(cards_dir: Path, out_dir: Path, lock_path: Path | None = None, *, now: float | None = None) -> BuildReport:
    """Validate the card folder exactly as a build does; write nothing."""
    return run_build(cards_dir, out_dir, lock_path, write=False, now=now)
