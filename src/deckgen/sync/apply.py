"""Carry out a sync plan on a collection, and say what the sync state becomes.

Anki's importer adds the new notes and updates the changed ones, with scheduling untouched;
it is given a package of just those notes, so a note the plan leaves alone (edited in Anki, a
conflict) is never offered to it. The importer skips a note whose time is not strictly newer
than the collection's (even one equal to it), so afterwards every written note is read back
and set directly where it still differs. Then cards are moved, restored and removed.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Mapping

from deckgen.anki.collection import AnkiCollection, CollectionError, CollectionNote
from deckgen.model import Compilation, PackagePlan
from deckgen.project.paths import display_path
from deckgen.sync.compare import REMOVED_TAG, fields_hash, same_fields, tag_set
from deckgen.sync.plan import NotePlan, SyncPlan
from deckgen.sync.state import NoteRecord, SyncState

Packager = Callable[[PackagePlan], bytes]


@dataclass(frozen=True)
class Applied:
    """What applying a plan did."""

    backup: Path | None
    note_ids: Mapping[str, int]  # each written note's id in the collection, by card key
    direct: int  # notes whose fields or tags were set directly, the importer having skipped them
    notetypes: frozenset[int] = frozenset()  # note types offered to the importer


def _packages(plan: SyncPlan, compilation: Compilation) -> tuple[list[PackagePlan], frozenset[int]]:
    """Package plans holding only the notes the sync writes, and the note types they carry.

    A note type changed since it was last sent travels with one unchanged note that uses it (the
    importer takes note types with notes, and leaves an unchanged note as it is).
    """
    writing = {n.key for n in plan.notes if n.writes_text}
    carriers: dict[int, str] = {}
    for deck in plan.decks:
        for n in deck.notes:
            if n.action == "unchanged" and n.notetype_id in deck.notetypes:
                carriers.setdefault(n.notetype_id, n.key)
    chosen = writing | set(carriers.values())
    plans = []
    sent: set[int] = set()
    for planned in compilation.packages:
        notes = tuple(s for s in planned.plan.notes if s.note.key in chosen)
        if notes:
            plans.append(replace(planned.plan, notes=notes))
            sent.update(s.note.notetype_id for s in notes)
    return plans, frozenset(sent)


def _import(collection: AnkiCollection, plans: list[PackagePlan], packager: Packager) -> None:
    """Hand each plan to Anki's importer as a package file in a private temporary folder.

    The importer takes only a path; these files are scratch, not outputs of the project, so
    they skip the project writer (nothing to keep all-or-nothing) and are removed at once.
    """
    folder = Path(tempfile.mkdtemp(prefix="deckgen-sync-"))
    try:
        for number, package in enumerate(plans):
            path = folder / f"sync-{number}.apkg"
            path.write_bytes(packager(package))
            collection.import_package(path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _by_tag(pairs: Iterable[tuple[int, str]]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = defaultdict(list)
    for note_id, tag in pairs:
        grouped[tag].append(note_id)
    return grouped


def _settle(collection: AnkiCollection, written: list[NotePlan], found: Mapping[str, CollectionNote]) -> int:
    """Set fields and tags directly where the importer left a written note different."""
    direct: set[int] = set()
    add: list[tuple[int, str]] = []
    drop: list[tuple[int, str]] = []
    for n in written:
        note = found.get(n.guid)
        if note is None or len(note.fields) != len(n.fields):
            continue  # not added (another note type holds its GUID): the importer said why
        if not same_fields(note.fields, n.fields):
            collection.update_fields(note.id, n.fields)
            direct.add(note.id)
        wanted = tag_set(n.tags)
        if tag_set(note.tags) != wanted:
            have = tag_set(note.tags)
            add += [(note.id, t) for t in n.tags if t.casefold() not in have]
            drop += [(note.id, t) for t in note.tags if t.casefold() not in wanted and t.casefold() != REMOVED_TAG]
            direct.add(note.id)
    for tag, ids in _by_tag(add).items():
        collection.add_tag(ids, tag)
    for tag, ids in _by_tag(drop).items():
        collection.remove_tag(ids, tag)
    return len(direct)


def apply_plan(collection: AnkiCollection, plan: SyncPlan, compilation: Compilation, packager: Packager) -> Applied:
    """Apply a plan: back up, import, settle, move, restore, remove. Nothing at all when it changes nothing."""
    if not plan.changes:
        return Applied(None, {}, 0)
    backup = collection.backup()
    try:
        return _apply(collection, plan, compilation, packager, backup)
    except CollectionError as exc:
        kept = f"; the collection was backed up before the first change: {display_path(backup)}" if backup else ""
        raise CollectionError(f"{exc}{kept}") from None


def _apply(collection: AnkiCollection, plan: SyncPlan, compilation: Compilation, packager: Packager,
           backup: Path | None) -> Applied:
    written = [n for n in plan.notes if n.writes_text]
    packages, sent = _packages(plan, compilation)
    _import(collection, packages, packager)
    found = collection.notes_by_guid({n.guid: n.note_id for n in written}) if written else {}
    direct = _settle(collection, written, found)
    moves: dict[str, list[int]] = defaultdict(list)
    for n in plan.notes:
        moves[n.deck].extend(n.move)
    for deck, cards in sorted(moves.items()):
        if cards:
            collection.move_cards(cards, deck)
    restored = [n for n in plan.notes if n.restore]
    if restored:
        collection.unsuspend([c for n in restored for c in n.restore])
        collection.remove_tag([n.note_id for n in restored], REMOVED_TAG)
    removing = [r for deck in plan.decks for r in deck.to_remove]
    if removing and plan.removed_mode == "delete":
        collection.delete_notes([r.note_id for r in removing])
    elif removing:
        collection.suspend([c for r in removing for c in r.unsuspended])
        collection.add_tag([r.note_id for r in removing], REMOVED_TAG)
    return Applied(backup, {n.key: found[n.guid].id for n in written if n.guid in found}, direct, sent)


def _written(n: NotePlan, note_id: int) -> NoteRecord:
    return NoteRecord(n.guid, note_id, fields_hash(n.fields), tuple(sorted(tag_set(n.tags))), n.deck)


def next_state(plan: SyncPlan, applied: Applied, before: SyncState) -> SyncState:
    """The sync state after a plan was applied: what deckgen has now written into the collection."""
    note_ids = applied.note_ids
    changed = {i for deck in plan.decks for i in deck.notetypes}
    notetypes = {key: digest for key, digest in plan.notetypes.items()
                 if int(key.rpartition("/")[2]) not in changed - applied.notetypes}
    for key, digest in (before.notetypes or {}).items():
        notetypes.setdefault(key, digest)  # not sent this time (or no longer used): as last sent
    records: dict[str, NoteRecord] = {}
    for n in plan.notes:
        if n.action in ("new", "update", "unchanged"):
            records[n.key] = _written(n, note_ids.get(n.key, n.note_id))
        elif n.record is not None:  # edited in Anki, or a conflict: still what deckgen wrote last
            records[n.key] = replace(n.record, note_id=n.note_id, deck=n.deck if n.action == "edited" else n.record.deck)
        elif n.action == "edited":  # no state yet: the build is what the lock file says was written
            records[n.key] = _written(n, n.note_id)
        else:  # a conflict with no state: what was written is unknown, so it stays a conflict
            records[n.key] = replace(_written(n, n.note_id), fields="", deck=n.deck)
    if plan.removed_mode != "delete":
        for deck in plan.decks:
            acted = {r.key for r in deck.to_remove}
            for r in deck.removed:
                suspended = r.record.suspended if r.record.removed else ()
                if r.key in acted and plan.removed_mode == "suspend":
                    suspended = tuple(sorted({*suspended, *r.unsuspended}))
                records[r.key] = replace(r.record, note_id=r.note_id, removed=True, suspended=suspended)
    return SyncState(records, notetypes)
