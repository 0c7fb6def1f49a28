"""Write Anki packages (.apkg) as bytes: the only module that reads genanki.

We take genanki's collection schema (the legacy `collection.anki2` layout that every Anki
version imports) but fill the tables ourselves: genanki stamps every note with one build
time, numbers notes from the clock and writes through a temporary file it leaves behind,
while re-imports need per-note modification times and byte-identical output.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.machinery
import importlib.util
import io
import json
import os
import shutil
import sqlite3
import tempfile
import zipfile
from typing import Iterator

from deckgen.anki.notetype_json import own_type_json, project_type_json
from deckgen.anki.notetypes import ProjectNoteType
from deckgen.identity import card_id_candidate, deck_id
from deckgen.model import PackagePlan
from deckgen.names import with_parents

# Zip entries carry this date so two builds of the same input are byte-identical.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
# Level 1 deflates a collection to about a third in a quarter of level 6's time, 10% larger.
_DEFLATE_LEVEL = 1
# A package in build/ is only read to recover a lost lock file; nothing larger is worth reading.
_LARGEST_COLLECTION = 1 << 30
# Bytes read from the collection file at a time while deflating it into the zip.
_COPY_CHUNK = 1 << 20
# Notes hashed together by plan_digest: few enough calls, small enough strings.
_DIGEST_SLICE = 1024


def _genanki_constant(module: str, name: str) -> str:
    """Read one constant from a genanki module without importing genanki's package.

    `import genanki` loads its whole API (asyncio included, ~50 ms); the schema modules
    are plain strings, so they are executed on their own when they can be found.
    """
    package = importlib.util.find_spec("genanki")  # locates without importing
    spec = None
    if package is not None and package.submodule_search_locations:
        spec = importlib.machinery.PathFinder.find_spec(f"genanki.{module}", list(package.submodule_search_locations))
    if spec is None or spec.loader is None:  # pragma: no cover - unusual installs
        return getattr(importlib.import_module(f"genanki.{module}"), name)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return getattr(loaded, name)


@functools.cache
def _schema() -> tuple[str, str, str]:
    """Return genanki's collection schema as (tables, indexes, col row) SQL scripts."""
    schema = _genanki_constant("apkg_schema", "APKG_SCHEMA")
    tables, _, indexes = schema.partition("CREATE INDEX")
    return tables, "CREATE INDEX" + indexes if indexes else "", _genanki_constant("apkg_col", "APKG_COL")


def _deck_json(name: str) -> dict:
    return {
        "id": deck_id(name),
        "name": name,
        "desc": "",
        "conf": 1,
        "dyn": 0,
        "collapsed": False,
        "browserCollapsed": False,
        "extendNew": 0,
        "extendRev": 0,
        "mod": 0,
        "usn": -1,
        "newToday": [0, 0],
        "revToday": [0, 0],
        "lrnToday": [0, 0],
        "timeToday": [0, 0],
    }


def _field_checksum(sort_text: str) -> int:
    """Compute Anki's duplicate-check checksum of the sort field."""
    return int.from_bytes(hashlib.sha1(sort_text.encode("utf-8")).digest()[:4], "big")


def _write_collection(plan: PackagePlan, path: str) -> None:
    """Build the package's SQLite collection in the file at `path`.

    A file, not `:memory:`: SQLite then keeps only a small page cache in memory, and the
    zip is deflated from the file, so neither the whole database nor a serialised copy of
    it is ever held (at 100k notes they were tens of megabytes each).
    """
    tables, indexes, col_row = _schema()
    db = sqlite3.connect(path)
    try:
        # A scratch file removed afterwards: no journal or syncing is worth paying for.
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.executescript(tables)
        db.executescript(col_row)
        top_id = deck_id(plan.top_deck)
        decks = {str(deck_id(name)): _deck_json(name) for name in with_parents(plan.decks)}
        models = {
            str(nt.id): project_type_json(nt, mod, top_id) if isinstance(nt, ProjectNoteType) else own_type_json(nt, mod, top_id)
            for nt, mod in plan.notetypes
        }
        (default_decks,) = db.execute("SELECT decks FROM col").fetchone()
        decks = {**json.loads(default_decks), **decks}
        db.execute(
            "UPDATE col SET decks = ?, models = ?",
            (json.dumps(decks, sort_keys=True), json.dumps(models, sort_keys=True)),
        )
        # Cards are keyed by a hash of their note, so only their small keys are gathered and
        # sorted; note rows (the fields, most of a package) are made one at a time as inserted.
        card_keys: list[tuple[int, int, int, int, int, int]] = []
        used_card_ids: set[int] = set()
        deck_ids: dict[str, int] = {}
        for position, stamped in enumerate(plan.notes, start=1):
            deck = stamped.note.card.deck
            did = deck_ids.get(deck) or deck_ids.setdefault(deck, deck_id(deck))
            for ordinal in stamped.note.ordinals:
                cid = card_id_candidate(stamped.guid, ordinal)
                while cid in used_card_ids:  # rare hash clash: step deterministically
                    cid += 1
                used_card_ids.add(cid)
                card_keys.append((cid, stamped.note_id, did, ordinal, stamped.mod, position))
        del used_card_ids
        card_keys.sort()
        # Rows in key order and indexes built afterwards fill SQLite's pages in one pass.
        db.executemany("INSERT INTO notes VALUES (?,?,?,?,?,?,?,?,?,?,?)", _note_rows(plan))
        db.executemany("INSERT INTO cards VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                       ((cid, nid, did, ordinal, mod, -1, 0, 0, position, 0, 0, 0, 0, 0, 0, 0, 0, "")
                        for cid, nid, did, ordinal, mod, position in card_keys))
        db.executescript(indexes)
        db.commit()
    finally:
        db.close()
    _clear_header_counters(path)


