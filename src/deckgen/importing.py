"""Run `deckgen import`: the I/O edges around reading a package and writing card files.

Order: refuse a card folder that already has card files (unless merging); read and check the
whole package in a temporary folder; plan the files; build the planned project there with
the real pipeline and compare every note with the original, field by field; only then write
into the project, never over an existing file, and merge the lock file.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from deckgen.apkgfile import Limits, PackageError, extract_collection, extract_media, open_package, read_layout
from deckgen.build import default_lock_path, write_atomically
from deckgen.compile import Compilation, compile_cards, read_cards
from deckgen.importer import ImportPlan, ProjectState, plan_import
from deckgen.lockfile import LockEntry, format_lock, parse_lock
from deckgen.media import MEDIA_FOLDER, MediaLoader
from deckgen.problems import has_errors
from deckgen.projecttypes import FOLDER as NOTETYPE_FOLDER, read_notetypes
from deckgen.sources import display_path, find_card_files, read_sources


@dataclass(frozen=True)
class ImportReport:
    """What an import did, or the one reason it did nothing."""

    error: str | None = None
    notes: int = 0
    cards: int = 0
    card_files: tuple[str, ...] = ()
    notetype_files: tuple[str, ...] = ()
    media_written: int = 0
    media_kept: int = 0
    already_there: int = 0
    skipped: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    merged: bool = False

    @property
    def failed(self) -> bool:
        return self.error is not None


class _Refused(Exception):
    """A reason to write nothing, worded for people."""


def _existing_cards(cards_dir: Path, merge: bool) -> list[Path]:
    found = find_card_files(cards_dir) if cards_dir.is_dir() else []
    if found and not merge:
        shown = ", ".join(display_path(p) for p in found[:5]) + (", ..." if len(found) > 5 else "")
        raise _Refused(f"{display_path(cards_dir)} already holds card files ({shown}); deckgen import never "
                       "overwrites them: import into an empty folder, or add --merge to add the package's "
                       "notes in new files beside them")
    return found


def _project_state(cards_dir: Path, project: Path, existing: list[Path]) -> ProjectState:
    """Collect the ids, GUIDs, file names and note types the project already has."""
    keys: set[str] = set()
    guids: set[str] = set()
    if existing:
        sources, _ = read_sources(cards_dir)
        files, _ = read_cards(sources)
        for card in (card for file in files for card in file.cards):
            keys.add(card.key)
            guids.add(card.guid or "")
    notetypes, problems = read_notetypes(project / NOTETYPE_FOLDER)
    if has_errors(problems):
        raise _Refused(f"the project's note types have problems; run deckgen check first ({problems[0]})")
    folder = project / NOTETYPE_FOLDER
    return ProjectState(
        card_keys=frozenset(keys), guids=frozenset(guids - {""}),
        card_files=frozenset(p.name.casefold() for p in cards_dir.iterdir()) if cards_dir.is_dir() else frozenset(),
        notetype_files=frozenset(p.name.casefold() for p in folder.iterdir()) if folder.is_dir() else frozenset(),
        notetypes=tuple((nt.id, nt.name) for nt in notetypes.values()),
    )


def _stage(plan: ImportPlan, stage: Path, project: Path) -> None:
    """Lay the planned files out as a project in the staging folder, beside the project's note types."""
    (stage / "cards").mkdir(exist_ok=True)
    types = stage / NOTETYPE_FOLDER
    types.mkdir()
    source = project / NOTETYPE_FOLDER
    for path in sorted(source.glob("*.json")) if source.is_dir() else []:
        (types / path.name).write_bytes(path.read_bytes())
    for name, text in plan.card_files:
        (stage / "cards" / name).write_text(text, encoding="utf-8")
    for name, text in plan.notetype_files:
        (types / name).write_text(text, encoding="utf-8")


def _compile_stage(stage: Path, now: float) -> tuple[Compilation, list[str]]:
    """Build the staged project with the real pipeline, exactly as `deckgen build` would; sum up warnings."""
    sources, problems = read_sources(stage / "cards")
    files, found = read_cards(sources)
    notetypes, more = read_notetypes(stage / NOTETYPE_FOLDER)
    compilation = compile_cards(files, {}, now, MediaLoader(stage, stage / "cards" / MEDIA_FOLDER), notetypes)
    everything = problems + found + more + list(compilation.problems)
    errors = [p for p in everything if p.severity == "error"]
    if errors:
        raise _Refused(f"the imported cards would not build ({errors[0]}); please report this as a deckgen bug")
    codes = Counter(p.code for p in everything)
    summary = ", ".join(f"{code}: {count}" for code, count in sorted(codes.items()))
    return compilation, [f"building the imported cards gives warnings ({summary}); deckgen check lists them"] if codes else []


def _check_round_trip(plan: ImportPlan, compilation: Compilation) -> tuple[list[LockEntry], list[str]]:
    """Compare each built note with its original; return the lock entries that keep its identity."""
    built = {s.guid: s.note for p in compilation.packages for s in p.plan.notes}
    entries = {e.key: e for e in compilation.lock}
    lock: list[LockEntry] = []
    extra_cards = 0
    for imported in plan.notes:
        original, note = imported.note, built.get(imported.note.guid)
        if note is None or note.fields != original.fields or note.notetype_id != original.notetype_id:
            raise _Refused(f"note {original.id} would not come back unchanged; please report this as a deckgen bug")
        extra_cards += len(set(note.ordinals) - set(original.ordinals))
        lock.append(replace(entries[imported.key], mod=original.mod, note_id=original.id))
    mods = dict(plan.notetype_mods)
    lock += [replace(e, mod=mods[int(e.key.split("/")[1])]) for e in compilation.lock
             if e.kind == "notetype" and e.key.startswith("@notetype/") and int(e.key.split("/")[1]) in mods]
    warnings = [f"{extra_cards} cards that the notes' templates call for are missing in the package; "
                "the next import of the built package adds them"] if extra_cards else []
    return lock, warnings


