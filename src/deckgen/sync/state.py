"""What deckgen last wrote into one collection, per note: the sync state.

It is kept in `build/sync/<collection-slug>.json`, one file per collection, and replaced only
after the collection was written. Planning compares a note in the collection with its record
here to tell an edit made inside Anki from an edit made in the card files.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from deckgen.problems import Location, Problem, warning
from deckgen.project.files import LIMITS, read_bytes
from deckgen.project.paths import display_path

STATE_FOLDER = "sync"
_VERSION = 1


@dataclass(frozen=True)
class NoteRecord:
    """One note as deckgen last left it in the collection."""

    guid: str
    note_id: int
    fields: str  # compare.fields_hash of its fields
    tags: tuple[str, ...]  # compare.tag_set, sorted
    deck: str
    removed: bool = False  # no longer in the sources: suspended and tagged, or kept
    suspended: tuple[int, ...] = ()  # the cards deckgen suspended for that (not those the user had)


@dataclass(frozen=True)
class SyncState:
    """Every note deckgen manages in one collection, by card key, and the note types it sent there.

    `notetypes` maps a note type's lock key (`@notetype/<id>`) to the content hash last sent; None
    when the state has no such record (then the lock file's word is taken).
    """

    notes: Mapping[str, NoteRecord]
    notetypes: Mapping[str, str] | None = None


EMPTY = SyncState({})


def collection_slug(label: str) -> str:
    """Name a collection's state file: readable, and unique for each collection."""
    readable = re.sub(r"[^A-Za-z0-9]+", "-", label).strip("-")[-40:].strip("-") or "collection"
    return f"{readable}-{hashlib.sha256(label.encode('utf-8')).hexdigest()[:10]}"


def state_path(out_dir: Path, slug: str) -> Path:
    """Where a collection's state is kept in the build folder."""
    return out_dir / STATE_FOLDER / f"{slug}.json"


def format_state(state: SyncState, collection: str) -> bytes:
    """The state file's bytes: sorted, so equal states give equal files."""
    notes = {
        key: {"guid": r.guid, "id": r.note_id, "fields": r.fields, "tags": list(r.tags), "deck": r.deck,
              **({"removed": True} if r.removed else {}), **({"suspended": list(r.suspended)} if r.suspended else {})}
        for key, r in sorted(state.notes.items())
    }
    document = {"version": _VERSION, "collection": collection, "notes": notes,
                "notetypes": dict(sorted((state.notetypes or {}).items()))}
    return (json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def _record(value: Any) -> NoteRecord:
    if not isinstance(value, dict):
        raise ValueError
    tags = value.get("tags", [])
    suspended = value.get("suspended", [])
    if not (isinstance(suspended, list) and all(isinstance(c, int) for c in suspended)):
        raise ValueError
    if not (isinstance(value.get("guid"), str) and isinstance(value.get("id"), int)
            and isinstance(value.get("fields"), str) and isinstance(value.get("deck"), str)
            and isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        raise ValueError
    return NoteRecord(value["guid"], value["id"], value["fields"], tuple(tags), value["deck"],
                      bool(value.get("removed", False)), tuple(suspended))


def parse_state(data: bytes | None, shown: str) -> tuple[SyncState, list[Problem]]:
    """Read a state file; a damaged one counts as none (planning then falls back on the lock file)."""
    if data is None:
        return EMPTY, []
    try:
        document = json.loads(data.decode("utf-8"))
        if not isinstance(document, dict) or document.get("version") != _VERSION:
            raise ValueError
        notes = document.get("notes")
        if not isinstance(notes, dict):
            raise ValueError
        notetypes = document.get("notetypes")
        if notetypes is not None and not (isinstance(notetypes, dict) and all(isinstance(v, str) for v in notetypes.values())):
            raise ValueError
        records = {str(key): _record(value) for key, value in notes.items()}
        return SyncState(records, None if notetypes is None else {str(k): v for k, v in notetypes.items()}), []
    except ValueError:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        message = "unreadable sync state ignored; notes are compared with the lock file instead"
        return EMPTY, [warning(Location(shown), "sync-state-damaged", message)]


def read_state(state_file: Path) -> tuple[bytes | None, SyncState, list[Problem]]:
    """Read a sync state file: its bytes as they are, what it says, and a warning if it is unreadable."""
    shown = display_path(state_file)
    data, unreadable = read_bytes(state_file, shown, LIMITS.lock)
    state, problems = parse_state(data, shown)
    if unreadable is not None:  # planning falls back on the lock file, and writing it will fail visibly
        problems.append(warning(unreadable.location, "sync-state-damaged", unreadable.message))
    return data, state, problems
