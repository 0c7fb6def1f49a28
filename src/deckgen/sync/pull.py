"""Plan a pull: which card values to rewrite with the text a note has in the collection.

Pure: given the build, the collection's notes and the sync state, it decides for each note
edited inside Anki (as sync's plan judges it) the new text of each field that differs, or
why it cannot be written back, and the tags it should have. A note is pulled whole or not at
all; each pulled note gets the lock entry and sync record that make the next sync find it
unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from deckgen.anki.collection import CollectionNote
from deckgen.anki.notetypes import NoteTypes
from deckgen.compiler.notes import note_hash, render_text
from deckgen.model import Card, Compilation, LockEntry, StampedNote
from deckgen.problems import Location, Problem, error
from deckgen.sync.compare import fields_hash, normal_field, tag_set
from deckgen.sync.plan import note_plan
from deckgen.sync.state import NoteRecord, SyncState
from deckgen.sync.unrender import unrender

_OWN_ATTRIBUTES = {"basic": ("front", "back", "extra", "source", ""), "cloze": ("text", "extra", "source")}
_SHORTHANDS = {"basic": ("front", "back"), "cloze": ("text", "extra")}
_KEYS = {"front": "q", "back": "a", "text": "cloze", "extra": "extra", "source": "source"}
_MEDIA = ("<img", "[sound:", "<audio", "<video")


@dataclass(frozen=True)
class FieldEdit:
    """One card value to rewrite."""

    location: Location  # where the value is written
    file: str  # the card file's real path
    card_at: tuple[int, int]
    card_id: str
    key: str  # as written in the file: q, a, cloze, extra, source, or a `fields:` name
    old: str
    new: str
    html: bool  # the card's text is HTML (kept exactly, surrounding space included)


@dataclass(frozen=True)
class NotePull:
    """One note to pull: its field edits, the tags it should have (None: unchanged) and its new fields."""

    stamped: StampedNote
    note: CollectionNote
    entry: LockEntry  # the build's lock entry for it
    edits: tuple[FieldEdit, ...]
    tags: tuple[str, ...] | None
    fields: tuple[str, ...]  # as the next build renders them

    @property
    def card(self) -> Card:
        return self.stamped.note.card

    def lock_entry(self, tags: tuple[str, ...]) -> LockEntry:
        """The lock entry after the pull, with the card's tags as the next build reads them.

        It takes Anki's time, so the next build stamps the note exactly as Anki has it.
        """
        digest = note_hash(self.card._replace(tags=tags), self.stamped.note.notetype_id, self.fields)
        mod = self.note.mod if self.note.mod is not None else self.entry.mod
        return LockEntry(self.entry.key, digest, mod, self.entry.note_id, self.entry.kind, self.entry.deck)

    def record(self, tags: tuple[str, ...]) -> NoteRecord:
        """The note's sync record after the pull: deckgen and Anki agree on it."""
        return NoteRecord(self.stamped.guid, self.note.id, fields_hash(self.note.fields), tuple(sorted(tag_set(tags))),
                          self.card.deck)


@dataclass(frozen=True)
class PullPlan:
    """The notes to pull, and the problems of those that cannot be."""

    notes: tuple[NotePull, ...]
    problems: tuple[Problem, ...]

    @property
    def edits(self) -> tuple[FieldEdit, ...]:
        return tuple(e for n in self.notes for e in n.edits)


def _attributes(card: Card, notetypes: NoteTypes, count: int) -> tuple[str, ...]:
    """The card attribute each field of its note comes from ("" for none)."""
    if card.notetype is None:
        return _OWN_ATTRIBUTES[card.kind]
    nt = notetypes.named(card.notetype)
    if nt is None:
        return ("",) * count
    if card.named_fields:
        return tuple(f"field:{name}" for name in nt.field_names)
    return _SHORTHANDS[card.kind]


def _key_of(attribute: str) -> str:
    return attribute[len("field:"):] if attribute.startswith("field:") else _KEYS.get(attribute, attribute)


def _old_text(card: Card, attribute: str) -> str:
    if attribute.startswith("field:"):
        return dict(card.named_fields).get(attribute[len("field:"):], "")
    return str(getattr(card, attribute, ""))


def _pull_note(stamped: StampedNote, note: CollectionNote, notetypes: NoteTypes
               ) -> tuple[list[FieldEdit], tuple[str, ...], list[Problem]]:
    """The edits that bring one note's Anki text into its card, and its fields after them."""
    built = stamped.note
    card = built.card
    attributes = _attributes(card, notetypes, len(built.fields))
    edits: list[FieldEdit] = []
    problems: list[Problem] = []
    fields = list(built.fields)
    for index, (mine, theirs) in enumerate(zip(built.fields, note.fields)):
        if normal_field(mine) == normal_field(theirs):
            continue
        attribute = attributes[index] if index < len(attributes) else ""
        where = card.field_location(attribute) if attribute else card.location
        if not attribute or where == card.location:
            problems.append(error(where, "pull-unwritable", f"card '{card.id}': field {index + 1} was edited in "
                                  "Anki, but the card has no value for it to write into; edit the card by hand"))
            continue
        if any(mark in theirs for mark in _MEDIA):
            problems.append(error(where, "pull-unsafe", f"card '{card.id}': the edited text names media, which "
                                  "pull does not write back; edit the card by hand"))
            continue
        got = unrender(theirs, card.html, lambda text: render_text(card, attribute, text)[0])
        if got.text is None:
            problems.append(error(where, "pull-unsafe", f"card '{card.id}' ({_key_of(attribute)}): {got.reason}"))
            continue
        fields[index] = render_text(card, attribute, got.text)[0]
        edits.append(FieldEdit(where, card.file, (card.location.line, card.location.col), card.id,
                               _key_of(attribute), _old_text(card, attribute), got.text, card.html))
    return edits, tuple(fields), problems


def plan_pull(compilation: Compilation, previous: Mapping[str, LockEntry], state: SyncState,
              notes: Mapping[str, CollectionNote], notetypes: NoteTypes) -> PullPlan:
    """Plan the edits for every note that was edited inside Anki (also those that conflict)."""
    lock = {entry.key: entry for entry in compilation.lock}
    pulls: list[NotePull] = []
    problems: list[Problem] = []
    for stamped in compilation.notes:
        key = stamped.note.key
        note = notes.get(stamped.guid)
        if note is None:
            continue
        planned = note_plan(stamped, note, state.notes.get(key), previous.get(key), force=False)
        if planned.action not in ("edited", "conflict"):
            continue
        edits, fields, trouble = _pull_note(stamped, note, notetypes)
        if trouble:
            problems += trouble
            continue
        card = stamped.note.card
        tags = None
        if tag_set(note.tags) != tag_set(card.tags):
            tags = tuple(t for t in note.tags if tag_set([t]))
        if not edits and tags is None:
            continue
        pulls.append(NotePull(stamped, note, lock[key], tuple(edits), tags, fields))
    return PullPlan(tuple(pulls), tuple(problems))
