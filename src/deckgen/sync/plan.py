"""Plan a sync: what to do with each note, from the build, the collection and the sync state.

Pure: the command reads the collection and the state, this decides. A note's fields in the
collection are compared with what deckgen last wrote there (its record in the sync state, or
without one what the lock file's hash says the last build wrote): if they differ, the note was
edited inside Anki and is never overwritten unless asked (`force`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterable, Literal, Mapping, Sequence

from deckgen.anki.collection import CollectionNote
from deckgen.compiler.notes import note_hash
from deckgen.compiler.stamp import REMOVED
from deckgen.identity import guid_for
from deckgen.model import Compilation, LockEntry, StampedNote
from deckgen.names import top_level
from deckgen.problems import Location, Problem
from deckgen.sync.compare import fields_hash, has_removed_tag, same_fields, tag_set
from deckgen.sync.state import NoteRecord, SyncState

# Build's advice to move cards by hand in Anki: sync moves them, and pull leaves decks alone.
_BUILD_ONLY = frozenset({"deck-moved"})

Action = Literal["new", "update", "unchanged", "edited", "conflict"]
RemovedMode = Literal["suspend", "delete", "keep"]


def build_problems(problems: Iterable[Problem]) -> list[Problem]:
    """The build's problems that still hold for a sync or a pull."""
    return [p for p in problems if p.code not in _BUILD_ONLY]


def note_ids_by_guid(compilation: Compilation, state: SyncState) -> dict[str, int]:
    """The note id each built note has in the collection: as deckgen last wrote it, else the lock's."""
    return {s.guid: (state.notes[s.note.key].note_id if s.note.key in state.notes else s.note_id)
            for s in compilation.notes}


@dataclass(frozen=True)
class NotePlan:
    """One built note and what the sync does with it."""

    key: str
    card_id: str
    location: Location
    guid: str
    notetype_id: int
    note_id: int  # the collection's note id (for a new note: the one the package gives it)
    deck: str
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    action: Action
    move: tuple[int, ...] = ()  # cards to move into `deck`
    restore: tuple[int, ...] = ()  # cards to unsuspend: the note had been marked removed
    record: NoteRecord | None = None  # its record in the sync state before this sync
    retyped: bool = False  # its note type was changed in Anki (a conflict even --force leaves)

    @property
    def writes_text(self) -> bool:
        """Tell whether the sync writes this note's fields and tags."""
        return self.action in ("new", "update")


@dataclass(frozen=True)
class RemovedNote:
    """A note deckgen put in the collection whose card left the sources."""

    key: str
    note_id: int
    deck: str
    cards: tuple[int, ...]
    unsuspended: tuple[int, ...]  # its cards not suspended yet
    guid: str
    done: bool  # already suspended and marked (nothing left to do under --removed suspend)
    record: NoteRecord  # what deckgen last wrote into it


@dataclass(frozen=True)
class DeckPlan:
    """The plan for one top-level deck (one package)."""

    deck: str
    notes: tuple[NotePlan, ...] = ()
    removed: tuple[RemovedNote, ...] = ()
    removed_mode: RemovedMode = "suspend"
    notetypes: tuple[int, ...] = ()  # note types not sent as they are now: offered to the importer
    updated_notetypes: int = 0  # how many of them were sent before, in another version

    def _count(self, action: Action) -> int:
        return sum(1 for n in self.notes if n.action == action)

    @property
    def new(self) -> int:
        return self._count("new")

    @property
    def updated(self) -> int:
        return self._count("update")

    @property
    def unchanged(self) -> int:
        return sum(1 for n in self.notes if n.action == "unchanged" and not n.move and not n.restore)

    @property
    def moved(self) -> int:
        return sum(1 for n in self.notes if n.move)

    @property
    def restored(self) -> int:
        return sum(1 for n in self.notes if n.restore)

    @property
    def to_remove(self) -> tuple[RemovedNote, ...]:
        """The removed notes this sync acts on."""
        if self.removed_mode == "keep":
            return ()
        if self.removed_mode == "delete":
            return self.removed
        return tuple(r for r in self.removed if not r.done)

    @property
    def edited(self) -> tuple[NotePlan, ...]:
        return tuple(n for n in self.notes if n.action == "edited")

    @property
    def conflicts(self) -> tuple[NotePlan, ...]:
        return tuple(n for n in self.notes if n.action == "conflict")

    @property
    def changes(self) -> bool:
        """Tell whether anything in the collection changes for this deck."""
        return bool(self.to_remove or self.notetypes) or any(n.writes_text or n.move or n.restore for n in self.notes)


