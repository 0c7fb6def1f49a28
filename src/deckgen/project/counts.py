"""Counting a build's notes and cards per deck and its cards per tag: the one rule build and stats share."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable

from deckgen.model import Note


@dataclass(frozen=True)
class NoteCounts:
    """Notes and cards per deck (without its sub-decks), by deck name; cards per tag, most first."""

    decks: tuple[tuple[str, int, int], ...]
    tags: tuple[tuple[str, int], ...]


def note_counts(notes: Iterable[Note], also: Iterable[NoteCounts] = ()) -> NoteCounts:
    """Count a build's notes and cards per deck and its cards per tag, adding the counts `also`."""
    decks: dict[str, list[int]] = {}
    tags: Counter[str] = Counter()
    for note in notes:
        counts = decks.setdefault(note.card.deck, [0, 0])
        counts[0] += 1
        counts[1] += len(note.ordinals)
        for tag in note.card.tags:
            tags[tag] += len(note.ordinals)
    for more in also:
        for deck, notes_in, cards_in in more.decks:
            counts = decks.setdefault(deck, [0, 0])
            counts[0] += notes_in
            counts[1] += cards_in
        tags.update(dict(more.tags))
    # Ties broken by the name itself, so that counts added up in any order come out the same.
    return NoteCounts(tuple((deck, decks[deck][0], decks[deck][1]) for deck in sorted(decks, key=lambda d: (d.casefold(), d))),
                      tuple(sorted(tags.items(), key=lambda item: (-item[1], item[0].casefold(), item[0]))))


def encode_counts(counts: NoteCounts) -> list:
    """Write counts as JSON-ready lists."""
    return [[list(d) for d in counts.decks], [list(t) for t in counts.tags]]


def decode_counts(value: Any) -> NoteCounts:
    """Read counts back from `encode_counts` (ValueError or TypeError when damaged)."""
    decks, tags = value
    return NoteCounts(tuple((str(d), int(n), int(c)) for d, n, c in decks), tuple((str(t), int(c)) for t, c in tags))
