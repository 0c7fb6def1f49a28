"""Run the pipeline with its two edges: read the card folder and lock file, write the packages."""

from __future__ import annotations

import functools
import gc
import hashlib
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, ParamSpec, TypeVar

from deckgen.cache import BuildCache, PackageRecord, Unchanged, folder_digest
from deckgen.lockfile import LockEntry, format_lock, parse_lock, recover_entries
from deckgen.problems import Location, Problem, has_errors, sorted_problems, warning
from deckgen.progress import ProgressFn, no_progress
from deckgen.projecttypes import FOLDER as NOTETYPE_FOLDER, ProjectNoteType, read_notetypes
from deckgen.sources import decode, display_path, read_sources

if TYPE_CHECKING:
    from deckgen.compile import Compilation, ParsedFile
    from deckgen.validate import FileCards
    from deckgen.media import MediaLoader

LOCK_NAME = "deckgen.lock"
_P = ParamSpec("_P")
_R = TypeVar("_R")


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


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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


def _write_cache(path: Path, data: bytes) -> None:
    """Replace the build cache; it only saves time, so failing to write it fails nothing."""
    try:
        write_atomically({path: data})
    except OSError:
        pass  # an old cache stays valid: every record in it is keyed by what it was made from


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


def _kept_report(record: PackageRecord, out_dir: Path) -> PackageReport:
    """Report a package the last build wrote from the same inputs: all its notes are unchanged."""
    return PackageReport(display_path(out_dir / record.filename), record.deck, record.decks, record.notes,
                         record.cards, 0, 0, record.notes)


def _unchanged_report(unchanged: Unchanged, out_dir: Path, wrote: bool) -> BuildReport:
    """Report a build whose inputs and outputs are exactly as the last build left them."""
    packages = tuple(_kept_report(record, out_dir) for record in unchanged.packages)
    return BuildReport(tuple(sorted_problems(unchanged.problems)), packages, wrote=wrote)