@dataclass(frozen=True)
class SyncPlan:
    """The whole plan, deck by deck."""

    decks: tuple[DeckPlan, ...]
    removed_mode: RemovedMode = "suspend"
    force: bool = False
    notetypes: Mapping[str, str] = field(default_factory=dict)  # lock key -> hash of every note type the build uses

    @property
    def changes(self) -> bool:
        return any(deck.changes for deck in self.decks)

    @property
    def notes(self) -> list[NotePlan]:
        return [n for deck in self.decks for n in deck.notes]

    @property
    def conflicts(self) -> list[NotePlan]:
        return [n for deck in self.decks for n in deck.conflicts]


@dataclass(frozen=True)
class Candidate:
    """A note that may be one deckgen put in the collection and whose card is gone."""

    key: str
    note_id: int
    deck: str
    guid: str | None  # None: unknown (a lock entry of a card with its own guid)
    record: NoteRecord | None = None


def derived_guid(key: str) -> str:
    """The GUID deckgen derives for a card key (for cards without an explicit `guid`)."""
    scope, _, card_id = key.partition("/")
    return guid_for(scope.replace("%2F", "/").replace("%25", "%"), card_id)


def removal_candidates(compilation: Compilation, previous: Mapping[str, LockEntry],
                       state: SyncState) -> list[Candidate]:
    """Every note deckgen put in the collection (by the state or the lock file) whose card is gone."""
    built = {s.note.key for s in compilation.notes}
    found = {key: Candidate(key, r.note_id, r.deck, r.guid, r) for key, r in state.notes.items() if key not in built}
    for key, entry in previous.items():
        if key in built or key in found or entry.kind == "notetype" or entry.note_id <= 0:
            continue
        found[key] = Candidate(key, entry.note_id, entry.deck, None)
    return [found[key] for key in sorted(found)]


def _written_by_lock(stamped: StampedNote, entry: LockEntry | None, note: CollectionNote) -> bool:
    """Tell whether the collection's fields are what the lock file says the last build wrote."""
    if entry is None or entry.hash == REMOVED:
        return False
    card = stamped.note.card
    for tags in (tuple(t for t in note.tags if tag_set([t])), card.tags):
        then = card._replace(deck=entry.deck, tags=tags)
        if note_hash(then, note.notetype_id, note.fields) == entry.hash:
            return True
    return False


def _action(stamped: StampedNote, note: CollectionNote, record: NoteRecord | None, entry: LockEntry | None,
            force: bool) -> Action:
    built = stamped.note
    if _kind_conflict(note, stamped):
        return "conflict"  # its note type was changed in Anki: nothing can be written into it, even forced
    if same_fields(note.fields, built.fields) and tag_set(note.tags) == tag_set(built.card.tags):
        return "unchanged"
    if record is not None:
        in_anki = fields_hash(note.fields) != record.fields or tuple(sorted(tag_set(note.tags))) != record.tags
        in_yaml = fields_hash(built.fields) != record.fields or tuple(sorted(tag_set(built.card.tags))) != record.tags
    else:
        in_anki = not _written_by_lock(stamped, entry, note)
        # A note older than the lock's time never got the version the lock records (an edit in
        # Anki after an import is newer than it): the cards changed since, as far as it knows.
        older = entry is None or note.mod is None or note.mod < entry.mod
        in_yaml = stamped.status != "unchanged" or (in_anki and older)
    if not in_anki:
        return "update"
    if not in_yaml:
        return "edited"
    return "update" if force else "conflict"


def _kind_conflict(note: CollectionNote, stamped: StampedNote) -> bool:
    return note.notetype_id != stamped.note.notetype_id or len(note.fields) != len(stamped.note.fields)


