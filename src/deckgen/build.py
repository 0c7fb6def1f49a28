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

from deckgen.cache import BuildCache, PackageRecord, Unchanged
from deckgen.lockfile import format_lock, parse_lock
from deckgen.problems import Location, Problem, has_errors, sorted_problems, warning
from deckgen.sources import decode, display_path, read_sources

if TYPE_CHECKING:
    from deckgen.compile import Compilation

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


def _write_atomically(files: dict[Path, bytes]) -> None:
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
        _write_atomically({path: data})
    except OSError:
        pass  # an old cache stays valid: every record in it is keyed by what it was made from


def _reports(compilation: Compilation, out_dir: Path) -> tuple[PackageReport, ...]:
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


@_without_cyclic_gc
def run_build(
    cards_dir: Path, out_dir: Path, lock_path: Path | None = None, *, write: bool = True, now: float | None = None
) -> BuildReport:
    """Compile the card folder; write packages and lock file only when nothing is wrong."""
    lock_path = lock_path or default_lock_path(cards_dir)
    sources, problems = read_sources(cards_dir)
    lock_text, lock_problems = _read_lock(lock_path)
    cache = BuildCache.load(out_dir, sources)
    if not problems and not lock_problems:
        unchanged = cache.unchanged(cache.inputs_key(display_path(lock_path), lock_text), out_dir)
        if unchanged is not None:
            return _unchanged_report(unchanged, out_dir, wrote=write)
    # Imported only now, so that a rebuild with nothing to do never loads PyYAML and the pipeline.
    from deckgen.compile import read_card_file, read_cards
    from deckgen.incremental import compile_changed, find_kept
    from deckgen.package import package_bytes

    files, found = read_cards(sources, cache.reader(read_card_file))
    del sources  # the card texts are parsed: free them (tens of MB at 100k cards)
    problems += found
    source_problems = list(problems)
    problems += lock_problems
    previous, found = parse_lock(lock_text or "", display_path(lock_path))
    problems += found
    kept = find_kept(cache, files, lock_text, out_dir)
    compilation, kept = compile_changed(files, previous, time.time() if now is None else now, kept)
    del previous  # likewise, the parsed lock file
    problems += compilation.problems
    compiled = _reports(compilation, out_dir)
    report = BuildReport(
        problems=tuple(sorted_problems(problems)),
        packages=tuple(sorted(compiled + tuple(_kept_report(k.record, out_dir) for k in kept.values()),
                              key=lambda package: package.deck)),
        removed=tuple(entry.key for entry in compilation.removed),
        lock_found=lock_text is not None,
    )
    if report.failed or not write:
        return report

    outputs: dict[Path, bytes] = {}
    records: list[PackageRecord] = []
    new_lock = format_lock(compilation.lock)
    for planned, shown in zip(compilation.packages, compiled):
        target = out_dir / planned.filename
        data = package_bytes(planned.plan)
        if not (target.is_file() and target.read_bytes() == data):
            outputs[target] = data
        sources_used = {stamped.note.card.location.path for stamped in planned.plan.notes}
        records.append(PackageRecord(planned.filename, shown.deck, shown.decks, shown.notes, shown.cards,
                                     _digest(data), cache.package_inputs(sources_used, new_lock)))
    for package in kept.values():
        records.append(replace(package.record, inputs=cache.package_inputs(package.sources, new_lock)))
    if new_lock != lock_text:
        outputs[lock_path] = new_lock.encode("utf-8")
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_atomically(outputs)
    # After the outputs are in place, so it never describes files that are not there yet.
    next_cache = cache.contents(cache.inputs_key(display_path(lock_path), new_lock), records, source_problems)
    if cache.changed(next_cache):
        _write_cache(cache.path, next_cache)
    return BuildReport(report.problems, report.packages, report.removed, report.lock_found, wrote=True)
