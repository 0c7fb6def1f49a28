"""Stamp notes with modification times and note ids against the lock file's entries.

Anki applies an imported note only when its modification time is strictly newer than the
collection's, so a card's time moves forward exactly when its content changes.
"""

from __future__ import annotations

from typing import Iterable, Mapping, NamedTuple

from deckgen.model import LockEntry, Status

# The content hash of a card removed from the sources: it never matches a real one.
REMOVED = "removed"


class Stamp(NamedTuple):
    """The entry a build records for one note, and how the note compares with the last build."""

    entry: LockEntry
    status: Status


def compare(old: LockEntry | None, digest: str) -> Status:
    """Tell how a note with content hash `digest` compares with its lock entry from the last build."""
    if old is None:
        return "new"
    return "unchanged" if old.hash == digest else "changed"


class Stamper:
    """Assign modification times and note ids, moving times forward only on change."""

    def __init__(self, previous: Mapping[str, LockEntry], now: float) -> None:
        self.previous = previous
        self.now_s = int(now)
        self.used_ids = {e.note_id for e in previous.values() if e.note_id}
        self.next_id = max(int(now * 1000), max(self.used_ids, default=0) + 1)
        self.claimed: set[int] = set()

    def _fresh_id(self) -> int:
        while self.next_id in self.used_ids:
            self.next_id += 1
        self.used_ids.add(self.next_id)
        return self.next_id

    def keep(self, entries: Iterable[LockEntry]) -> None:
        """Take over entries exactly as the lock file has them (their note ids unique in it)."""
        self.claimed.update(entry.note_id for entry in entries)

    def stamp(self, key: str, digest: str, kind: str, deck: str, with_id: bool = True) -> Stamp:
        """Return the entry this build records for one note, and how it changed."""
        old = self.previous.get(key)
        status = compare(old, digest)
        if old is None:
            mod, note_id = self.now_s, 0
        elif status == "unchanged":
            mod, note_id = old.mod, old.note_id
        else:
            # Strictly later than before, even for two builds within one second.
            mod, note_id = max(self.now_s, old.mod + 1), old.note_id
        # Two entries can share a note id after a merge; the second one gets a new id.
        if not with_id:
            note_id = 0
        elif note_id <= 0 or note_id in self.claimed:
            note_id = self._fresh_id()
        self.claimed.add(note_id)
        return Stamp(LockEntry(key, digest, mod, note_id, kind, deck), status)