def note_plan(stamped: StampedNote, note: CollectionNote | None, record: NoteRecord | None,
              entry: LockEntry | None, force: bool) -> NotePlan:
    """Decide what the sync does with one built note."""
    built = stamped.note
    card = built.card
    planned = NotePlan(key=built.key, card_id=card.id, location=card.location, guid=stamped.guid,
                       notetype_id=built.notetype_id, note_id=stamped.note_id, deck=card.deck, fields=built.fields, tags=card.tags, action="new",
                       record=record)
    if note is None:
        return planned
    action = _action(stamped, note, record, entry, force)
    deck = card.deck.casefold()
    move = () if action == "conflict" else tuple(c.id for c in note.cards if c.deck.casefold() != deck)
    restore: tuple[int, ...] = ()
    if has_removed_tag(note.tags):  # back in the sources: undo what removing it did, and only that
        ours = set(record.suspended) if record is not None and record.removed and record.suspended else None
        restore = tuple(c.id for c in note.cards if c.suspended and (ours is None or c.id in ours))
    return replace(planned, note_id=note.id, action=action, move=move, restore=restore,
                   retyped=_kind_conflict(note, stamped))


def _removed(candidate: Candidate, note: CollectionNote | None) -> RemovedNote | None:
    if note is None:
        return None
    expected = candidate.guid or derived_guid(candidate.key)
    if note.guid is not None and note.guid != expected:
        return None  # the id now belongs to some other note
    done = has_removed_tag(note.tags) and all(c.suspended for c in note.cards)
    # Without a record, the note as it is now counts as what deckgen wrote (the lock file says it did).
    record = candidate.record or NoteRecord(expected, note.id, fields_hash(note.fields), tuple(sorted(tag_set(note.tags))),
                                            candidate.deck)
    return RemovedNote(candidate.key, note.id, candidate.deck, tuple(c.id for c in note.cards),
                       tuple(c.id for c in note.cards if not c.suspended), expected, done, record)


def plan_sync(compilation: Compilation, previous: Mapping[str, LockEntry], state: SyncState,
              built_notes: Mapping[str, CollectionNote], removed_notes: Mapping[int, CollectionNote],
              candidates: Sequence[Candidate], *, removed_mode: RemovedMode = "suspend",
              force: bool = False) -> SyncPlan:
    """Plan the sync of every built note and every removed one, per top-level deck.

    `built_notes` are the collection's notes by GUID, `removed_notes` its notes by id for the
    `candidates` (see `removal_candidates`).
    """
    hashes = {e.key: e.hash for e in compilation.lock if e.kind == "notetype"}
    sent = state.notetypes if state.notetypes is not None else {k: e.hash for k, e in previous.items()
                                                                 if e.kind == "notetype"}
    notes: dict[str, list[NotePlan]] = {}
    changed_types: dict[str, tuple[int, ...]] = {}
    updated_types: dict[str, int] = {}
    for planned in compilation.packages:
        keys = [f"@notetype/{nt.id}" for nt, _ in planned.plan.notetypes]
        changed_types[planned.plan.top_deck] = tuple(int(k.rpartition("/")[2]) for k in keys if sent.get(k) != hashes.get(k))
        updated_types[planned.plan.top_deck] = sum(1 for k in keys if k in sent and sent[k] != hashes.get(k))
        notes[planned.plan.top_deck] = [
            note_plan(s, built_notes.get(s.guid), state.notes.get(s.note.key), previous.get(s.note.key), force)
            for s in planned.plan.notes
        ]
    removed: dict[str, list[RemovedNote]] = {}
    for candidate in candidates:
        found = _removed(candidate, removed_notes.get(candidate.note_id))
        if found is not None:
            removed.setdefault(top_level(candidate.deck), []).append(found)
    decks = tuple(
        DeckPlan(deck, tuple(notes.get(deck, ())), tuple(removed.get(deck, ())), removed_mode,
                 changed_types.get(deck, ()), updated_types.get(deck, 0))
        for deck in sorted(notes.keys() | removed.keys())
    )
    return SyncPlan(decks, removed_mode, force, hashes)
