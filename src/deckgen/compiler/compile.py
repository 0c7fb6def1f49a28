"""The pure middle of a build: rendered notes, the lock file and media in; package plans out.

Nothing here reads or writes a file: the loader has read the card files, the lock file, the
note types and every media file the notes name; compiling is a function of those and the clock.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace
from typing import Iterable, Mapping, Sequence

from deckgen.anki.notetypes import NoteTypes
from deckgen.anki.package import plan_digest
from deckgen.compiler.notes import link_media
from deckgen.compiler.stamp import REMOVED, Stamper
from deckgen.model import (
    Card, Compilation, LockEntry, MediaFile, MediaIndex, Note, PackagePlan, PackageSummary, ParsedFile, PlannedPackage,
    StampedNote,
)
from deckgen.names import package_filename, top_level
from deckgen.problems import Problem, error, warning

def _linked(notes: Iterable[Note], media: MediaIndex) -> tuple[list[Note], dict[str, bytes], list[Problem]]:
    """Name the bundled files in every note's fields; report references that could not be read."""
    linked: list[Note] = []
    files: dict[str, bytes] = {}
    problems: list[Problem] = []
    for note in notes:
        if not note.media:
            linked.append(note)
            continue
        found: dict[tuple[str, str, str], MediaFile] = {}
        for ref in note.media:
            loaded = media.get(ref.key)
            if isinstance(loaded, MediaFile):
                found[ref.key] = loaded
                files[loaded.name] = loaded.data
            elif loaded is not None:
                problems.append(loaded.at(ref.location))
        linked.append(link_media(note, found))
    return linked, files, problems


def _guid_problems(notes: Iterable[Note]) -> list[Problem]:
    """Report two cards with one GUID when either is explicit (equal derived ones are equal ids, reported already)."""
    seen: dict[str, Card] = {}
    problems = []
    for note in notes:
        guid = note.guid
        first = seen.setdefault(guid, note.card)
        if first is not note.card and (first.guid or note.card.guid):
            message = (f"card '{note.card.id}' has the same note identity (guid {guid}) as card '{first.id}' at "
                       f"{first.location}; Anki would merge them into one note")
            problems.append(error(note.card.location, "duplicate-guid", message))
    return problems


def lock_kind(note: Note, own_ids: frozenset[int]) -> str:
    """Name a note's kind for the lock file: a project note type's id is part of it."""
    if note.notetype_id in own_ids:
        return note.card.kind
    return f"{note.card.kind}@{note.notetype_id}"


def _stamp_problems(card: Card, old: LockEntry, kind: str) -> list[Problem]:
    """Warn about edits a re-import cannot apply, and refuse the one that would be lost."""
    if old.kind and old.kind != kind:  # recovered entries (see lockfile.recover_entries) have none
        was, now = (old.kind, kind) if "@" not in old.kind + kind else ("a different note type's", "another's")
        message = (f"card '{card.id}' was a {was} card and is now {now}; Anki cannot change "
                   f"the type of an imported note, so give this card a new id")
        return [error(card.location, "kind-changed", message)]
    if old.deck != card.deck:
        found = f"search nid:{old.note_id}" if old.note_id > 0 else "select it"
        message = (f"card '{card.id}' moved from deck '{old.deck}' to '{card.deck}'; re-importing does not "
                   f"move cards Anki already has: in Anki's browser, {found} and use Change Deck")
        return [warning(card.location, "deck-moved", message)]
    return []


