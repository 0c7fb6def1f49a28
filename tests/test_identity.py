"""Note identity never changes: GUIDs are a plain base-91 writing of a hash of deck and id."""

from __future__ import annotations

import random

import pytest

from deckgen import identity


def _reference_guid(number: int) -> str:
    """Write a number in base 91 one digit at a time, the way the first version of deckgen did."""
    digits = []
    while number:
        number, rest = divmod(number, len(identity._BASE91))
        digits.append(identity._BASE91[rest])
    return "".join(reversed(digits)) or identity._BASE91[0]


def test_guids_match_the_reference_for_many_ids() -> None:
    rng = random.Random(7)
    for _ in range(5000):
        deck = rng.choice(["Demo", "Deep Learning Frameworks", "中文", ""])
        card_id = "".join(rng.choice("abcxyz0189._:/-") for _ in range(rng.randint(1, 24)))
        number = identity._digest_int(f"deckgen-note\x1f{deck}\x1f{card_id}", 8)
        assert identity.guid_for(deck, card_id) == _reference_guid(number)


@pytest.mark.parametrize("number", [0, 1, 90, 91, 92, 91**2 - 1, 91**2, 91**2 + 1, 91**3, 91**5 - 1, 2**64 - 1])
def test_guids_match_the_reference_at_digit_boundaries(number: int, monkeypatch) -> None:
    monkeypatch.setattr(identity, "_digest_int", lambda text, nbytes: number)
    assert identity.guid_for("Demo", "x") == _reference_guid(number)


def test_a_known_guid_stays_the_same() -> None:
    # Anki matches notes by GUID: this value, written by deckgen's first release, is in users'
    # collections and must never change.
    assert identity.guid_for("Demo", "mindspore") == "K1G/d9-4#i"
