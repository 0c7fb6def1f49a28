"""`deckgen import`: turn an Anki package into card files, with every note's identity kept.

Order: refuse a card folder that already has card files (unless merging); read and check the
whole package in a temporary folder; plan the files; build the planned project there with
the real pipeline and compare every note with the original, field by field; only then write
into the project, all files or none, never over an existing file, and merge the lock file.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from deckgen.anki.apkg import Limits, extract_collection, extract_media, open_package, read_layout
from deckgen.cardfiles.import_plan import ImportPlan, ProjectState, plan_import
from deckgen.errors import DeckgenError, WriteError
from deckgen.model import Compilation, LockEntry
from deckgen.pipeline import compile_project, load_project
from deckgen.problems import Location, Problem, error, has_errors, warning
from deckgen.project.files import LIMITS, find_card_files, read_bytes, read_text
from deckgen.project.lockfile import format_lock, parse_lock
from deckgen.project.paths import MEDIA_FOLDER, NOTETYPE_FOLDER, ProjectPaths, display_path
from deckgen.project.writer import write_files


@dataclass(frozen=True)
class ImportReport:
    """What an import did, or the problems that made it do nothing."""

    problems: tuple[Problem, ...] = ()
    notes: int = 0
    cards: int = 0
    card_files: tuple[str, ...] = ()
    notetype_files: tuple[str, ...] = ()
    media_written: int = 0
    media_kept: int = 0
    already_there: int = 0
    merged: bool = False

    @property
    def failed(self) -> bool:
        return has_errors(self.problems)


class ImportRefused(DeckgenError):
    """A reason to write nothing, worded for people."""


def _existing_cards(paths: ProjectPaths, merge: bool) -> list[Path]:
    found = find_card_files(paths.cards_dir, paths.root)[0] if paths.cards_dir.is_dir() else []
    if found and not merge:
        shown = ", ".join(display_path(p) for p in found[:5]) + (", ..." if len(found) > 5 else "")
        raise ImportRefused(f"{display_path(paths.cards_dir)} already holds card files ({shown}); deckgen import "
                            "never overwrites them: import into an empty folder, or add --merge to add the "
                            "package's notes in new files beside them")
    return found


def _project_state(paths: ProjectPaths, existing: list[Path]) -> ProjectState:
    """Collect the ids, GUIDs, file names and note types the project already has."""
    project = load_project(paths)
    # An empty or missing card folder is where imports usually go.
    errors = [p for p in project.problems if p.severity == "error"
              and (existing or p.code not in ("no-cards-dir", "no-card-files"))]
    if errors:
        raise ImportRefused(f"the project has problems; run deckgen check first ({errors[0]})")
    cards = list(project.cards) if existing else []
    folder = paths.notetype_dir
    return ProjectState(
        card_keys=frozenset(card.key for card in cards),
        guids=frozenset(card.guid for card in cards if card.guid),
        card_files=frozenset(p.name.casefold() for p in paths.cards_dir.iterdir()) if paths.cards_dir.is_dir() else frozenset(),
        notetype_files=frozenset(p.name.casefold() for p in folder.iterdir()) if folder.is_dir() else frozenset(),
        notetypes=tuple((nt.id, nt.name) for nt in project.notetypes.project),
    )


def _stage(plan: ImportPlan, stage: Path, paths: ProjectPaths) -> None:
    """Lay the planned files out as a project in the staging folder, beside the project's note types."""
    (stage / "cards").mkdir(exist_ok=True)
    types = stage / NOTETYPE_FOLDER
    types.mkdir()
    for path in sorted(paths.notetype_dir.glob("*.json")) if paths.notetype_dir.is_dir() else []:
        text, _ = read_text(path, display_path(path), LIMITS.notetype, paths.root)
        if text is not None:
            (types / path.name).write_text(text, encoding="utf-8")
    for name, text in plan.card_files:
        (stage / "cards" / name).write_text(text, encoding="utf-8")
    for name, text in plan.notetype_files:
        (types / name).write_text(text, encoding="utf-8")


