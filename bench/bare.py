"""The baseline deckgen is measured against: PyYAML's C loader and genanki, nothing else.

Usage: python bench/bare.py CARDS_DIR OUT_DIR

This is what someone would write in an afternoon: load each card file with `CSafeLoader`,
make one genanki note per card with a guid from the card id, and write one package per
top-level deck. No validation, no located errors, no lock file, no atomic writes.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import genanki
import yaml


def _deck_id(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:5], "big")


def _note(card: dict, top: str, tags: list[str]) -> genanki.Note:
    guid = genanki.guid_for(top, card["id"])
    if "cloze" in card:
        return genanki.Note(genanki.CLOZE_MODEL, [card["cloze"], card.get("extra", "")], tags=tags, guid=guid)
    model = genanki.BASIC_AND_REVERSED_CARD_MODEL if card.get("reverse") else genanki.BASIC_MODEL
    return genanki.Note(model, [card["q"], card["a"]], tags=tags, guid=guid)


def main(cards_dir: Path, out_dir: Path) -> None:
    """Build one package per top-level deck from every card file below `cards_dir`."""
    packages: dict[str, dict[str, genanki.Deck]] = {}
    for path in sorted(cards_dir.rglob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        name = data["deck"]
        top = name.split("::")[0]
        decks = packages.setdefault(top, {})
        deck = decks.get(name) or decks.setdefault(name, genanki.Deck(_deck_id(name), name))
        file_tags = list(data.get("tags", []))
        for card in data["cards"]:
            deck.add_note(_note(card, top, file_tags + list(card.get("tags", []))))
    out_dir.mkdir(parents=True, exist_ok=True)
    for top, decks in sorted(packages.items()):
        slug = re.sub(r"[^\w]+", "-", top.casefold()).strip("-")
        genanki.Package(list(decks.values())).write_to_file(str(out_dir / f"{slug}.apkg"))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
