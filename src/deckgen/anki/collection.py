"""A user's Anki collection, read and changed through Anki's own backend.

This is the only deckgen module that opens collections with the `anki` package, which it
imports only when a collection is opened. `AnkiCollection` is what `deckgen sync` and
`deckgen pull` need from a collection; `DirectCollection` does it on the collection file,
`deckgen.anki.ankiconnect.AnkiConnectCollection` through a running Anki.

What the backend does, established on Anki 26.9 (tests/test_collection_access.py pins it):

- Only one backend may have a collection open. A second open, in this process or another
  (the desktop app), fails with `DBError("Anki already open, or media currently syncing.")`;
  that becomes `CollectionLocked`. The backend creates a missing file, so we check first.
- Opening and closing an up-to-date collection leaves its bytes alone, but the backend
  upgrades an older schema on open. `read_only=True` therefore works on a private copy.
- The importer matches notes by GUID and, with `IF_NEWER`, replaces a note's fields *and
  tags* (user-added tags are lost) only when the package's note is strictly newer; the note
  then takes the package's modification time. `ALWAYS` still skips a note whose time
  equals the collection's, so rewriting such a note needs `update_fields`.
- Import never moves, reschedules or re-creates existing cards; `move_cards` keeps a card's
  scheduling and review log, and takes a card out of a filtered deck first.
- Tags are case-insensitive: an imported `foo` becomes the collection's existing `Foo`.
- Editing a note's fields or tags (`update_fields`, `add_tag`, `remove_tag`, or the user)
  stamps it with the current time, after which a package must be newer than that to apply.
- The importer gives notes and cards whose ids lie more than a day ahead new ids.
- Each change is committed at once (to the `-wal` file); `close()` folds it into the
  collection file and releases the lock.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Collection, Iterable, Mapping, Protocol, Sequence

if TYPE_CHECKING:  # pragma: no cover - types only
    from anki.collection import Collection as BackendCollection

# What to tell a user who lacks the backend; the CLI may set its own (see `open_collection`).
INSTALL_HINT = "working on an Anki collection needs Anki's backend: pip install 'deckgen-anki[import]'"
LOCKED_MESSAGE = "the collection is open in Anki (close Anki, or use --ankiconnect)"
# The backend's message for a collection another backend holds (not translated in Anki).
_BACKEND_LOCKED = "Anki already open"
# Where Anki's desktop app keeps a profile's backups: beside the collection file.
BACKUP_FOLDER = "backups"


class CollectionError(Exception):
    """A collection could not be opened or changed; the message is one line for the user."""


class CollectionLocked(CollectionError):
    """Another program (usually Anki's desktop app) has the collection open."""


class CollectionMissing(CollectionError):
    """There is no collection file where one was expected."""


class BackendMissing(CollectionError):
    """The `anki` package is not installed."""


class ReadOnlyCollection(CollectionError):
    """A change was asked of a collection opened with `read_only=True`."""


@dataclass(frozen=True)
class CollectionCard:
    """One card as the collection has it."""

    id: int
    ordinal: int  # its template (or cloze number - 1)
    deck: str  # its home deck: the original deck while it sits in a filtered deck
    suspended: bool
    filtered: bool  # whether it is in a filtered deck right now


@dataclass(frozen=True)
class CollectionNote:
    """One note as the collection has it, with its cards by ordinal."""

    id: int
    # None where the backend cannot tell: AnkiConnect exposes no GUIDs (see notes_by_id).
    guid: str | None
    notetype_id: int
    # Epoch seconds of the last change; None where the backend does not report it (AnkiConnect).
    mod: int | None
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    cards: tuple[CollectionCard, ...]


@dataclass(frozen=True)
class ImportCounts:
    """How Anki's importer treated a package's notes, as its log reports them."""

    new: int  # added
    updated: int  # newer in the package: fields and tags replaced (even if equal)
    unchanged: int  # not newer than the collection's note (the log's "duplicate")
    conflicting: int  # same GUID, different note type: left alone
    found: int  # notes in the package

    @classmethod
    def from_log(cls, log: Any) -> ImportCounts:
        """Count an `ImportResponse.Log`; the CSV-only kinds stay empty for packages."""
        return cls(
            new=len(log.new),
            updated=len(log.updated),
            unchanged=len(log.duplicate),
            conflicting=len(log.conflicting),
            found=log.found_notes,
        )


class AnkiCollection(Protocol):
    """What sync and pull need from a collection, whichever way it is reached."""

    def notes_by_guid(self, guids: Mapping[str, int]) -> dict[str, CollectionNote]:
        """The notes with these GUIDs, keyed by GUID; absent ones are left out.

        `guids` maps each GUID to the note id deckgen gave it (Anki keeps a package's note id
        unless another note has it). The file backend matches GUIDs and ignores the ids;
        AnkiConnect has no GUIDs, so it looks the ids up and labels them with the GUIDs.
        """
        ...

    def notes_by_id(self, ids: Iterable[int]) -> dict[int, CollectionNote]:
        """The notes with these ids; absent ones are left out."""
        ...

    def import_package(self, path: Path) -> ImportCounts | None:
        """Import an .apkg, updating only notes the package has newer; None: not reported."""
        ...

    def update_fields(self, note_id: int, fields: Sequence[str]) -> None:
        """Set a note's fields in place (scheduling kept; its time becomes now)."""
        ...

    def move_cards(self, card_ids: Iterable[int], deck: str) -> None:
        """Move cards to a deck, creating it if needed, keeping their scheduling."""
        ...

    def suspend(self, card_ids: Iterable[int]) -> None: ...

    def unsuspend(self, card_ids: Iterable[int]) -> None: ...

    def add_tag(self, note_ids: Iterable[int], tag: str) -> None: ...

    def remove_tag(self, note_ids: Iterable[int], tag: str) -> None: ...

    def delete_notes(self, note_ids: Iterable[int]) -> None:
        """Delete notes with all their cards and review history."""
        ...

    def backup(self) -> Path | None:
        """Back the collection up; return the backup file, or None where none was made."""
        ...

    def close(self) -> None: ...


def check_tag(tag: str) -> str:
    """Refuse what Anki would split into several tags or drop."""
    if not tag or any(ch.isspace() for ch in tag):
        raise ValueError(f"not a single Anki tag: {tag!r}")
    return tag


def _ids(ids: Iterable[int]) -> list[Any]:
    """Plain ints for the backend's NoteId/CardId parameters (NewTypes of int)."""
    return [int(i) for i in ids]


def _backend_class(install_hint: str | None) -> type[BackendCollection]:
    try:
        from anki.collection import Collection as Backend
    except ImportError:
        raise BackendMissing(install_hint or INSTALL_HINT) from None
    return Backend


def _open_backend(backend: type[BackendCollection], path: Path) -> BackendCollection:
    from anki.errors import DBError

    try:
        return backend(str(path))
    except DBError as error:
        if str(error).startswith(_BACKEND_LOCKED):
            raise CollectionLocked(LOCKED_MESSAGE) from None
        raise CollectionError(f"cannot open the collection {path}: {error}") from None


def _wal(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def open_collection(path: Path, *, read_only: bool = False, install_hint: str | None = None) -> DirectCollection:
    """Open a collection file; never creates one, never opens one that Anki holds.

    With `read_only`, the collection is copied into a temporary folder and the copy opened, so
    the file stays byte-identical (opening it would upgrade an older schema); changes are
    refused. The backend keeps a `-wal` file beside a collection it holds (and after a crash
    until the next open), and copying the file alone then could miss changes, so that counts
    as locked.
    """
    path = Path(path)
    if not path.is_file():
        raise CollectionMissing(f"no Anki collection at {path}")
    backend = _backend_class(install_hint)
    if not read_only:
        return DirectCollection(_open_backend(backend, path), path)
    if _wal(path).exists():
        raise CollectionLocked(LOCKED_MESSAGE)
    folder = Path(tempfile.mkdtemp(prefix="deckgen-collection-"))
    try:
        copy = folder / "collection.anki2"
        shutil.copyfile(path, copy)
        if _wal(path).exists():  # Anki opened it while we copied
            raise CollectionLocked(LOCKED_MESSAGE)
        return DirectCollection(_open_backend(backend, copy), path, snapshot=folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def import_options() -> Any:
    """The importer options AnkiConnect's importPackage uses, so both ways end up alike.

    Notes and note types are updated only when the package's are newer; note types with the
    same id are merged; scheduling and deck options are taken from the package where the
    collection has none (deckgen's cards are new, and existing cards are never touched).
    """
    from anki.import_export_pb2 import ImportAnkiPackageOptions, ImportAnkiPackageUpdateCondition

    if_newer = ImportAnkiPackageUpdateCondition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER
    return ImportAnkiPackageOptions(
        merge_notetypes=True,
        update_notes=if_newer,
        update_notetypes=if_newer,
        with_scheduling=True,
        with_deck_configs=True,
    )


class DirectCollection:
    """A collection file opened with Anki's backend (see `open_collection`)."""

    def __init__(self, col: BackendCollection, path: Path, *, snapshot: Path | None = None) -> None:
        self._col: BackendCollection | None = col
        self.path = path  # the user's collection file (not the copy of a read-only one)
        self._snapshot = snapshot
        self.read_only = snapshot is not None

    def __enter__(self) -> DirectCollection:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def col(self) -> BackendCollection:
        if self._col is None:
            raise CollectionError("the collection is closed")
        return self._col

    def _db(self) -> Any:
        db = self.col.db
        if db is None:
            raise CollectionError("the collection is closed")
        return db

    def _writable(self) -> BackendCollection:
        if self.read_only:
            raise ReadOnlyCollection(f"{self.path} was opened read-only")
        return self.col

    # Reading

    def notes_by_guid(self, guids: Collection[str]) -> dict[str, CollectionNote]:
        wanted = list(dict.fromkeys(guids))
        found: dict[str, int] = {}
        for start in range(0, len(wanted), 500):  # SQLite's variable limit is far above this
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db().all(f"SELECT guid, id FROM notes WHERE guid IN ({marks})", *chunk)
            found.update((guid, nid) for guid, nid in rows)
        notes = self.notes_by_id(found.values())
        return {guid: notes[nid] for guid, nid in found.items() if nid in notes}

    def notes_by_id(self, ids: Iterable[int]) -> dict[int, CollectionNote]:
        from anki.errors import NotFoundError

        col = self.col
        deck_names = {d.id: d.name for d in col.decks.all_names_and_ids()}
        notes: dict[int, CollectionNote] = {}
        for nid in dict.fromkeys(int(i) for i in ids):
            try:
                note = col.get_note(nid)  # type: ignore[arg-type]  # NoteId is an int
            except NotFoundError:
                continue
            cards = []
            for cid, ordinal, did, odid, queue in self._db().all(
                "SELECT id, ord, did, odid, queue FROM cards WHERE nid = ? ORDER BY ord", nid
            ):
                home = odid or did
                cards.append(CollectionCard(cid, ordinal, deck_names.get(home, ""), queue == -1, odid != 0))
            notes[nid] = CollectionNote(
                id=nid,
                guid=note.guid,
                notetype_id=note.mid,
                mod=note.mod,
                fields=tuple(note.fields),
                tags=tuple(note.tags),
                cards=tuple(cards),
            )
        return notes

    # Changing

    def import_package(self, path: Path) -> ImportCounts:
        from anki.import_export_pb2 import ImportAnkiPackageRequest

        request = ImportAnkiPackageRequest(package_path=str(Path(path).resolve()), options=import_options())
        return ImportCounts.from_log(self._writable().import_anki_package(request).log)

    def update_fields(self, note_id: int, fields: Sequence[str]) -> None:
        col = self._writable()
        note = col.get_note(_ids([note_id])[0])
        if len(fields) != len(note.fields):
            raise ValueError(f"note {note_id} has {len(note.fields)} fields, not {len(fields)}")
        note.fields[:] = list(fields)
        col.update_note(note)

    def move_cards(self, card_ids: Iterable[int], deck: str) -> None:
        col = self._writable()
        did = col.decks.id(deck, create=True)
        if did is None:  # only without create=True
            raise CollectionError(f"cannot create the deck {deck!r}")
        col.set_deck(_ids(card_ids), did)

    def suspend(self, card_ids: Iterable[int]) -> None:
        self._writable().sched.suspend_cards(_ids(card_ids))

    def unsuspend(self, card_ids: Iterable[int]) -> None:
        self._writable().sched.unsuspend_cards(_ids(card_ids))

    def add_tag(self, note_ids: Iterable[int], tag: str) -> None:
        self._writable().tags.bulk_add(_ids(note_ids), check_tag(tag))

    def remove_tag(self, note_ids: Iterable[int], tag: str) -> None:
        self._writable().tags.bulk_remove(_ids(note_ids), check_tag(tag))

    def delete_notes(self, note_ids: Iterable[int]) -> None:
        self._writable().remove_notes(_ids(note_ids))

    def backup(self, folder: Path | None = None) -> Path | None:
        """Write a backup the way Anki's desktop app does, into its profile's `backups` folder.

        Anki's "Open Backup..." lists that folder, and thins it on its daily/weekly/monthly
        schedule, ours with its own. Returns None when this session already made a backup
        and nothing changed since (the backend then declines).
        """
        col = self._writable()
        target = Path(folder) if folder is not None else self.path.parent / BACKUP_FOLDER
        target.mkdir(parents=True, exist_ok=True)
        before = {p: p.stat().st_mtime_ns for p in target.glob("*.colpkg")}
        if not col.create_backup(backup_folder=str(target), force=True, wait_for_completion=True):
            return None
        after = {p: p.stat().st_mtime_ns for p in target.glob("*.colpkg")}
        # A backup within the same second as the last one reuses its name.
        changed = [p for p, mtime in after.items() if before.get(p) != mtime]
        return max(changed or after, key=lambda p: (after[p], p.name))

    def close(self) -> None:
        """Close the collection (the backend writes everything out); idempotent."""
        if self._col is not None:
            col, self._col = self._col, None
            col.close()
        if self._snapshot is not None:
            shutil.rmtree(self._snapshot, ignore_errors=True)
            self._snapshot = None


__all__ = [
    "AnkiCollection",
    "BackendMissing",
    "CollectionCard",
    "CollectionError",
    "CollectionLocked",
    "CollectionMissing",
    "CollectionNote",
    "DirectCollection",
    "ImportCounts",
    "INSTALL_HINT",
    "ReadOnlyCollection",
    "check_tag",
    "import_options",
    "open_collection",
]
