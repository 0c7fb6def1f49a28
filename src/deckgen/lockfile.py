"""The lock file: per card, a content hash, modification time and note id, kept between builds.

Anki applies an imported note only when its modification time is strictly newer than the
collection's, so a card's time must move forward exactly when its content changes. The file is
merged like source code: one sorted line per card, so branches touching different cards merge
cleanly, and conflict markers left in it are resolved by keeping the later entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from deckgen.problems import Location, Problem, warning

HEADER = (
    "# deckgen.lock: when each card last changed, so Anki applies every edit on re-import.\n"
    "# Commit it with your cards. One line per card, sorted:\n"
    "# card<TAB>content-hash<TAB>modified (epoch seconds)<TAB>note id<TAB>kind<TAB>deck\n"
    "# (a card removed from the sources keeps its line, with 'removed' as its hash)\n"
)
# Larger times or note ids than any real one: a damaged line, not something to hand to Anki.
_LARGEST = 1 << 53
# The content hash of a card removed from the sources: it never matches a real one.
REMOVED = "removed"
_CONFLICT_MARKERS = ("<<<<<<<", "|||||||", "=======", ">>>>>>>")


@dataclass(frozen=True)
class LockEntry:
    """What the last build recorded for one card (or note type)."""

    key: str
    hash: str
    mod: int
    note_id: int
    kind: str
    deck: str

    def line(self) -> str:
        return "\t".join((self.key, self.hash, str(self.mod), str(self.note_id), self.kind, self.deck))


def _later(a: LockEntry, b: LockEntry) -> LockEntry:
    return b if (b.mod, b.hash) > (a.mod, a.hash) else a


def parse_lock(text: str, path: str) -> tuple[dict[str, LockEntry], list[Problem]]:
    """Read a lock file; damaged lines become warnings and those cards count as changed."""
    entries: dict[str, LockEntry] = {}
    problems: list[Problem] = []
    conflict_line = 0
    shared: dict[str, str] = {}  # one object per kind and deck name, not one per line
    for number, line in enumerate(text.splitlines(), start=1):
        if not line or line[0] == "#" or line.isspace():
            continue
        if line[0] in "<|=>" and line.startswith(_CONFLICT_MARKERS):
            conflict_line = conflict_line or number
            continue
        parts = line.split("\t")
        try:
            if len(parts) != 6 or not parts[0] or not parts[1]:
                raise ValueError
            kind, deck = shared.setdefault(parts[4], parts[4]), shared.setdefault(parts[5], parts[5])
            entry = LockEntry(parts[0], parts[1], int(parts[2]), int(parts[3]), kind, deck)
            if not (0 <= entry.mod < _LARGEST and 0 <= entry.note_id < _LARGEST):
                raise ValueError  # Anki stores both as 64-bit integers; no real time is near this
        except ValueError:
            message = "unreadable lock entry ignored; its card will be stamped as changed"
            problems.append(warning(Location(path, number, 1), "lock-damaged", message))
            continue
        earlier = entries.get(entry.key)
        entries[entry.key] = entry if earlier is None else _later(earlier, entry)
    if conflict_line:
        message = "merge conflict markers in the lock file; resolved by keeping each card's later entry"
        problems.append(warning(Location(path, conflict_line, 1), "lock-conflict", message))
    return entries, problems


def format_lock(entries: Iterable[LockEntry]) -> str:
    """Write entries as the lock file's text: header, then one sorted line each."""
    lines = sorted(entry.line() for entry in entries)
    return HEADER + "".join(line + "\n" for line in lines)


@dataclass(frozen=True)
class Stamp:
    """The outcome of comparing one note with its lock entry."""

    entry: LockEntry
    status: str  # "new", "changed" or "unchanged"


class Stamper:
    """Assign modification times and note ids, moving times forward only on change."""

    def __init__(self, previous: dict[str, LockEntry], now: float) -> None:
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

    def stamp(self, key: str, digest: str, kind: str, deck: str, with_id: bool = True) -> Stamp:
        """Return the entry this build records for one note, and how it changed."""
        old = self.previous.get(key)
        if old is None:
            mod, note_id, status = self.now_s, 0, "new"
        elif old.hash == digest:
            mod, note_id, status = old.mod, old.note_id, "unchanged"
        else:
            # Strictly later than before, even for two builds within one second.
            mod, note_id, status = max(self.now_s, old.mod + 1), old.note_id, "changed"
        # Two entries can share a note id after a merge; the second one gets a new id.
        if not with_id:
            note_id = 0
        elif note_id <= 0 or note_id in self.claimed:
            note_id = self._fresh_id()
        self.claimed.add(note_id)
        return Stamp(LockEntry(key, digest, mod, note_id, kind, deck), status)


def recover_entries(cards: Iterable[tuple[str, str, str]], stamps: dict[str, tuple[int, int]]) -> dict[str, LockEntry]:
    """Rebuild lock entries from the packages the last build wrote, for a lost lock file.

    `cards` are (key, guid, deck). An entry gets the note's old time and id but no content
    hash, so its card stamps as changed, strictly later than before: an edit made after the
    lock was lost still reaches Anki, even within the same second.
    """
    entries = {}
    for key, guid, deck in cards:
        if guid in stamps:
            mod, note_id = stamps[guid]
            entries[key] = LockEntry(key, "", mod, note_id, "", deck)
    return entries
