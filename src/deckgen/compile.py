"""The pure middle of the pipeline: source texts and lock entries in, package plans out."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from deckgen.identity import content_hash, guid_for
from deckgen.lockfile import REMOVED, LockEntry, Stamper
from deckgen.media import MediaFile, MediaLoader, attach_media
from deckgen.model import Card, MediaRef, Note, StampedNote, top_level
from deckgen.notetypes import NOTETYPES
from deckgen.package import PackagePlan
from deckgen.problems import Problem, error, warning
from deckgen.progress import ProgressFn, no_progress
from deckgen.projecttypes import ProjectNoteType
from deckgen.render import render_card
from deckgen.sources import SourceFile
from deckgen.validate import FileCards, check_unique_ids, validate_file
from deckgen.yamlread import Node, parse_yaml


_OWN_TYPE_IDS = frozenset(nt.id for nt in NOTETYPES.values())


@dataclass(frozen=True)
class PlannedPackage:
    """A package to write, with the counts the build summary reports."""

    filename: str
    plan: PackagePlan
    new: int
    changed: int
    unchanged: int


@dataclass(frozen=True)
class Compilation:
    """Everything a build would write, and every problem found on the way."""

    packages: tuple[PlannedPackage, ...]
    lock: tuple[LockEntry, ...]
    removed: tuple[LockEntry, ...]
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class ParsedFile:
    """A card file's source, its located YAML nodes and its validated cards."""

    source: SourceFile
    root: Node
    cards: FileCards


def _parse(source: SourceFile) -> tuple[Node | None, FileCards | None, list[Problem]]:
    """Parse and validate one source file: its nodes and cards (None when it is not YAML at all)."""
    root, problems = parse_yaml(source.text, source.display)
    if root is None:
        return None, None, problems
    cards, found = validate_file(root, source.display)
    return root, cards, problems + found


def read_card_file(source: SourceFile) -> tuple[FileCards | None, list[Problem]]:
    """Parse and validate one source file, keeping only its cards (what the build cache stores)."""
    _, cards, problems = _parse(source)
    return cards, problems


def parse_files(sources: list[SourceFile], progress: ProgressFn = no_progress) -> tuple[list[ParsedFile], list[Problem]]:
    """Parse and validate every source file, keeping its nodes too (lint reads them), and check ids."""
    parsed: list[ParsedFile] = []
    problems: list[Problem] = []
    for number, source in enumerate(sources, start=1):
        progress("reading cards", number, len(sources))
        root, cards, found = _parse(source)
        problems.extend(found)
        if root is not None and cards is not None:
            parsed.append(ParsedFile(source, root, cards))
    problems.extend(check_unique_ids([file.cards for file in parsed]))
    return parsed, problems


def read_cards(
    sources: list[SourceFile],
    read_file: Callable[[SourceFile], tuple[FileCards | None, list[Problem]]] = read_card_file,
    progress: ProgressFn = no_progress,
) -> tuple[list[FileCards], list[Problem]]:
    """Parse and validate every source file (through `read_file`), then check ids across files."""
    files: list[FileCards] = []
    problems: list[Problem] = []
    for number, source in enumerate(sources, start=1):
        progress("reading cards", number, len(sources))
        cards, found = read_file(source)
        problems.extend(found)
        if cards is not None:
            files.append(cards)
    problems.extend(check_unique_ids(files))
    return files, problems


def package_filename(top_deck: str) -> str:
    """Name a package file after its deck: lower case, words joined by dashes."""
    slug = re.sub(r"[^\w]+", "-", top_deck.casefold()).strip("-_")
    return f"{slug or 'deck'}.apkg"


def _guid_problems(notes: list[tuple[Note, str]]) -> list[Problem]:
    """Report an explicit guid that another card already has."""
    seen: dict[str, Card] = {}
    problems = []
    for note, guid in notes:
        if note.card.guid is None:
            continue  # derived guids clash only when ids do, which is reported already
        first = seen.setdefault(guid, note.card)
        if first is not note.card:
            message = f"card '{note.card.id}' has the same guid as '{first.id}' at {first.location}"
            problems.append(error(note.card.location, "duplicate-guid", message))
    return problems


def lock_kind(note: Note) -> str:
    """Name a note's kind for the lock file: a project note type's id is part of it."""
    if note.notetype_id in _OWN_TYPE_IDS:
        return note.card.kind
    return f"{note.card.kind}@{note.notetype_id}"


def _stamp_problems(card: Card, old: LockEntry | None, kind: str | None = None) -> list[Problem]:
    """Warn about edits a re-import cannot apply, and refuse the one that would be lost."""
    if old is None:
        return []
    kind = kind or card.kind
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


def _render_all(files: list[FileCards], media: MediaLoader,
                notetypes: dict[str, ProjectNoteType]) -> tuple[list[Note], dict[str, bytes], list[Problem]]:
    """Render every card and bring in the media files its text names."""
    notes: list[Note] = []
    problems: list[Problem] = []
    for card in (card for file in files for card in file.cards):
        if card.notetype is not None:
            from deckgen.render_typed import render_typed_card

            typed, found = render_typed_card(card, notetypes)
            notes.extend([typed] if typed else [])
            problems.extend(found)
            continue
        note, found = render_card(card)
        notes.append(note)
        problems.extend(found)
    notes, media_files, found = attach_media(notes, media)
    # A file-level source is rendered for each of its cards: report what it causes once.
    return notes, media_files, list(dict.fromkeys(problems + found))