def _compile_stage(stage: Path, now: float, where: Location) -> tuple[Compilation, list[Problem]]:
    """Build the staged project with the real pipeline, exactly as `deckgen build` would; sum up warnings."""
    project = load_project(ProjectPaths.of(stage / "cards", stage / "build"))
    compilation = compile_project(project, now)
    everything = [*project.problems, *compilation.problems]
    errors = [p for p in everything if p.severity == "error"]
    clash = next((p for p in errors if p.code == "package-name-clash"), None)
    if clash is not None:  # the package's own deck names, not a deckgen bug
        raise ImportRefused(f"the package's {clash.message.split('; ')[0]}: deckgen builds one package per "
                            "top-level deck, named after it; rename one of those decks in Anki and export again")
    if errors:
        raise ImportRefused(f"the imported cards would not build ({errors[0]}); please report this as a deckgen bug")
    codes = Counter(p.code for p in everything)
    summary = ", ".join(f"{code}: {count}" for code, count in sorted(codes.items()))
    found = [warning(where, "import-build-warnings", f"building the imported cards gives warnings ({summary}); "
                     "deckgen check lists them")] if codes else []
    return compilation, found


def _check_round_trip(plan: ImportPlan, compilation: Compilation, where: Location) -> tuple[list[LockEntry], list[Problem]]:
    """Compare each built note with its original; return the lock entries that keep its identity."""
    built = {s.guid: s.note for s in compilation.notes}
    entries = {e.key: e for e in compilation.lock}
    lock: list[LockEntry] = []
    extra_cards = 0
    for imported in plan.notes:
        original, note = imported.note, built.get(imported.note.guid)
        if note is None or note.fields != original.fields or note.notetype_id != original.notetype_id:
            raise ImportRefused(f"note {original.id} would not come back unchanged; please report this as a deckgen bug")
        extra_cards += len(set(note.ordinals) - set(original.ordinals))
        lock.append(entries[imported.key]._replace(mod=original.mod, note_id=original.id))
    mods = dict(plan.notetype_mods)
    lock += [e._replace(mod=mods[int(e.key.split("/")[1])]) for e in compilation.lock
             if e.kind == "notetype" and e.key.startswith("@notetype/") and int(e.key.split("/")[1]) in mods]
    found = [warning(where, "import-missing-cards", f"{extra_cards} cards that the notes' templates call for are "
                     "missing in the package; the next import of the built package adds them")] if extra_cards else []
    return lock, found


def _outputs(plan: ImportPlan, stage: Path, paths: ProjectPaths) -> tuple[dict[Path, bytes], int]:
    """List every file to write (and count media already there); refuse to replace any file."""
    outputs: dict[Path, bytes] = {}
    for name, text in plan.card_files:
        outputs[paths.cards_dir / name] = text.encode("utf-8")
    for name, text in plan.notetype_files:
        outputs[paths.notetype_dir / name] = text.encode("utf-8")
    conflicts = [display_path(target) for target in outputs if target.exists() or target.is_symlink()]
    kept = 0
    media_dir = paths.cards_dir / MEDIA_FOLDER
    for path in sorted((stage / "cards" / MEDIA_FOLDER).iterdir()):
        target = media_dir / path.name
        data = path.read_bytes()
        existing, _ = read_bytes(target, display_path(target), LIMITS.media, paths.root)
        if existing is None and not (target.exists() or target.is_symlink()):
            outputs[target] = data
        elif existing == data:
            kept += 1  # the same file is already there: keep it
        else:
            conflicts.append(display_path(target))
    if conflicts:
        shown = ", ".join(conflicts[:5]) + (", ..." if len(conflicts) > 5 else "")
        raise ImportRefused(f"these files exist and differ from the package's: {shown}; nothing was written")
    allowed = {paths.cards_dir.resolve(), media_dir.resolve(), paths.notetype_dir.resolve()}
    for target in outputs:  # names were checked when read; this makes sure of it
        if target.resolve().parent not in allowed:
            raise ImportRefused(f"refusing to write {display_path(target)}, outside the project")
    return outputs, kept


