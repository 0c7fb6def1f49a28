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

from deckgen.cardfiles.yamledit import replace_value, set_card_tags
from deckgen.commands.build import write_failure
from deckgen.errors import WriteError
from deckgen.pipeline import compile_project, load_project
from deckgen.problems import Problem, has_errors, sorted_problems
from deckgen.project.files import read_for_edit
from deckgen.project.lockfile import format_lock
from deckgen.project.paths import ProjectPaths
from deckgen.project.writer import write_files
from deckgen.sync.plan import build_problems, note_ids_by_guid
from deckgen.sync.pull import FieldEdit, NotePull, plan_pull
from deckgen.sync.state import SyncState, format_state, read_state, state_path
from deckgen.sync.target import Target, opened

@dataclass(frozen=True)
class PullReport:
    """The edits pulled (or that would be), and the notes that could not be."""

    problems: tuple[Problem, ...]
    notes: tuple[NotePull, ...] = ()
    dry_run: bool = False
    wrote: bool = False

    @property
    def edits(self) -> tuple[FieldEdit, ...]:
        return tuple(e for n in self.notes for e in n.edits)

    @property
    def failed(self) -> bool:
        return has_errors(self.problems)


def _edit_card(text: str, shown: str, pull: NotePull) -> tuple[str, tuple[str, ...], Problem | None]:
    """Apply one note's edits to its file's text: its tags, then its values bottom up."""
    card = pull.card
    card_at = (card.location.line, card.location.col)
    tags = card.tags
    if pull.tags is not None:
        text, merged, problem = set_card_tags(text, shown, card_at, list(pull.tags))
        if problem is not None or merged is None:
            return text, tags, problem
        tags = merged
    for edit in sorted(pull.edits, key=lambda e: (e.location.line, e.location.col), reverse=True):
        value_at = (edit.location.line, edit.location.col)
        text, problem = replace_value(text, shown, card_at, value_at, edit.new, keep_final_break=not edit.html)
        if problem is not None:
            return text, tags, problem
    return text, tags, None


def _edit_files(pulls: tuple[NotePull, ...], root: Path) -> tuple[dict[Path, bytes], dict[str, tuple[str, ...]], list[Problem]]:
    """Edit each card file, card by card from the bottom up; a card whose edit fails is left as it was.

    Returns the new file contents, the pulled notes' tags as the next build reads them (by
    key), and the problems.
    """
    by_file: dict[str, list[NotePull]] = defaultdict(list)
    for pull in pulls:
        by_file[pull.card.file].append(pull)
    outputs: dict[Path, bytes] = {}
    pulled: dict[str, tuple[str, ...]] = {}
    problems: list[Problem] = []
    for file, group in by_file.items():
        path = Path(file)
        shown = group[0].card.location.path
        read = read_for_edit(path, shown, root)
        if isinstance(read, Problem):
            problems.append(read)
            continue
        bom, text = read
        changed = False
        for pull in sorted(group, key=lambda p: (p.card.location.line, p.card.location.col), reverse=True):
            edited, tags, problem = _edit_card(text, shown, pull)
            if problem is not None:
                problems.append(problem)
                continue
            text, changed = edited, True
            pulled[pull.entry.key] = tags
        if changed:
            outputs[path] = bom + text.encode("utf-8")
    return outputs, pulled, problems


def run_pull(cards_dir: Path, out_dir: Path, lock_path: Path | None, target: Target, *, dry_run: bool = False,
             now: float | None = None) -> PullReport:
    """Plan the edits from the collection; unless `dry_run`, write them with the lock file and sync state."""
    paths = ProjectPaths.of(cards_dir, out_dir, lock_path)
    project = load_project(paths)
    compilation = compile_project(project, now)
    problems = build_problems((*project.problems, *compilation.problems))
    if has_errors(problems):
        return PullReport(tuple(sorted_problems(problems)), dry_run=dry_run)
    state_file = state_path(paths.out_dir, target.slug)
    _, state, found = read_state(state_file)
    problems += found
    with opened(target, read_only=True) as collection:
        notes = collection.notes_by_guid(note_ids_by_guid(compilation, state))
    plan = plan_pull(compilation, project.lock.entries, state, notes, project.notetypes)
    problems += plan.problems
    outputs, pulled, trouble = _edit_files(plan.notes, paths.root)
    problems += trouble
    done = tuple(n for n in plan.notes if n.entry.key in pulled)
    report = PullReport(tuple(sorted_problems(problems)), done, dry_run)
    if dry_run or not done:
        return report
    by_key = {n.entry.key: n for n in done}
    lock = [by_key[e.key].lock_entry(pulled[e.key]) if e.key in by_key else e for e in compilation.lock]
    outputs[paths.lock_path] = format_lock(lock).encode("utf-8")
    records = {**state.notes, **{n.entry.key: n.record(pulled[n.entry.key]) for n in done}}
    outputs[state_file] = format_state(SyncState(records, state.notetypes), target.label)
    try:
        write_files(outputs)
    except WriteError as exc:
        return PullReport(report.problems + (write_failure(exc, paths.out_dir),), done, dry_run)
    return PullReport(report.problems, done, dry_run, wrote=True)

