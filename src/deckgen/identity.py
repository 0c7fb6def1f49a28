"""Stable identities derived from names, never from content or the clock."""

from __future__ import annotations

import hashlib

# Anki writes GUIDs in a base-91 alphabet; any printable text works, this keeps them short.
_BASE91 = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&()*+,-./:;<=>?@[]^_`{|}~"
_GUID_NAMESPACE = "deckgen-note"


def _digest_int(text: str, nbytes: int) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:nbytes], "big")


def guid_for(top_deck: str, card_id: str) -> str:
    """Derive a note's GUID from its top-level deck and card id, so edits keep identity."""
    number = _digest_int(f"{_GUID_NAMESPACE}\x1f{top_deck}\x1f{card_id}", 8)
    digits = []
    while number:
        number, rest = divmod(number, len(_BASE91))
        digits.append(_BASE91[rest])
    return "".join(reversed(digits)) or _BASE91[0]


def deck_id(deck: str) -> int:
    """Derive a deck id from its full name (far above Anki's own small ids)."""
    return (1 << 40) + _digest_int(f"deckgen-deck\x1f{deck}", 6)


def card_id_candidate(guid: str, ordinal: int) -> int:
    """Propose a card id in the range of millisecond timestamps Anki itself uses."""
    return 1_000_000_000_000 + _digest_int(f"deckgen-card\x1f{guid}\x1f{ordinal}", 8) % 900_000_000_000


def content_hash(*parts: str) -> str:
    """Hash what a note shows, to tell an edited card from an untouched one."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]