def _clear_header_counters(path: str) -> None:
    """Zero the header fields a database file gets from the writes and the SQLite that made it.

    They are the file change counter, the version-valid-for number and the SQLite version
    (an in-memory database, as earlier versions built, leaves all three zero): the same plan
    then gives the same bytes with any SQLite, and the same bytes those versions gave.
    """
    with open(path, "r+b") as file:
        file.seek(24)
        file.write(bytes(4))
        file.seek(92)
        file.write(bytes(8))


def _note_rows(plan: PackagePlan) -> Iterator[tuple[object, ...]]:
    """Yield the notes table's rows in note-id order, one at a time."""
    # Note ids are unique within a package, so ordering by id alone is ordering by row.
    for stamped in sorted(plan.notes, key=lambda s: s.note_id):
        note = stamped.note
        tags = note.card.tags
        yield (stamped.note_id, stamped.guid, note.notetype_id, stamped.mod, -1,
               " " + " ".join(tags) + " " if tags else "",
               "\x1f".join(note.fields), note.sort_text, _field_checksum(note.sort_text), 0, "")


def plan_digest(plan: PackagePlan) -> str:
    """Hash everything of a plan that reaches the package's bytes: equal digests, equal packages.

    Each note's content hash already covers its note type, deck, tags and fields.
    """
    digest = hashlib.sha256(f"{plan.top_deck}\0{plan.decks}\0".encode())
    for nt, mod in plan.notetypes:
        digest.update(f"{nt.id}:{mod}:{nt.content_hash}\0".encode())
    for name, data in plan.media:
        digest.update(f"{name}:{hashlib.sha256(data).hexdigest()}\0".encode())
    # Hashed a slice at a time: the same bytes as one string of every line, without building it
    # (at 100k notes that string, its pieces and its encoding were tens of megabytes at once).
    notes = plan.notes
    for start in range(0, len(notes), _DIGEST_SLICE):
        digest.update("".join(f"{s.guid}\t{s.note_id}\t{s.mod}\t{s.note.content_hash}\t{s.note.sort_text}\t{s.note.ordinals}\n"
                              for s in notes[start:start + _DIGEST_SLICE]).encode())
    return digest.hexdigest()


def package_bytes(plan: PackagePlan) -> bytes:
    """Return the .apkg file for a plan: deflated, with fixed entry dates and order."""
    # Anki's media map names each bundled file by its zip entry: {"0": "dg-1a2b.png", ...}.
    media_map = json.dumps({str(i): name for i, (name, _) in enumerate(plan.media)}).encode("utf-8")
    buffer = io.BytesIO()
    # A private folder, removed with whatever is in it however this ends.
    with tempfile.TemporaryDirectory(prefix="deckgen-") as folder:
        collection = os.path.join(folder, "collection.anki2")
        _write_collection(plan, collection)
        with zipfile.ZipFile(buffer, "w") as archive:
            with open(collection, "rb") as source, archive.open(_entry("collection.anki2"), "w") as entry:
                shutil.copyfileobj(source, entry, _COPY_CHUNK)
            archive.writestr(_entry("media"), media_map, compresslevel=_DEFLATE_LEVEL)
            for i, (_, data) in enumerate(plan.media):
                archive.writestr(_entry(str(i)), data, compresslevel=_DEFLATE_LEVEL)
    return buffer.getvalue()


def _entry(name: str) -> zipfile.ZipInfo:
    """Describe one zip entry: deflated at our level, with a fixed date and permissions."""
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    # What `writestr(..., compresslevel=)` sets; `open(info, "w")` reads it from the entry
    # itself, under this name from Python 3.13 and a private one before.
    setattr(info, "compress_level" if hasattr(info, "compress_level") else "_compresslevel", _DEFLATE_LEVEL)
    return info


def note_stamps(package: bytes) -> dict[str, tuple[int, int]]:
    """Read a package deckgen wrote as {guid: (modification time, note id)}; empty if it is unreadable."""
    try:
        with zipfile.ZipFile(io.BytesIO(package)) as archive:
            info = archive.getinfo("collection.anki2")
            if info.file_size > _LARGEST_COLLECTION:
                return {}
            collection = archive.read(info)
        return _stamps_of(collection)
    except (zipfile.BadZipFile, KeyError, sqlite3.DatabaseError, ValueError, OSError, NotImplementedError):
        return {}


def _stamps_of(collection: bytes) -> dict[str, tuple[int, int]]:
    handle, name = tempfile.mkstemp(prefix="deckgen-", suffix=".anki2")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(collection)
        # Read-only and immutable: a damaged or hostile file is only ever read.
        db = sqlite3.connect(f"file:{name}?mode=ro&immutable=1", uri=True)
        try:
            return {str(guid): (int(mod), int(nid)) for guid, mod, nid in db.execute("SELECT guid, mod, id FROM notes")}
        finally:
            db.close()
    finally:
        os.unlink(name)
