"""Turn an Anki collection's notes into card files and note-type files: the pure middle of import.

Every note keeps what Anki identifies it by: its GUID (`guid:`), its note type (deckgen's own
types map back to them; any other type is kept in `notetypes/` and named by `notetype:`) and
its field HTML, byte for byte (`format: html`). Two-field standard and cloze types use
`q`/`a` and `cloze`/`extra`; every other type names its fields under `fields:`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from deckgen import cloze
from deckgen.anki.notetype_json import definition_from_anki, format_definition
from deckgen.anki.notetypes import BASIC, CLOZE
from deckgen.anki.package_reader import AnkiCollection, AnkiNote, AnkiNoteType
from deckgen.cardfiles.yamlwrite import Block, dump
from deckgen.compiler.text import html_to_plain
from deckgen.identity import card_key
from deckgen.names import deck_name_problem, file_stem, slug, tag_problem, top_level, unique


@dataclass(frozen=True)
class ProjectState:
    """What the target project already has, so an import adds beside it and never over it."""

    card_keys: frozenset[str] = frozenset()  # "top-level deck/card id"
    guids: frozenset[str] = frozenset()
    card_files: frozenset[str] = frozenset()  # names directly in the card folder, case-folded
    notetype_files: frozenset[str] = frozenset()  # names in notetypes/, case-folded
    notetypes: tuple[tuple[int, str], ...] = ()  # (id, name) of the project's note types


@dataclass(frozen=True)
class ImportedNote:
    """A note that becomes a card, with what the lock file and the round-trip check need."""

    key: str
    note: AnkiNote
    deck: str


@dataclass(frozen=True)
class ImportPlan:
    """The files an import writes (relative to the card and note-type folders) and why."""

    card_files: tuple[tuple[str, str], ...]  # (file name in the card folder, YAML text)
    notetype_files: tuple[tuple[str, str], ...]  # (file name in notetypes/, JSON text)
    notes: tuple[ImportedNote, ...]
    notetype_mods: tuple[tuple[int, int], ...]  # (id, modification time) of each new note type
    already_there: int  # notes whose GUID the project already has
    skipped: tuple[str, ...]  # why notes were left out, one line each
    warnings: tuple[str, ...]


class _Planner:
    """Assign ids, files and note types; collect what the report says."""

    def __init__(self, collection: AnkiCollection, state: ProjectState) -> None:
        self.state = state
        self.types = {nt.id: nt for nt in collection.notetypes}
        self.keys = set(state.card_keys)
        self.type_names = dict(state.notetypes)  # id -> name in the project
        self.names_taken = {name.casefold() for name in self.type_names.values()}
        self.type_files = set(state.notetype_files)
        self.new_types: list[tuple[str, str]] = []
        self.new_mods: list[tuple[int, int]] = []
        self.skipped: list[str] = []

    def notetype_name(self, nt: AnkiNoteType) -> str:
        """Name the project note type for an Anki one, adding its file on first use."""
        if nt.id in self.type_names:
            return self.type_names[nt.id]
        name = nt.name
        number = 1
        while name.casefold() in self.names_taken:
            number += 1
            name = f"{nt.name} ({number})"
        self.names_taken.add(name.casefold())
        self.type_names[nt.id] = name
        definition = definition_from_anki(nt.definition)
        definition["name"] = name
        filename = unique(file_stem(name, 60, "notetype"), self.type_files, lambda stem: f"{stem}.json".casefold()) + ".json"
        self.new_types.append((filename, format_definition(definition)))
        self.new_mods.append((nt.id, nt.mod))
        return name

    def card_id(self, note: AnkiNote, deck: str) -> str:
        first = html_to_plain(cloze.reveal(note.fields[0] if note.fields else ""))
        top = top_level(deck)
        return unique(slug(first) or "note", self.keys, lambda card_id: card_key(top, card_id))

    def entry(self, note: AnkiNote, deck: str) -> Block | None:
        """Write one note as a card mapping (id, guid, text keys, tags), or None when it cannot be."""
        nt = self.types.get(note.notetype_id)
        if nt is None:
            self.skipped.append(f"note {note.id}: its note type {note.notetype_id} is missing from the package")
            return None
        if not any(field for field in note.fields):
            self.skipped.append(f"note {note.id} ({nt.name}): every field is empty")
            return None
        # A deck or tag that card files refuse (Anki keeps some that deckgen cannot, such as C1
        # control characters) would make the imported file fail to build: leave such notes out.
        unkept = deck_name_problem(deck) or next(filter(None, map(tag_problem, note.tags)), None)
        if unkept is not None:
            self.skipped.append(f"note {note.id} ({nt.name}): {unkept[1]}")
            return None
        fields = len(definition_from_anki(nt.definition).get("flds", []))
        if note.notetype_id not in (BASIC.id, CLOZE.id) and len(note.fields) != fields:
            # A damaged note (a field separator inside its text, say): Anki's Check Database repairs it.
            self.skipped.append(f"note {note.id} ({nt.name}): it has {len(note.fields)} fields, its note type {fields}")
            return None
        text = _own_type_text(note) if note.notetype_id in (BASIC.id, CLOZE.id) else self.typed_text(note, nt)
        if text is None:
            self.skipped.append(f"note {note.id} ({nt.name}): its fields do not fit deckgen's note type")
            return None
        card = Block(id=self.card_id(note, deck), guid=note.guid)
        card.update(text)
        if note.tags:
            card["tags"] = list(note.tags)
        return card

    def typed_text(self, note: AnkiNote, nt: AnkiNoteType) -> Block:
        definition = definition_from_anki(nt.definition)
        names = [f["name"] for f in definition.get("flds", [])]
        values = list(note.fields) + [""] * (len(names) - len(note.fields))
        text = Block(notetype=self.notetype_name(nt))
        cloze = definition.get("type") == 1
        if len(names) == 2 and values[0] and (values[1] or cloze):
            text.update({"cloze": values[0], "extra": values[1]} if cloze else {"q": values[0], "a": values[1]})
            if cloze and not values[1]:
                del text["extra"]
        else:
            text["fields"] = Block((name, value) for name, value in zip(names, values) if value)
        return text


def _own_type_text(note: AnkiNote) -> Block | None:
    """Map a note of deckgen's own note types back to its card keys (None when it cannot)."""
    if note.notetype_id == CLOZE.id and len(note.fields) == 3 and note.fields[0]:
        pairs = zip(("cloze", "extra", "source"), note.fields)
        return Block((k, v) for k, v in pairs if v)
    if note.notetype_id == BASIC.id and len(note.fields) == 5 and all(note.fields[:2]) and note.fields[4] in ("", "y"):
        text = Block((k, v) for k, v in zip(("q", "a", "extra", "source"), note.fields) if v)
        if note.fields[4]:
            text["reverse"] = "true"
        return text
    return None


