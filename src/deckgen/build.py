"""Run the pipeline with its two edges: read the card folder and lock file, write the packages."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from deckgen.compile import Compilation, ParsedFile, compile_cards, parse_files
from deckgen.lockfile import format_lock, parse_lock
from deckgen.media import MEDIA_FOLDER, MediaLoader
from deckgen.package import package_bytes
from deckgen.problems import Location, Problem, has_errors, sorted_problems, warning
from deckgen.progress import ProgressFn, no_progress
from deckgen.projecttypes import FOLDER as NOTETYPE_FOLDER, read_notetypes
from deckgen.sources import decode, display_path, read_sources

LOCK_NAME = "deckgen.lock"


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


def default_lock_path(cards_dir: Path) -> Path:
    """Keep the lock file beside the card folder, where it is committed with the cards."""
    return cards_dir.resolve().parent / LOCK_NAME


def _read_lock(path: Path) -> tuple[str | None, list[Problem]]:
    shown = display_path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, []
    except OSError as exc:
        return None, [warning(Location(shown), "lock-unreadable", f"cannot read lock file: {exc.strerror}")]
    text, problems = decode(data, shown)
    # A damaged lock only costs "changed" stamps, never identity: downgrade to a warning.
    return text, [warning(p.location, "lock-damaged", p.message) for p in problems]


def write_atomically(files: dict[Path, bytes]) -> None:
    """Write every file to a temporary name beside it, then rename all into place."""
    temps: list[tuple[Path, Path]] = []
    try:
        for target, data in files.items():
            temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            temps.append((temp, target))
            with open(temp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        for temp, target in temps:
            os.replace(temp, target)
    finally:
        for temp, _ in temps:
            temp.unlink(missing_ok=True)


def package_reports(compilation: Compilation, out_dir: Path) -> tuple[PackageReport, ...]:
    """Describe each planned package and how its notes compare with the lock file."""
    return tuple(
        PackageReport(
            path=display_path(out_dir / planned.filename),
            deck=planned.plan.top_deck,
            decks=len(planned.plan.decks),
            notes=len(planned.plan.notes),
            cards=sum(len(s.note.ordinals) for s in planned.plan.notes),
            new=planned.new,
            changed=planned.changed,
            unchanged=planned.unchanged,
        )
        for planned in compilation.packages
    )


@dataclass(frozen=True)
class LoadedProject:
    """A card folder read, validated and compiled against its lock file, before anything is written."""

    files: tuple[ParsedFile, ...]
    compilation: Compilation
    problems: tuple[Problem, ...]
    lock_path: Path
    lock_text: str | None

    @property
    def failed(self) -> bool:
        return has_errors(self.problems)


def load_project(
    cards_dir: Path, lock_path: Path | None = None, *, now: float | None = None, progress: ProgressFn = no_progress
) -> LoadedProject:
    """Read and compile the card folder against the lock file; the shared front of every command."""
    lock_path = lock_path or default_lock_path(cards_dir)
    sources, problems = read_sources(cards_dir)
    files, found = parse_files(sources, progress)
    problems += found
    lock_text, found = _read_lock(lock_path)
    problems += found
    previous, found = parse_lock(lock_text or "", display_path(lock_path))
    problems += found
    # Media paths may not leave the project: the folder holding the card folder.
    media = MediaLoader(cards_dir.resolve().parent, cards_dir.resolve() / MEDIA_FOLDER)
    notetypes, found = read_notetypes(cards_dir.resolve().parent / NOTETYPE_FOLDER)
    problems += found
    progress("compiling", 0, 1)
    compilation = compile_cards(
        [file.cards for file in files], previous, time.time() if now is None else now, media, notetypes
    )
    problems += compilation.problems
    return LoadedProject(tuple(files), compilation, tuple(sorted_problems(problems)), lock_path, lock_text)


def run_build(
    cards_dir: Path,
    out_dir: Path,
    lock_path: Path | None = None,
    *,
    write: bool = True,
    now: float | None = None,
    progress: ProgressFn = no_progress,
) -> BuildReport:
    """Compile the card folder; write packages and lock file only when nothing is wrong."""
    project = load_project(cards_dir, lock_path, now=now, progress=progress)
    return build_project(project, out_dir, write=write, progress=progress)


def build_project(
    project: LoadedProject, out_dir: Path, *, write: bool = True, progress: ProgressFn = no_progress
) -> BuildReport:
    """Write a loaded project's packages and lock file, unless it has errors."""
    compilation = project.compilation
    report = BuildReport(
        problems=project.problems,
        packages=package_reports(compilation, out_dir),
        removed=tuple(entry.key for entry in compilation.removed),
        lock_found=project.lock_text is not None,
    )
    if report.failed or not write:
        return report

    outputs: dict[Path, bytes] = {}
    for number, planned in enumerate(compilation.packages, start=1):
        progress("packaging", number - 1, len(compilation.packages))
        target = out_dir / planned.filename
        data = package_bytes(planned.plan)
        if not (target.is_file() and target.read_bytes() == data):
            outputs[target] = data
    new_lock = format_lock(compilation.lock)
    if new_lock != project.lock_text:
        outputs[project.lock_path] = new_lock.encode("utf-8")
    out_dir.mkdir(parents=True, exist_ok=True)
    write_atomically(outputs)
    return BuildReport(report.problems, report.packages, report.removed, report.lock_found, wrote=True)