def _package_media(stamped: list[StampedNote], media_files: dict[str, bytes]) -> tuple[tuple[str, bytes], ...]:
    """List the media files a package's notes use, by name."""
    names = sorted({ref.name for s in stamped for ref in s.note.media if ref.name})
    return tuple((name, media_files[name]) for name in names)


def _template_media(types: list[ProjectNoteType], media: MediaLoader) -> tuple[tuple[str, bytes], ...]:
    """Bundle the `_` media files (fonts, scripts) that project note types' templates use, when present."""
    found: dict[str, bytes] = {}
    for nt in types:
        for name in nt.template_media:
            loaded = media.load(MediaRef("image", name, nt.location.path, nt.location, verbatim=True))
            if isinstance(loaded, MediaFile):
                found[loaded.name] = loaded.data
    return tuple(sorted(found.items()))


def compile_cards(
    files: list[FileCards], previous: dict[str, LockEntry], now: float, media: MediaLoader | None = None,
    notetypes: dict[str, ProjectNoteType] | None = None,
) -> Compilation:
    """Render, stamp and group validated cards into one package plan per top-level deck.

    Media paths resolve through `media` (by default, files below the current folder);
    `notetypes` are the project's own note types, by name.
    """
    stamper = Stamper(previous, now)
    notetypes = notetypes or {}
    media = media or MediaLoader(Path.cwd())
    notes, media_files, problems = _render_all(files, media, notetypes)
    # Each card's top-level deck once: Card.top_deck splits the deck name on every access.
    tops = [note.card.top_deck for note in notes]
    scopes = [note.card.namespace or top for note, top in zip(notes, tops)]  # Card.scope
    guids = [(note, note.card.guid or guid_for(scope, note.card.id)) for note, scope in zip(notes, scopes)]
    problems.extend(_guid_problems(guids))

    notetype_mods: dict[int, int] = {}
    lock: list[LockEntry] = []
    for notetype in NOTETYPES.values():
        stamp = stamper.stamp(f"@notetype/{notetype.id}", content_hash(repr(notetype)), "notetype", notetype.name, with_id=False)
        notetype_mods[notetype.id] = stamp.entry.mod
        lock.append(stamp.entry)
    project_types = {nt.id: nt for nt in notetypes.values()}
    for nt in project_types.values():
        stamp = stamper.stamp(f"@notetype/{nt.id}", nt.content_hash, "notetype", nt.name, with_id=False)
        notetype_mods[nt.id] = stamp.entry.mod
        lock.append(stamp.entry)

    by_deck: dict[str, list[StampedNote]] = defaultdict(list)
    for (note, guid), top, scope in zip(guids, tops, scopes):
        card = note.card
        key = f"{scope}/{card.id}"  # Card.key, without splitting the deck name again
        kind = lock_kind(note)
        old = previous.get(key)
        if old is not None:
            problems.extend(_stamp_problems(card, old, kind))
        stamp = stamper.stamp(key, note.content_hash, kind, card.deck)
        lock.append(stamp.entry)
        by_deck[top].append(StampedNote(note, guid, stamp.entry.note_id, stamp.entry.mod, stamp.status))

    packages: list[PlannedPackage] = []
    filenames: dict[str, str] = {}
    for top_deck in sorted(by_deck):
        stamped = by_deck[top_deck]
        filename = package_filename(top_deck)
        if filename in filenames:
            first = next(s.note.card for s in by_deck[filenames[filename]])
            message = f"decks '{filenames[filename]}' and '{top_deck}' would both be written to {filename}; rename one"
            problems.append(error(first.location, "package-name-clash", message))
        filenames[filename] = top_deck
        kinds = {s.note.card.kind for s in stamped if s.note.notetype_id in _OWN_TYPE_IDS}
        used = sorted({s.note.notetype_id for s in stamped} & project_types.keys())
        plan = PackagePlan(
            top_deck=top_deck,
            decks=tuple(sorted({s.note.card.deck for s in stamped})),
            notes=tuple(stamped),
            notetypes=tuple((nt, notetype_mods[nt.id]) for kind, nt in NOTETYPES.items() if kind in kinds)
            + tuple((project_types[i], notetype_mods[i]) for i in used),
            media=tuple(sorted(dict(_package_media(stamped, media_files)
                                    + _template_media([project_types[i] for i in used], media)).items())),
        )
        counts = Counter(s.status for s in stamped)
        packages.append(PlannedPackage(filename, plan, counts["new"], counts["changed"], counts["unchanged"]))

    current = {entry.key for entry in lock}
    gone = [e for _, e in sorted(previous.items()) if e.key not in current and e.kind != "notetype"]
    # A removed card keeps its line, marked removed: should it come back, its time still moves
    # past the one Anki has, and its note id stays its own.
    lock += [replace(e, hash=REMOVED) for e in gone]
    removed = tuple(e for e in gone if e.hash != REMOVED)  # removed by this build
    return Compilation(tuple(packages), tuple(lock), removed, tuple(problems))



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
    for planned in compilation.packages:
        for stamped in planned.plan.notes:
            old = removed.get(stamped.note.content_hash) if stamped.status == "new" else None
            if old is not None:
                card = stamped.note.card
                message = (f"card '{card.id}' has the content of removed card '{old.key}': if you changed its id, "
                           f"Anki would add it as a new note without its review history; change the id back")
                problems.append(warning(card.location, "id-changed", message))
    return problems
