"""`deckgen pull`: write edits made inside Anki back into the card files, every other byte kept.

Reads the collection through a read-only snapshot, plans the edits (see `sync.pull`), edits
each card file in place (see `cardfiles.yamledit.replace_value`) and writes the card files,
the lock file and the sync state together, all or nothing. A note that cannot be written back
exactly is listed and left as it is, everywhere.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from deckgen.cardfiles.yamledit import replace_value
from deckgen.commands.build import write_failure
from deckgen.commands.ids import _read as read_card_file
from deckgen.errors import WriteError
from deckgen.pipeline import compile_project, load_project
from deckgen.problems import Problem, has_errors, sorted_problems, warning
from deckgen.project.files import LIMITS, read_bytes
from deckgen.project.lockfile import format_lock
from deckgen.project.paths import ProjectPaths, display_path
from deckgen.project.writer import write_files
from deckgen.sync.pull import FieldEdit, plan_pull
from deckgen.sync.state import SyncState, format_state, parse_state, state_path
from deckgen.sync.target import Target, opened

_DROPPED = frozenset({"deck-moved"})


@dataclass(frozen=True)
class PullReport:
    """The edits pulled (or that would be), and the notes that could not be."""

    problems: tuple[Problem, ...]
    edits: tuple[FieldEdit, ...] = ()
    dry_run: bool = False
    wrote: bool = False

    @property
    def failed(self) -> bool:
        return has_errors(self.problems)


def _edit_files(edits: list[FieldEdit], root: Path) -> tuple[dict[Path, bytes], set[str], list[Problem]]:
    """Apply the edits file by file, bottom up; the cards whose edit failed, by file and id."""
    by_file: dict[str, list[FieldEdit]] = defaultdict(list)
    for edit in edits:
        by_file[edit.file].append(edit)
    outputs: dict[Path, bytes] = {}
    failed: set[str] = set()
    problems: list[Problem] = []
    for file, group in by_file.items():
        path = Path(file)
        shown = group[0].location.path
        read = read_card_file(path, shown, root)
        if isinstance(read, Problem):
            problems.append(read)
            failed.update(f"{file}\x1f{e.card_id}" for e in group)
            continue
        bom, text = read
        for edit in sorted(group, key=lambda e: (e.location.line, e.location.col), reverse=True):
            value_at = (edit.location.line, edit.location.col)
            text, problem = replace_value(text, shown, edit.card_at, value_at, edit.new, keep_final_break=not edit.html)
            if problem is not None:
                problems.append(problem)
                failed.add(f"{file}\x1f{edit.card_id}")
        outputs[path] = bom + text.encode("utf-8")
    return outputs, failed, problems


def run_pull(cards_dir: Path, out_dir: Path, lock_path: Path | None, target: Target, *, dry_run: bool = False,
             now: float | None = None) -> PullReport:
    """Plan the edits from the collection; unless `dry_run`, write them with the lock file and sync state."""
    paths = ProjectPaths.of(cards_dir, out_dir, lock_path)
    project = load_project(paths)
    compilation = compile_project(project, now)
    problems = [p for p in (*project.problems, *compilation.problems) if p.code not in _DROPPED]
    if has_errors(problems):
        return PullReport(tuple(sorted_problems(problems)), dry_run=dry_run)
    state_file = state_path(paths.out_dir, target.slug)
    shown = display_path(state_file)
    old_state, unreadable = read_bytes(state_file, shown, LIMITS.lock)
    state, found = parse_state(old_state, shown)
    problems += found + ([warning(unreadable.location, "sync-state-damaged", unreadable.message)] if unreadable else [])
    with opened(target, read_only=True) as collection:
        guids = {s.guid: (state.notes[s.note.key].note_id if s.note.key in state.notes else s.note_id)
                 for s in compilation.notes}
        notes = collection.notes_by_guid(guids)
    plan = plan_pull(compilation, project.lock.entries, state, notes, project.notetypes)
    problems += plan.problems
    outputs, failed, trouble = _edit_files(list(plan.edits), paths.root)
    if failed:  # a note is pulled whole or not at all: edit again without the failed cards
        problems += trouble
        kept = [e for e in plan.edits if f"{e.file}\x1f{e.card_id}" not in failed]
        outputs, _, _ = _edit_files(kept, paths.root)
    else:
        kept = list(plan.edits)
    report = PullReport(tuple(sorted_problems(problems)), tuple(kept), dry_run)
    if dry_run or not kept:
        return report
    pulled = {(e.file, e.card_id) for e in kept}
    keys = {s.note.key for s in compilation.notes if (s.note.card.file, s.note.card.id) in pulled}
    lock = [plan.lock[entry.key] if entry.key in keys else entry for entry in compilation.lock]
    outputs[paths.lock_path] = format_lock(lock).encode("utf-8")
    records = {**state.notes, **{key: plan.records[key] for key in keys if key in plan.records}}
    outputs[state_file] = format_state(SyncState(records), target.label)
    try:
        write_files(outputs)
    except WriteError as exc:
        return PullReport(report.problems + (write_failure(exc, paths.out_dir),), report.edits, dry_run)
    return PullReport(report.problems, report.edits, dry_run, wrote=True)