def _deck_of(note: AnkiNote) -> str:
    return note.decks[0] if note.decks else "Default"


def plan_import(collection: AnkiCollection, state: ProjectState, package_name: str) -> ImportPlan:
    """Decide the card files, note-type files and notes an import writes."""
    planner = _Planner(collection, state)
    by_deck: dict[str, list[tuple[Block, ImportedNote]]] = defaultdict(list)
    already = 0
    split = 0
    for note in collection.notes:
        if note.guid in state.guids:
            already += 1
            continue
        deck = _deck_of(note)
        split += len(set(note.decks)) > 1
        card = planner.entry(note, deck)
        if card is not None:
            by_deck[deck].append((card, ImportedNote(card_key(top_level(deck), card["id"]), note, deck)))
    files: list[tuple[str, str]] = []
    notes: list[ImportedNote] = []
    taken_files = set(state.card_files)
    for deck in sorted(by_deck):
        entries = by_deck[deck]
        name = unique(file_stem(deck), taken_files, lambda stem: f"{stem}.yaml".casefold()) + ".yaml"
        files.append((name, _card_file(deck, [card for card, _ in entries], package_name)))
        notes.extend(imported for _, imported in entries)
    warnings = [f"{split} notes have cards in several decks; each is filed under the deck of its first card"] if split else []
    return ImportPlan(tuple(files), tuple(planner.new_types), tuple(notes), tuple(planner.new_mods),
                      already, tuple(planner.skipped), tuple(warnings))


def _card_file(deck: str, cards: list[Block], package_name: str) -> str:
    """Write one deck's card file; a note type all its cards share is named once, at the top."""
    types = Counter(card.get("notetype") for card in cards)
    document = Block(deck=deck, format="html")
    if len(types) == 1 and None not in types:
        document["notetype"] = next(iter(types))
        for card in cards:
            del card["notetype"]
    document["cards"] = cards
    comment = (f"Imported from {package_name} by deckgen import. The text is Anki's HTML, passed to\n"
               "Anki unchanged (format: html); keep each guid: it is the note's identity in Anki.")
    return dump(document, comment)
