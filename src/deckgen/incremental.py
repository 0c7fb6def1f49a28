"""Compile only the decks whose cards changed; the others keep the package the last build wrote.

A top-level deck is kept when its card files are byte for byte those the last build read,
the lock file is the one that build wrote, deckgen is the same, and its package on disk is
the one that build wrote (all checked through the build cache). A full compile would then
stamp every card of the deck exactly as the lock file records it and write the same bytes,
so neither is done again: the deck's lock entries are carried over as they are.

A few checks span decks (note ids, explicit guids, package file names). When a kept deck
could take part in one of them, nothing is kept, so a build's outcome is always exactly what
a full compile gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from deckgen.cache import BuildCache, PackageRecord
from deckgen.compile import Compilation, compile_cards, package_filename
from deckgen.lockfile import LockEntry
from deckgen.media import MediaLoader
from deckgen.projecttypes import ProjectNoteType
from deckgen.validate import FileCards


@dataclass(frozen=True)
class KeptPackage:
    """A package left as the last build wrote it, and the card files it was made from."""

    record: PackageRecord
    sources: tuple[str, ...]


def _by_top_deck(files: list[FileCards]) -> dict[str, list[FileCards]]:
    """Group card files by top-level deck (all cards of a file share its deck)."""
    groups: dict[str, list[FileCards]] = {}
    for file in files:
        if file.cards:
            groups.setdefault(file.cards[0].top_deck, []).append(file)
    return groups


def find_kept(cache: BuildCache, files: list[FileCards], lock_text: str | None, out_dir: Path) -> dict[str, KeptPackage]:
    """Find the top-level decks whose package the last build wrote from these very inputs."""
    kept: dict[str, KeptPackage] = {}
    for top, group in _by_top_deck(files).items():
        sources = tuple(file.path for file in group)
        record = cache.record_for(package_filename(top), cache.package_inputs(sources, lock_text), out_dir)
        cards = [card for file in group for card in file.cards]
        if record is not None and (record.decks, record.notes) == (len({card.deck for card in cards}), len(cards)):
            kept[top] = KeptPackage(record, sources)
    return kept


def _carried_entries(kept_files: dict[str, list[FileCards]], previous: dict[str, LockEntry]) -> list[LockEntry] | None:
    """Return the lock entries of kept cards, or None if stamping them could give others."""
    entries = []
    for group in kept_files.values():
        for card in (card for file in group for card in file.cards):
            entry = previous.get(card.key)
            if entry is None or entry.kind != card.kind or entry.deck != card.deck or entry.note_id <= 0:
                return None
            entries.append(entry)
    # A repeated note id goes to whichever card comes first: only keep when none repeats.
    ids = [entry.note_id for entry in previous.values() if entry.note_id]
    return entries if len(ids) == len(set(ids)) else None


def _clash(kept_files: dict[str, list[FileCards]], other_files: dict[str, list[FileCards]]) -> bool:
    """Tell whether a kept deck shares an explicit guid or a package name with another deck."""
    def guids(groups: dict[str, list[FileCards]]) -> set[str]:
        return {card.guid for group in groups.values() for file in group for card in file.cards if card.guid}

    names = {package_filename(top) for top in kept_files} & {package_filename(top) for top in other_files}
    return bool(names or guids(kept_files) & guids(other_files))


def compile_changed(
    files: list[FileCards], previous: dict[str, LockEntry], now: float, kept: dict[str, KeptPackage],
    media: MediaLoader | None = None, notetypes: dict[str, ProjectNoteType] | None = None,
) -> tuple[Compilation, dict[str, KeptPackage]]:
    """Compile every deck not in `kept`, carrying kept decks' lock entries over unchanged.

    Returns the compilation and the decks actually kept: none, when keeping any could
    change the outcome (the full compile then reports what it finds, worded as always).
    """
    groups = _by_top_deck(files)
    kept_files = {top: group for top, group in groups.items() if top in kept}
    other_files = {top: group for top, group in groups.items() if top not in kept}
    entries = _carried_entries(kept_files, previous) if kept_files else None
    if entries is None or _clash(kept_files, other_files):
        return compile_cards(files, previous, now, media, notetypes), {}
    changed = [file for file in files if not (file.cards and file.cards[0].top_deck in kept)]
    partial = compile_cards(changed, previous, now, media, notetypes)
    keys = {entry.key for entry in entries}
    # The partial compile saw no cards of the kept decks: their lines are carried, not removed.
    lock = tuple(entry for entry in partial.lock if entry.key not in keys) + tuple(entries)
    removed = tuple(entry for entry in partial.removed if entry.key not in keys)
    return Compilation(partial.packages, lock, removed, partial.problems), kept
