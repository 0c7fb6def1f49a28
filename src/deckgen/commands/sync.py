"""`deckgen sync`: build, then bring the collection in step with the cards, showing the plan first.

Order: load and compile exactly as a build does (errors: stop before the collection is
opened); open the collection (refused while Anki holds it); read the notes and the sync
state; plan; with `--dry-run` stop there. Otherwise back up, apply, and only then write the
packages, the lock file and the new sync state together, all or nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from deckgen.commands.build import target_problems, write_failure
from deckgen.errors import WriteError
from deckgen.pipeline import compile_project, load_project, write_build
from deckgen.problems import Location, Problem, error, has_errors, sorted_problems, warning
from deckgen.project.paths import ProjectPaths, display_path
from deckgen.project.writer import unwritable
from deckgen.sync.apply import apply_plan, next_state
from deckgen.sync.plan import RemovedMode, SyncPlan, build_problems, note_ids_by_guid, plan_sync, removal_candidates
from deckgen.sync.state import format_state, read_state, state_path
from deckgen.sync.target import Target, opened


@dataclass(frozen=True)
class SyncReport:
    """A sync's plan and what came of it."""

    problems: tuple[Problem, ...]
    target: str
    plan: SyncPlan | None = None
    dry_run: bool = False
    applied: bool = False
    backup: str | None = None
    ankiconnect: bool = False
    direct: int = 0  # notes set directly because the importer skipped them

    @property
    def failed(self) -> bool:
        return has_errors(self.problems)


def plan_problems(plan: SyncPlan) -> list[Problem]:
    """Conflicts as errors and edits made in Anki as warnings, each at its card."""
    problems = []
    for n in plan.notes:
        if n.retyped:
            problems.append(error(n.location, "sync-conflict",
                                  f"card '{n.card_id}': its note type was changed in Anki, so the card cannot be "
                                  "written into it; give the card a new id, or change the note type back in Anki"))
        elif n.action == "conflict":
            problems.append(error(n.location, "sync-conflict",
                                  f"card '{n.card_id}' was edited in Anki and in its card file; the collection keeps "
                                  "Anki's text (deckgen pull brings it into the file, --force writes the file's)"))
        elif n.action == "edited":
            problems.append(warning(n.location, "edited-in-anki",
                                    f"card '{n.card_id}' was edited in Anki; left as it is there "
                                    "(deckgen pull brings the edit into its card file)"))
    return problems


def run_sync(cards_dir: Path, out_dir: Path, lock_path: Path | None, target: Target, *, dry_run: bool = False,
             removed: RemovedMode = "suspend", force: bool = False, now: float | None = None) -> SyncReport:
    """Build, plan against the collection, and (unless `dry_run`) apply the plan."""
    paths = ProjectPaths.of(cards_dir, out_dir, lock_path)
    project = load_project(paths)
    compilation = compile_project(project, now)
    problems = build_problems((*project.problems, *compilation.problems))
    problems += target_problems(project, compilation)
    state_file = state_path(paths.out_dir, target.slug)
    reason = unwritable(state_file)
    if reason is not None and not dry_run:
        shown = display_path(state_file)
        problems.append(error(Location(shown), "cannot-write", f"cannot write {shown}: {reason}"))
    if has_errors(problems):
        return SyncReport(tuple(sorted_problems(problems)), target.label, ankiconnect=target.ankiconnect)
    old_bytes, state, found = read_state(state_file)
    problems += found
    previous = project.lock.entries
    # A dry run reads a copy: opening the file itself would upgrade an older collection's schema.
    with opened(target, read_only=dry_run) as collection:
        candidates = removal_candidates(compilation, previous, state)
        built_notes = collection.notes_by_guid(note_ids_by_guid(compilation, state))
        removed_notes = collection.notes_by_id(c.note_id for c in candidates)
        plan = plan_sync(compilation, previous, state, built_notes, removed_notes, candidates,
                         removed_mode=removed, force=force)
        problems += plan_problems(plan)
        report = SyncReport(tuple(sorted_problems(problems)), target.label, plan, dry_run,
                            ankiconnect=target.ankiconnect)
        if dry_run:
            return report
        from deckgen.anki.package import package_bytes

        applied = apply_plan(collection, plan, compilation, package_bytes)
    new_state = format_state(next_state(plan, applied, state), target.label)
    also = {state_file: new_state} if new_state != old_bytes else {}
    backup = display_path(applied.backup) if applied.backup else None
    try:
        write_build(project, compilation, also=also)
    except WriteError as exc:
        failure = write_failure(exc, paths.out_dir)
        return dataclasses.replace(report, problems=report.problems + (failure,), applied=plan.changes, backup=backup,
                                   direct=applied.direct)
    return dataclasses.replace(report, applied=plan.changes, backup=backup, direct=applied.direct)
