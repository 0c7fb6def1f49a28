"""The lock file's text: per card, a content hash, modification time and note id, kept between builds.

Anki applies an imported note only when its modification time is strictly newer than the
collection's, so a card's time must move forward exactly when its content changes. The file is
merged like source code: one sorted line per card, so branches touching different cards merge
cleanly, and conflict markers left in it are resolved by keeping the later entry.
"""

from __future__ import annotations

import re
from typing import Iterable

from deckgen.model import LockEntry
from deckgen.problems import Location, Problem, warning

HEADER = (
    "# deckgen.lock: when each card last changed, so Anki applies every edit on re-import.\n"
    "# Commit it with your cards. One line per card, sorted:\n"
    "# card<TAB>content-hash<TAB>modified (epoch seconds)<TAB>note id<TAB>kind<TAB>deck\n"
    "# (a card removed from the sources keeps its line, with 'removed' as its hash)\n"
)
# Larger times or note ids than any real one: a damaged line, not something to hand to Anki.
_LARGEST = 1 << 53
_CONFLICT_MARKERS = ("<<<<<<<", "|||||||", "=======", ">>>>>>>")
# Characters that would split a line into columns or lines (str.splitlines breaks at all but tab).
# (A string: `re` compiles and caches it only for the rare name that needs it.)
_SPLITS_LINES = "[\t\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]"


def _later(a: LockEntry, b: LockEntry) -> LockEntry:
    return b if (b.mod, b.hash) > (a.mod, a.hash) else a


def parse_lock(text: str, path: str) -> tuple[dict[str, LockEntry], list[Problem]]:
    """Read a lock file; damaged lines become warnings and those cards count as changed."""
    entries: dict[str, LockEntry] = {}
    problems: list[Problem] = []
    conflict_line = 0
    shared: dict[str, str] = {}  # one object per kind and deck name, not one per line
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split("\t")
        if len(parts) == 6:
            key, digest, mod, note_id, kind, deck = parts
            # The usual line (every one a build writes): ASCII digits too short to reach _LARGEST
            # read as the checks below would read them, so it skips them. Anything else takes them.
            if key and digest and len(mod) < 16 and len(note_id) < 16 and mod.isascii() and mod.isdigit() \
                    and note_id.isascii() and note_id.isdigit():
                entry = LockEntry(key, digest, int(mod), int(note_id), shared.setdefault(kind, kind),
                                  shared.setdefault(deck, deck))
                earlier = entries.get(key)
                entries[key] = entry if earlier is None else _later(earlier, entry)
                continue
        # A line of six columns with numeric times is an entry even when its key starts with '#' or
        # a conflict marker's characters (a deck may be named "#1" or "<<<<<<<"): tabs tell.
        if len(parts) != 6 or (line[0] == "#" and not (parts[2].isdigit() and parts[3].isdigit())):
            if not line or line[0] == "#" or line.isspace():
                continue
            if line[0] in "<|=>" and line.startswith(_CONFLICT_MARKERS):
                conflict_line = conflict_line or number
                continue
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


def _one_line(entry: LockEntry) -> str:
    """Write an entry as exactly one line of six columns.

    Card keys and deck names cannot hold a tab or line break (validation refuses them), but a
    project note type's name, recorded in the last column, can: it is only shown, so such
    characters become spaces there rather than damage the line on every build.
    """
    if not entry.deck.isprintable() and re.search(_SPLITS_LINES, entry.deck):  # isprintable: the fast, usual case
        entry = entry._replace(deck=re.sub(_SPLITS_LINES, " ", entry.deck))
    return entry.line()


def format_lock(entries: Iterable[LockEntry]) -> str:
    """Write entries as the lock file's text: header, then one sorted line each."""
    lines = sorted(_one_line(entry) for entry in entries)
    return HEADER + "".join(line + "\n" for line in lines)


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