def _outputs(plan: ImportPlan, stage: Path, cards_dir: Path, project: Path) -> tuple[dict[Path, bytes], int]:
    """List every file to write (and count media already there); refuse to replace any file."""
    outputs: dict[Path, bytes] = {}
    conflicts: list[str] = []
    for name, text in plan.card_files:
        outputs[cards_dir / name] = text.encode("utf-8")
    for name, text in plan.notetype_files:
        outputs[project / NOTETYPE_FOLDER / name] = text.encode("utf-8")
    conflicts = [display_path(target) for target in outputs if target.exists()]
    kept = 0
    for path in sorted((stage / "cards" / MEDIA_FOLDER).iterdir()):
        target = cards_dir / MEDIA_FOLDER / path.name
        data = path.read_bytes()
        if not target.exists():
            outputs[target] = data
        elif target.is_file() and target.read_bytes() == data:
            kept += 1  # the same file is already there: keep it
        else:
            conflicts.append(display_path(target))
    if conflicts:
        shown = ", ".join(conflicts[:5]) + (", ..." if len(conflicts) > 5 else "")
        raise _Refused(f"these files exist and differ from the package's: {shown}; nothing was written")
    for target in outputs:  # names were checked when read; this makes sure of it
        if target.resolve().parent not in (cards_dir.resolve(), (cards_dir / MEDIA_FOLDER).resolve(),
                                           (project / NOTETYPE_FOLDER).resolve()):
            raise _Refused(f"refusing to write {target}, outside the project")
    return outputs, kept


def _merged_lock(lock_path: Path, new: list[LockEntry]) -> tuple[bytes, bytes | None]:
    """Return the lock file with the imported entries added, and its previous bytes."""
    old = lock_path.read_bytes() if lock_path.is_file() else None
    entries, _ = parse_lock(old.decode("utf-8", "replace") if old else "", display_path(lock_path))
    entries.update({entry.key: entry for entry in new})
    return format_lock(entries.values()).encode("utf-8"), old


def _import(package: Path, cards_dir: Path, merge: bool, lock_path: Path, limits: Limits, now: float) -> ImportReport:
    project = cards_dir.resolve().parent
    existing = _existing_cards(cards_dir, merge)
    with tempfile.TemporaryDirectory(prefix="deckgen-import-") as temp, open_package(package) as archive:
        work = Path(temp)
        layout = read_layout(archive, limits)
        (work / "collection").mkdir()
        extract_collection(archive, layout, work / "collection" / "collection.anki2", limits)
        from deckgen.ankiread import read_collection  # Anki's backend loads only for imports

        collection = read_collection(work / "collection" / "collection.anki2")
        stage = work / "stage"
        (stage / "cards" / MEDIA_FOLDER).mkdir(parents=True)
        extract_media(archive, layout, stage / "cards" / MEDIA_FOLDER, limits)
        plan = plan_import(collection, _project_state(cards_dir, project, existing), package.name)
        if not plan.notes:
            raise _Refused("the package has no notes to import" + (" that the project does not already have" if plan.already_there else ""))
        _stage(plan, stage, project)
        compilation, build_warnings = _compile_stage(stage, now)
        lock, warnings = _check_round_trip(plan, compilation)
        outputs, media_kept = _outputs(plan, stage, cards_dir, project)
        media_written = len(outputs) - len(plan.card_files) - len(plan.notetype_files)
        lock_bytes, old_lock = _merged_lock(lock_path, lock)
        if lock_bytes != old_lock:
            outputs[lock_path] = lock_bytes
        for folder in {target.parent for target in outputs}:
            folder.mkdir(parents=True, exist_ok=True)
        write_atomically(outputs)
    return ImportReport(
        notes=len(plan.notes), cards=sum(len(n.note.ordinals) for n in plan.notes),
        card_files=tuple(display_path(cards_dir / n) for n, _ in plan.card_files),
        notetype_files=tuple(display_path(project / NOTETYPE_FOLDER / n) for n, _ in plan.notetype_files),
        media_written=media_written, media_kept=media_kept, already_there=plan.already_there,
        skipped=plan.skipped, warnings=plan.warnings + tuple(warnings + build_warnings), merged=merge,
    )


def run_import(package: Path, cards_dir: Path, *, merge: bool = False, lock_path: Path | None = None,
               limits: Limits | None = None, now: float | None = None) -> ImportReport:
    """Import an Anki package into a card folder; on any problem, write nothing and say why."""
    lock_path = lock_path or default_lock_path(cards_dir)
    try:
        return _import(package, cards_dir, merge, lock_path, limits or Limits(), time.time() if now is None else now)
    except (PackageError, _Refused) as exc:
        return ImportReport(error=str(exc))
    except OSError as exc:
        return ImportReport(error=f"cannot import: {exc}")