def compile_cards(
    files: Sequence[ParsedFile], previous: Mapping[str, LockEntry], notetypes: NoteTypes, media: MediaIndex,
    now: float, on_disk: Mapping[str, str] | None = None, kept: Sequence[PackageSummary] = (),
) -> Compilation:
    """Link, stamp and group rendered notes into one package plan per top-level deck.

    `previous` is the lock file's entries, `media` what each media reference resolved to, and
    `on_disk` the plan digest of each package already in the output folder (by file name).
    `kept` sums up the packages of top-level decks whose notes are not in `files` because they
    would stamp and package exactly as the last build did: their lock lines are kept as they are.
    """
    notes, media_files, problems = _linked((note for file in files for note in file.notes), media)
    problems.extend(_guid_problems(notes))
    stamper = Stamper(previous, now)
    own_ids = notetypes.own_ids

    notetype_mods: dict[int, int] = {}
    lock: list[LockEntry] = []
    for nt in notetypes.every:
        entry, _ = stamper.stamp(f"@notetype/{nt.id}", nt.content_hash, "notetype", nt.name, with_id=False)
        notetype_mods[nt.id] = entry.mod
        lock.append(entry)

    kept_decks = {summary.deck for summary in kept}
    kept_lines = [e for e in previous.values() if e.kind != "notetype" and e.hash != REMOVED
                  and top_level(e.deck) in kept_decks] if kept_decks else []
    stamper.keep(kept_lines)
    lock += kept_lines

    by_deck: dict[str, list[StampedNote]] = defaultdict(list)
    for note in notes:
        card = note.card
        key, kind = note.key, lock_kind(note, own_ids)
        old = previous.get(key)
        if old is not None:
            problems.extend(_stamp_problems(card, old, kind))
        entry, status = stamper.stamp(key, note.content_hash, kind, card.deck)
        lock.append(entry)
        by_deck[card.top_deck].append(StampedNote(note, note.guid, entry.note_id, entry.mod, status))

    packages: list[PlannedPackage] = []
    filenames: dict[str, str] = {}
    project_types = {nt.id: nt for nt in notetypes.project}
    for top_deck in sorted(by_deck):
        stamped = by_deck[top_deck]
        filename = package_filename(top_deck)
        if filename in filenames:
            first = by_deck[filenames[filename]][0].note.card
            message = f"decks '{filenames[filename]}' and '{top_deck}' would both be written to {filename}; rename one"
            problems.append(error(first.location, "package-name-clash", message))
        filenames[filename] = top_deck
        kinds = {s.note.card.kind for s in stamped if s.note.notetype_id in own_ids}
        used = sorted({s.note.notetype_id for s in stamped} & project_types.keys())
        names = {ref.name for s in stamped for ref in s.note.media if ref.name}
        bundled = {name: media_files[name] for name in names}
        for ref in (ref for i in used for ref in project_types[i].media_refs):
            loaded = media.get(ref.key)
            if isinstance(loaded, MediaFile):
                bundled[loaded.name] = loaded.data
        plan = PackagePlan(
            top_deck=top_deck,
            decks=tuple(sorted({s.note.card.deck for s in stamped})),
            notes=tuple(stamped),
            notetypes=tuple((nt, notetype_mods[nt.id]) for nt in notetypes.own if nt.kind in kinds)
            + tuple((project_types[i], notetype_mods[i]) for i in used),
            media=tuple(sorted(bundled.items())),
        )
        counts = Counter(s.status for s in stamped)
        digest = plan_digest(plan)
        packages.append(PlannedPackage(filename, plan, counts["new"], counts["changed"], counts["unchanged"], digest,
                                       current=(on_disk or {}).get(filename) == digest))

    current = {entry.key for entry in lock}
    gone = [e for _, e in sorted(previous.items()) if e.key not in current and e.kind != "notetype"]
    # A removed card keeps its line, marked removed: should it come back, its time still moves
    # past the one Anki has, and its note id stays its own.
    lock += [e._replace(hash=REMOVED) for e in gone]
    removed = tuple(e for e in gone if e.hash != REMOVED)  # removed by this build
    unchanged = tuple(replace(s, new=0, changed=0, unchanged=s.notes) for s in kept)
    compilation = Compilation(tuple(packages), tuple(lock), removed, tuple(problems), kept=unchanged)
    warnings = rename_warnings(compilation) + id_change_warnings(compilation)
    return replace(compilation, problems=compilation.problems + tuple(warnings))


def rename_warnings(compilation: Compilation) -> list[Problem]:
    """Warn when a new top-level deck reuses the card ids of one that vanished: a likely rename.

    A card's identity includes its top-level deck, so renaming that deck makes Anki add every
    card again as a new note, with the review history left on the old ones.
    """
    gone: dict[str, set[str]] = defaultdict(set)
    for entry in compilation.removed:
        top = top_level(entry.deck)
        if entry.key.startswith(top + "/"):  # scoped by its deck, not by a namespace
            gone[top].add(entry.key[len(top) + 1:])
    problems: list[Problem] = []
    for planned in compilation.packages:
        stamped = planned.plan.notes
        if not gone or planned.new != len(stamped):
            continue
        ids = {s.note.card.id for s in stamped}
        for old_top, old_ids in sorted(gone.items()):
            shared = len(ids & old_ids)
            if shared * 2 >= len(ids):
                first = stamped[0].note.card
                message = (f"deck '{old_top}' is gone and '{planned.plan.top_deck}' reuses {shared} of its card ids: "
                           f"if you renamed the top-level deck, Anki would add these cards as new notes and keep "
                           f"the review history on the old ones; add `namespace: {old_top}` to the renamed deck's "
                           f"card files to keep their identity")
                problems.append(warning(first.location, "deck-renamed", message))
    return problems


def id_change_warnings(compilation: Compilation) -> list[Problem]:
    """Warn when a new card has exactly the content of one removed in the same build: a changed id.

    The id is the note's identity, so Anki would add the card as a new note and keep the review
    history on the old one.
    """
    removed = {entry.hash: entry for entry in compilation.removed}
    if not removed:
        return []
    problems: list[Problem] = []
    for stamped in compilation.notes:
        old = removed.get(stamped.note.content_hash) if stamped.status == "new" else None
        if old is not None:
            card = stamped.note.card
            message = (f"card '{card.id}' has the content of removed card '{old.key}': if you changed its id, "
                       f"Anki would add it as a new note without its review history; change the id back")
            problems.append(warning(card.location, "id-changed", message))
    return problems