def _without_cyclic_gc(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Pause Python's cyclic garbage collector while `function` runs.

    A build allocates millions of small acyclic objects (nodes, tuples, dataclasses) that
    reference counting frees; the collector would rescan them again and again, finding no
    cycles, which costs up to 40% of a 100k-card build.
    """

    @functools.wraps(function)
    def paused(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        if not gc.isenabled():
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()

    return paused


@dataclass(frozen=True)
class ProjectFiles:
    """What a build reads beside the card files: media and the project's note types."""

    media: MediaLoader
    notetypes: dict[str, ProjectNoteType]
    problems: tuple[Problem, ...]


def _project_files(cards_dir: Path) -> ProjectFiles:
    """Set up media reading and load notetypes/; media paths may not leave the project folder."""
    from deckgen.media import MEDIA_FOLDER, MediaLoader  # loads the renderer: not on no-op rebuilds

    root = cards_dir.resolve().parent
    media = MediaLoader(root, cards_dir.resolve() / MEDIA_FOLDER)
    notetypes, problems = read_notetypes(root / NOTETYPE_FOLDER)
    return ProjectFiles(media, notetypes, tuple(problems))


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


@_without_cyclic_gc
def load_project(
    cards_dir: Path, lock_path: Path | None = None, *, now: float | None = None, progress: ProgressFn = no_progress,
    out_dir: Path | None = None,
) -> LoadedProject:
    """Read and compile the whole card folder against the lock file (preview, lint, stats, watch).

    Without a lock file, note times are recovered from the packages in `out_dir`, as a build does.
    """
    from deckgen.compile import compile_cards, id_change_warnings, parse_files, rename_warnings

    lock_path = lock_path or default_lock_path(cards_dir)
    sources, problems = read_sources(cards_dir)
    files, found = parse_files(sources, progress)
    problems += found
    lock_text, found = _read_lock(lock_path)
    problems += found
    previous, found = parse_lock(lock_text or "", display_path(lock_path))
    problems += found
    if lock_text is None and out_dir is not None:
        previous = _recovered_lock([file.cards for file in files], out_dir)
    project = _project_files(cards_dir)
    problems += project.problems
    progress("compiling", 0, 1)
    compilation = compile_cards(
        [file.cards for file in files], previous, time.time() if now is None else now, project.media, project.notetypes
    )
    problems += [*compilation.problems, *rename_warnings(compilation), *id_change_warnings(compilation)]
    return LoadedProject(tuple(files), compilation, tuple(sorted_problems(problems)), lock_path, lock_text)


def _packaged(
    compilation: Compilation, out_dir: Path, progress: ProgressFn
) -> tuple[dict[Path, bytes], list[str]]:
    """Package every planned deck: the files whose bytes differ from disk, and each package's hash."""
    from deckgen.package import package_bytes

    outputs: dict[Path, bytes] = {}
    digests: list[str] = []
    for number, planned in enumerate(compilation.packages, start=1):
        progress("packaging", number - 1, len(compilation.packages))
        target = out_dir / planned.filename
        data = package_bytes(planned.plan)
        if not (target.is_file() and target.read_bytes() == data):
            outputs[target] = data
        digests.append(_digest(data))
    return outputs, digests


def build_project(
    project: LoadedProject, out_dir: Path, *, write: bool = True, progress: ProgressFn = no_progress
) -> BuildReport:
    """Write a loaded project's packages and lock file, unless it has errors (used by watch)."""
    compilation = project.compilation
    report = BuildReport(
        problems=project.problems,
        packages=package_reports(compilation, out_dir),
        removed=tuple(entry.key for entry in compilation.removed),
        lock_found=project.lock_text is not None,
    )
    if report.failed or not write:
        return report
    # A later cached build notices these packages' new bytes and does not keep them.
    outputs, _ = _packaged(compilation, out_dir, progress)
    new_lock = format_lock(compilation.lock)
    if new_lock != project.lock_text:
        outputs[project.lock_path] = new_lock.encode("utf-8")
    out_dir.mkdir(parents=True, exist_ok=True)
    write_atomically(outputs)
    return replace(report, wrote=True)


def _recovered_lock(files: list[FileCards], out_dir: Path) -> dict[str, LockEntry]:
    """Recover note times and ids from the packages in `out_dir` when the lock file is lost."""
    from deckgen.identity import guid_for
    from deckgen.package import note_stamps

    stamps: dict[str, tuple[int, int]] = {}
    for path in sorted(out_dir.glob("*.apkg")):
        try:
            stamps.update(note_stamps(path.read_bytes()))
        except OSError:
            continue  # an unreadable package only means fewer notes recovered
    cards = ((card.key, card.guid or guid_for(card.scope, card.id), card.deck)
             for file in files for card in file.cards)
    return recover_entries(cards, stamps) if stamps else {}


@_without_cyclic_gc
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

    The build cache lets a rebuild skip what did not change: nothing at all when every input
    is as the last build left it, otherwise the unchanged files' parsing and the unchanged
    decks' packages (see cache.py and incremental.py).
    """
    lock_path = lock_path or default_lock_path(cards_dir)
    sources, problems = read_sources(cards_dir)
    lock_text, lock_problems = _read_lock(lock_path)
    notetype_dir = cards_dir.resolve().parent / NOTETYPE_FOLDER
    cache = BuildCache.load(out_dir, sources, folder_digest(notetype_dir))
    reuse = not problems and not lock_problems and cache.media_intact()
    if reuse:
        unchanged = cache.unchanged(cache.inputs_key(display_path(lock_path), lock_text), out_dir)
        if unchanged is not None:
            return _unchanged_report(unchanged, out_dir, wrote=write)
    # Imported only now, so that a rebuild with nothing to do never loads PyYAML and the pipeline.
    from deckgen.compile import id_change_warnings, read_card_file, read_cards, rename_warnings
    from deckgen.incremental import compile_changed, find_kept

    files, found = read_cards(sources, cache.reader(read_card_file), progress)
    del sources  # the card texts are parsed: free them (tens of MB at 100k cards)
    problems += found
    source_problems = list(problems)
    problems += lock_problems
    previous, found = parse_lock(lock_text or "", display_path(lock_path))
    problems += found
    if lock_text is None:
        previous = _recovered_lock(files, out_dir)
    project = _project_files(cards_dir)
    problems += project.problems
    kept = find_kept(cache, files, lock_text, out_dir) if reuse else {}
    progress("compiling", 0, 1)
    compilation, kept = compile_changed(
        files, previous, time.time() if now is None else now, kept, project.media, project.notetypes
    )
    del previous  # likewise, the parsed lock file
    problems += [*compilation.problems, *rename_warnings(compilation), *id_change_warnings(compilation)]
    compiled = package_reports(compilation, out_dir)
    report = BuildReport(
        problems=tuple(sorted_problems(problems)),
        packages=tuple(sorted(compiled + tuple(_kept_report(k.record, out_dir) for k in kept.values()),
                              key=lambda package: package.deck)),
        removed=tuple(entry.key for entry in compilation.removed),
        lock_found=lock_text is not None,
    )
    if report.failed or not write:
        return report

    outputs, digests = _packaged(compilation, out_dir, progress)
    records: list[PackageRecord] = []
    new_lock = format_lock(compilation.lock)
    for planned, shown, digest in zip(compilation.packages, compiled, digests):
        sources_used = {stamped.note.card.location.path for stamped in planned.plan.notes}
        records.append(PackageRecord(planned.filename, shown.deck, shown.decks, shown.notes, shown.cards,
                                     digest, cache.package_inputs(sources_used, new_lock)))
    for package in kept.values():
        records.append(replace(package.record, inputs=cache.package_inputs(package.sources, new_lock)))
    if new_lock != lock_text:
        outputs[lock_path] = new_lock.encode("utf-8")
    out_dir.mkdir(parents=True, exist_ok=True)
    write_atomically(outputs)
    # After the outputs are in place, so it never describes files that are not there yet.
    next_cache = cache.contents(cache.inputs_key(display_path(lock_path), new_lock), records, source_problems,
                                project.media.files_read())
    if cache.changed(next_cache):
        _write_cache(cache.path, next_cache)
    return BuildReport(report.problems, report.packages, report.removed, report.lock_found, wrote=True)
