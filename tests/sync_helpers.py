"""Shared pieces of the sync and pull tests: a project, a real collection, and what it holds."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from anki.collection import Collection

NOW = 1_700_000_000.25  # every build of these tests runs within this one second

DEMO = """\
    deck: Demo
    tags: [demo]
    cards:
      - id: alpha
        q: What is alpha?
        a: The first letter
      - id: beta
        q: What is beta?
        a: The **second** letter
        tags: [greek]
      - id: gamma
        q: What is gamma?
        a: The third letter
"""
SUB = """\
    deck: Demo::Sub
    cards:
      - id: delta
        cloze: "Delta is letter {{c1::four}}."
"""
# DEMO with alpha's answer edited, gamma removed and epsilon added; SUB moved to another sub-deck.
CHANGED = DEMO.replace("The first letter", "The very first letter").replace(
    "      - id: gamma\n        q: What is gamma?\n        a: The third letter\n",
    "      - id: epsilon\n        q: What is epsilon?\n        a: The fifth letter\n")
MOVED = SUB.replace("deck: Demo::Sub", "deck: Demo::Other")


def empty_collection(folder: Path) -> Path:
    """A new, empty collection file, closed."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "collection.anki2"
    Collection(str(path)).close()
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sync(project, collection: Path, *args: str):
    """Run `deckgen sync` on a collection file, as JSON; returns (exit code, document)."""
    result = project.run("sync", "--collection", str(collection), "--format", "json", *args)
    return result.exit_code, json.loads(result.output)


def counts(document: dict[str, Any]) -> dict[str, int]:
    return {key: document[key] for key in ("new", "updated", "unchanged", "moved", "removed")} | {
        "conflicts": len(document["conflicts"])}


def by_first_field(collection: Path) -> dict[str, dict[str, Any]]:
    """Each note of the collection by its first field: fields, tags and its cards' state."""
    col = Collection(str(collection))
    try:
        found = {}
        for nid in col.find_notes(""):
            note = col.get_note(nid)
            cards = [col.get_card(cid) for cid in note.card_ids()]
            found[note.fields[0]] = {
                "id": nid, "guid": note.guid, "fields": list(note.fields), "tags": sorted(note.tags),
                "decks": sorted(col.decks.name(card.odid or card.did) for card in cards),
                "suspended": [card.queue == -1 for card in cards], "cards": [card.id for card in cards],
            }
        return found
    finally:
        col.close()


def note_of(collection: Path, needle: str) -> dict[str, Any]:
    """The one note whose first field contains `needle`."""
    (note,) = [n for front, n in by_first_field(collection).items() if needle in front]
    return note


def edit_in_anki(collection: Path, needle: str, field: int, text: str) -> None:
    """Change one field of a note as the user would in Anki's editor."""
    col = Collection(str(collection))
    try:
        (nid,) = [nid for nid in col.find_notes("") if needle in col.get_note(nid).fields[0]]
        note = col.get_note(nid)
        note.fields[field] = text
        col.update_note(note)
    finally:
        col.close()


def scheduling(collection: Path, card_id: int) -> tuple:
    """A card's interval, due, reps, lapses and its review log."""
    col = Collection(str(collection))
    try:
        card = col.get_card(card_id)  # type: ignore[arg-type]
        revlog = col.db.all("select id, ease, ivl, lastIvl, factor, type from revlog where cid = ?", card_id)
        return (card.ivl, card.due, card.reps, card.lapses, card.type, revlog)
    finally:
        col.close()


def tag_in_anki(collection: Path, needle: str, add: tuple[str, ...] = (), remove: tuple[str, ...] = ()) -> None:
    """Add and remove tags of one note as the user would in Anki's browser."""
    col = Collection(str(collection))
    try:
        (nid,) = [nid for nid in col.find_notes("") if needle in col.get_note(nid).fields[0]]
        for tag in add:
            col.tags.bulk_add([nid], tag)
        for tag in remove:
            col.tags.bulk_remove([nid], tag)
    finally:
        col.close()


def through_ankiconnect(project, collection: Path, *args: str):
    """Run a deckgen command with `--ankiconnect`, the AnkiConnect double serving `collection`."""
    from ankiconnect_double import AnkiConnectDouble

    col = Collection(str(collection))
    try:
        with AnkiConnectDouble(col) as double:
            return project.run(args[0], "--ankiconnect", double.url, *args[1:])
    finally:
        col.close()
