"""The three steps every command goes through: load a project, compile it, write what it makes.

    project = load_project(paths)            # the input edge: read everything once (project/)
    compilation = compile_project(project)   # pure: stamp, link, plan packages (compiler/)
    write_build(project, compilation)        # the output edge: package and write, all or nothing

Commands differ only in what they do between these steps (lint, count, draw a preview page)
and in which they stop before.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator, Mapping, Sequence

from deckgen.errors import WriteError
from deckgen.model import Compilation, PackageSummary, ParsedFile, PlannedPackage
from deckgen.output.progress import ProgressFn, no_progress
from deckgen.problems import Problem
from deckgen.project.cache import DeckRecord, PackageRecord, cache_contents, deck_lock_hashes, inputs_key
from deckgen.project.counts import note_counts
from deckgen.project.files import LIMITS, read_bytes
from deckgen.project.lockfile import format_lock
from deckgen.project.loader import Project, load_project, without_cyclic_gc
from deckgen.project.writer import Content, write_files

__all__ = ["Project", "load_project", "compile_project", "write_build", "Written"]

# Warnings that compare the cards with the lock file a build replaces: a rebuild with the new
# lock file no longer gives them, so the cache does not repeat them for a build that changes nothing.
_ABOUT_THE_OLD_LOCK = frozenset({"deck-moved", "deck-renamed", "id-changed", "lock-damaged", "lock-conflict"})


def clock() -> float:
    """The time a build stamps changed notes with, when the caller gives none."""
    return time.time()


@without_cyclic_gc
def compile_project(project: Project, now: float | None = None) -> Compilation:
    """Compile a loaded project against its lock file at time `now` (the clock when None)."""
    if project.reused is not None:  # every note is as the last build stamped it
        kept = tuple(replace(r.summary, new=0, changed=0, unchanged=r.summary.notes) for r in project.reused.packages)
        return Compilation((), (), (), (), kept=kept)
    from deckgen.compiler.compile import compile_cards  # not needed when nothing changed

    return compile_cards(project.files, project.lock.entries, project.notetypes, project.media,
                         clock() if now is None else now, project.on_disk, [d.package.summary for d in project.kept])


@dataclass(frozen=True)
class Written:
    """What a write changed: the files replaced or created."""

    paths: tuple[Path, ...]


def write_build(project: Project, compilation: Compilation, *, also: Mapping[Path, Content] | None = None,
                progress: ProgressFn = no_progress) -> Written:
    """Package and write every changed package, the lock file and `also`, all or nothing; then the cache.

    Raises WriteError (every output left as it was) when a file cannot be written.
    """
    outputs: dict[Path, Content] = dict(also or {})
    if project.reused is not None:  # nothing changed since the last build
        write_files(outputs)
        return Written(tuple(outputs))
    out_dir = project.paths.out_dir
    records: list[PackageRecord] = []
    made = _packaged([planned for planned in compilation.packages if not planned.current])
    for number, planned in enumerate(compilation.packages, start=1):
        progress("packaging", number - 1, len(compilation.packages))
        target = out_dir / planned.filename
        if planned.current:
            digest = next(r.bytes for r in project.cache.packages() if r.summary.filename == planned.filename)
        else:
            data = next(made)
            digest = hashlib.sha256(data).hexdigest()
            if not (target.is_file() and not target.is_symlink() and _digest_of(target) == digest):
                outputs[target] = data
        records.append(PackageRecord(PackageSummary.of(planned), planned.digest, digest))
    kept = {summary.filename: summary for summary in compilation.kept}
    records += [replace(d.package, summary=kept[d.package.summary.filename]) for d in project.kept]
    new_lock = format_lock(compilation.lock)
    if new_lock != project.lock.text:
        outputs[project.paths.lock_path] = new_lock.encode("utf-8")
    write_files(outputs)
    written = tuple(outputs)
    del outputs  # the packages' bytes are on disk now: the cache need not be made beside them
    _write_cache(project, compilation, records, new_lock)
    return Written(written)


def _packaged(planned: Sequence[PlannedPackage]) -> Iterator[bytes]:
    """Make each planned package's bytes, in order; in worker processes when there are enough notes."""
    from deckgen.anki.package import package_bytes  # not needed when nothing changed
    from deckgen.project.parallel import PACKAGING_WORTH_IT, in_workers, processes_for

    processes = processes_for(sum(len(p.plan.notes) for p in planned), PACKAGING_WORTH_IT, len(planned))
    if processes == 1:
        return (package_bytes(p.plan) for p in planned)
    return in_workers(lambda index: package_bytes(planned[index].plan), len(planned), processes)


def _digest_of(path: Path) -> str | None:
    data, _ = read_bytes(path, str(path), LIMITS.package)
    return None if data is None else hashlib.sha256(data).hexdigest()


def _write_cache(project: Project, compilation: Compilation, records: list[PackageRecord], new_lock: str) -> None:
    """Replace the build cache; it only saves time, so failing to write it fails nothing."""
    inputs = inputs_key(project.sources, (project.lock.display, new_lock), project.notetypes.fingerprint)
    build_problems = [p for p in (*project.problems, *compilation.problems) if p.code not in _ABOUT_THE_OLD_LOCK]
    decks = _deck_records(project, compilation, records)
    contents = cache_contents(project.cache, project.files, project.notetypes.fingerprint, inputs, records,
                              build_problems, project.media_seen, note_counts((), [d.counts for d in decks]), decks,
                              [f for d in project.kept for f in d.files])
    if hashlib.sha256(contents).hexdigest() == project.cache.digest:
        return
    try:
        write_files({project.cache.path: contents})
    except WriteError:
        pass  # an old cache stays valid: every record in it is keyed by what it was made from


def _deck_records(project: Project, compilation: Compilation, records: list[PackageRecord]) -> list[DeckRecord]:
    """Record what the next build needs of each top-level deck to keep it without reading its cards."""
    # A kept deck's lock lines are the lock file's, already checked against its record's hash.
    hashes = deck_lock_hashes(compilation.lock, skip=[d.top_deck for d in project.kept])
    by_name = {r.summary.filename: r for r in records}
    files: dict[str, list[ParsedFile]] = {}
    for file in project.files:
        for top in dict.fromkeys(card.top_deck for card in file.cards):
            files.setdefault(top, []).append(file)
    # What compiling found in a deck's files and would find again (its media's problems), besides
    # warnings about the lock file this build replaces.
    compiled: dict[str, list[Problem]] = {}
    for problem in compilation.problems:
        if problem.code not in _ABOUT_THE_OLD_LOCK:
            compiled.setdefault(problem.location.path, []).append(problem)
    decks = [replace(d, package=by_name[d.package.summary.filename]) for d in project.kept]
    for planned in compilation.packages:
        top, notes = planned.plan.top_deck, planned.plan.notes
        mine = files.get(top, [])
        problems = [p for f in mine for p in f.problems] + [p for f in mine for p in compiled.get(f.path, ())]
        decks.append(DeckRecord(top, tuple((f.path, f.digest) for f in mine), hashes.get(top, ""),
                                tuple(s.guid for s in notes), tuple(problems),
                                note_counts(s.note for s in notes), by_name[planned.filename]))
    return decks
