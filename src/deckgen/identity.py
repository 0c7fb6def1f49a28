"""Stable identities derived from names, never from content or the clock."""

from __future__ import annotations

import hashlib

# Anki writes GUIDs in a base-91 alphabet; any printable text works, this keeps them short.
_BASE91 = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&()*+,-./:;<=>?@[]^_`{|}~"
_GUID_NAMESPACE = "deckgen-note"


def _digest_int(text: str, nbytes: int) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:nbytes], "big")


# Two base-91 digits at a time halve the divisions (this runs once per card per build).
_BASE91_PAIRS = tuple(high + low for high in _BASE91 for low in _BASE91)
_PAIR = len(_BASE91) ** 2


def guid_for(scope: str, card_id: str) -> str:
    """Derive a note's GUID from its scope (top-level deck or namespace) and card id, so edits keep identity."""
    number = _digest_int(f"{_GUID_NAMESPACE}\x1f{scope}\x1f{card_id}", 8)
    pairs = []
    while number >= _PAIR:
        number, rest = divmod(number, _PAIR)
        pairs.append(_BASE91_PAIRS[rest])
    # The leading one or two digits, without a leading zero (number is 0 only for a 0 hash).
    lead = _BASE91_PAIRS[number] if number >= len(_BASE91) else _BASE91[number]
    return lead + "".join(reversed(pairs))


def card_key(scope: str, card_id: str) -> str:
    """Identify a card across builds: `scope/id`, the lock file's first column.

    Ids may contain `/` and scopes may too, so a `/` (and the `%` that escapes it) in the
    scope is percent-encoded: deck `A/b` with id `c` and deck `A` with id `b/c` stay apart.
    """
    if "/" in scope or "%" in scope:
        scope = scope.replace("%", "%25").replace("/", "%2F")
    return f"{scope}/{card_id}"


def deck_id(deck: str) -> int:
    """Derive a deck id from its full name (far above Anki's own small ids)."""
    return (1 << 40) + _digest_int(f"deckgen-deck\x1f{deck}", 6)


def card_id_candidate(guid: str, ordinal: int) -> int:
    """Propose a card id in the range of millisecond timestamps Anki itself uses.

    The range (2001 to 2014) lies in the past: Anki's importer gives any id more than a day
    ahead of its clock a new one, so ids from the future would not stay the package's.
    """
    return 1_000_000_000_000 + _digest_int(f"deckgen-card\x1f{guid}\x1f{ordinal}", 8) % 400_000_000_000


def content_hash(*parts: str) -> str:
    """Hash what a note shows, to tell an edited card from an untouched one."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]