def _merged_lock(lock_path: Path, new: list[LockEntry]) -> tuple[bytes, bytes | None]:
    """Return the lock file with the imported entries added, and its previous bytes."""
    old, problem = read_bytes(lock_path, display_path(lock_path), LIMITS.lock)
    if problem is not None:
        raise ImportRefused(f"cannot read the lock file: {problem.message}")
    entries, _ = parse_lock(old.decode("utf-8", "replace") if old else "", display_path(lock_path))
    entries.update({entry.key: entry for entry in new})
    return format_lock(entries.values()).encode("utf-8"), old


def _import(package: Path, paths: ProjectPaths, merge: bool, limits: Limits, now: float) -> ImportReport:
    where = Location(display_path(package))
    existing = _existing_cards(paths, merge)
    state = _project_state(paths, existing)
    with tempfile.TemporaryDirectory(prefix="deckgen-import-") as temp, open_package(package) as archive:
        work = Path(temp)
        layout = read_layout(archive, limits)
        (work / "collection").mkdir()
        extract_collection(archive, layout, work / "collection" / "collection.anki2", limits)
        from deckgen.anki.package_reader import read_collection  # Anki's backend loads only for imports

        collection = read_collection(work / "collection" / "collection.anki2")
        stage = work / "stage"
        (stage / "cards" / MEDIA_FOLDER).mkdir(parents=True)
        extract_media(archive, layout, stage / "cards" / MEDIA_FOLDER, limits)
        plan = plan_import(collection, state, package.name)
        del collection  # the plan keeps what it needs of it
        if not plan.notes:
            raise ImportRefused("the package has no notes to import"
                                + (" that the project does not already have" if plan.already_there else ""))
        _stage(plan, stage, paths)
        compilation, build_warnings = _compile_stage(stage, now, where)
        lock, round_trip_warnings = _check_round_trip(plan, compilation, where)
        # Checked: the staged build is not needed any more, and freeing it first keeps the
        # peak lower while every file's bytes are made and written.
        del compilation
        outputs, media_kept = _outputs(plan, stage, paths)
        media_written = len(outputs) - len(plan.card_files) - len(plan.notetype_files)
        lock_bytes, old_lock = _merged_lock(paths.lock_path, lock)
        if lock_bytes != old_lock:
            outputs[paths.lock_path] = lock_bytes
        write_files(outputs)
    problems = [warning(where, "import-note-skipped", f"skipped {text}") for text in plan.skipped]
    problems += [warning(where, "import-split-note", text) for text in plan.warnings]
    return ImportReport(
        problems=tuple(problems + build_warnings + round_trip_warnings),
        notes=len(plan.notes), cards=sum(len(n.note.ordinals) for n in plan.notes),
        card_files=tuple(display_path(paths.cards_dir / n) for n, _ in plan.card_files),
        notetype_files=tuple(display_path(paths.notetype_dir / n) for n, _ in plan.notetype_files),
        media_written=media_written, media_kept=media_kept, already_there=plan.already_there, merged=merge,
    )


def run_import(package: Path, cards_dir: Path, *, merge: bool = False, lock_path: Path | None = None,
               limits: Limits | None = None, now: float | None = None) -> ImportReport:
    """Import an Anki package into a card folder; on any problem, write nothing and say why."""
    paths = ProjectPaths.of(cards_dir, lock_path=lock_path)
    where = Location(display_path(package))
    try:
        return _import(package, paths, merge, limits or Limits(), time.time() if now is None else now)
    except WriteError as exc:  # every file is as it was
        at = Location(display_path(exc.path)) if exc.path is not None else where
        return ImportReport(problems=(error(at, "cannot-write", exc.message),))
    except DeckgenError as exc:
        return ImportReport(problems=(error(where, "import-refused", exc.message),))
    except OSError as exc:
        return ImportReport(problems=(error(where, "import-refused", f"cannot import: {exc.strerror or exc}"),))
