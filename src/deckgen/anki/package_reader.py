"""Read the collection inside a package through Anki's own backend.

The backend opens every collection version Anki ever wrote (upgrading a copy in place), so
deckgen never parses Anki's database layout itself. It is given only a collection file that
was copied out of the package into a temporary folder; media never pass through it.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from deckgen.anki.apkg import PackageError
from deckgen.errors import MissingExtra


@dataclass(frozen=True)
class AnkiNoteType:
    """A note type as Anki's JSON describes it, with its id, name and modification time."""

    id: int
    name: str
    mod: int
    definition: str  # Anki's note-type JSON, as the backend gives it


@dataclass(frozen=True)
class AnkiNote:
    """One note: identity, time, content, and where its cards are."""

    id: int
    guid: str
    notetype_id: int
    mod: int
    tags: tuple[str, ...]
    fields: tuple[str, ...]
    ordinals: tuple[int, ...]  # the cards it has, by template (or cloze number - 1)
    decks: tuple[str, ...]  # its cards' decks (home decks for cards in filtered decks), by ordinal


@dataclass(frozen=True)
class AnkiCollection:
    """The notes and note types of a collection, in note-id order."""

    notes: tuple[AnkiNote, ...]
    notetypes: tuple[AnkiNoteType, ...]


def _backend() -> type:
    try:
        from anki.collection import Collection
    except ImportError:
        raise MissingExtra("reading Anki packages", "import") from None
    return Collection


def _notes(col, deck_names: dict[int, str]) -> tuple[AnkiNote, ...]:
    cards: dict[int, list[tuple[int, str]]] = {}
    for nid, ordinal, did, odid in col.db.all("SELECT nid, ord, did, odid FROM cards ORDER BY nid, ord"):
        home = odid or did  # a card in a filtered deck belongs to its original deck
        cards.setdefault(nid, []).append((ordinal, deck_names.get(home, "Default")))
    notes = []
    for nid, guid, mid, mod, tags, flds in col.db.all("SELECT id, guid, mid, mod, tags, flds FROM notes ORDER BY id"):
        placed = cards.get(nid, [])
        notes.append(AnkiNote(
            id=nid, guid=guid, notetype_id=mid, mod=mod, tags=tuple(tags.split()),
            fields=tuple(flds.split("\x1f")), ordinals=tuple(o for o, _ in placed),
            decks=tuple(d for _, d in placed),
        ))
    return tuple(notes)


def _looks_like_a_collection(path: Path) -> bool:
    """Tell whether a file is an SQLite database with Anki's tables (the backend would adopt any)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error:
        return False
    finally:
        db.close()
    return {"col", "notes", "cards"} <= tables


def read_collection(path: Path) -> AnkiCollection:
    """Open a collection file with Anki's backend and read its notes and note types."""
    collection_class = _backend()
    if not _looks_like_a_collection(path):
        raise PackageError("the collection in the package is damaged or not an Anki collection")
    try:
        col = collection_class(str(path))
    except Exception as exc:  # the backend reports corrupt files with several error types
        raise PackageError(f"the collection in the package is damaged or not an Anki collection ({exc})") from None
    try:
        deck_names = {d.id: d.name for d in col.decks.all_names_and_ids()}
        notetypes = tuple(
            AnkiNoteType(nt["id"], nt["name"], nt.get("mod", 0), json.dumps(nt, ensure_ascii=False))
            for nt in sorted(col.models.all(), key=lambda nt: nt["id"])
        )
        return AnkiCollection(_notes(col, deck_names), notetypes)
    except Exception as exc:
        raise PackageError(f"the collection in the package is damaged ({exc})") from None
    finally:
        col.close()
