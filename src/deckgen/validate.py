"""Check parsed card files against the card format and turn them into Card values."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from deckgen.model import DECK_SEPARATOR, Card
from deckgen.problems import Location, Problem, error
from deckgen.yamlread import Mapping, Node, Scalar, Sequence, kind_of

FILE_KEYS = ("deck", "tags", "source", "cards")
CARD_KEYS = ("id", "q", "a", "cloze", "extra", "reverse", "tags", "source", "guid")
CLOZE_PATTERN = re.compile(r"\{\{c(\d+)::")
CARD_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]*\Z")
BOOLEANS = {"true": True, "false": False}


@dataclass(frozen=True)
class FileCards:
    """The cards of one file, or none when the file itself is unusable."""

    path: str
    cards: tuple[Card, ...]


class _Checker:
    """Validate one file, collecting problems instead of stopping at the first."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def at(self, node: Node) -> Location:
        return Location(self.path, node.line, node.col)

    def fail(self, node: Node, code: str, message: str) -> None:
        self.problems.append(error(self.at(node), code, message))

    def fields(self, mapping: Mapping, allowed: tuple[str, ...], what: str) -> dict[str, tuple[Scalar, Node]]:
        """Index a mapping's keys, reporting unknown ones with a suggestion."""
        found: dict[str, tuple[Scalar, Node]] = {}
        for key, value in mapping.items:
            if key.value in allowed:
                found[key.value] = (key, value)
                continue
            guess = difflib.get_close_matches(key.value, allowed, n=1, cutoff=0.6)
            hint = f"; did you mean '{guess[0]}'?" if guess else f"; expected one of: {', '.join(allowed)}"
            self.fail(key, "unknown-key", f"unknown key '{key.value}' in {what}{hint}")
        return found

    def text(self, found: dict, name: str, required: bool, owner: Node, what: str) -> str | None:
        """Return a non-empty text value, reporting a missing, empty or non-text one."""
        if name not in found:
            if required:
                self.fail(owner, "missing-key", f"{what} is missing '{name}'")
            return None
        key, value = found[name]
        if not isinstance(value, Scalar):
            self.fail(value, "wrong-type", f"'{name}' must be text, not {kind_of(value)}")
            return None
        stripped = value.value.strip()
        if not stripped:
            self.fail(value if value.value else key, "empty-value", f"'{name}' is empty")
            return None
        return stripped

    def tags(self, found: dict) -> tuple[str, ...]:
        """Read a tag list; Anki tags cannot contain spaces."""
        if "tags" not in found:
            return ()
        _, value = found["tags"]
        if isinstance(value, Scalar):
            self.fail(value, "wrong-type", "'tags' must be a list, e.g. [topic, topic::sub]")
            return ()
        if isinstance(value, Mapping):
            self.fail(value, "wrong-type", "'tags' must be a list, not a mapping")
            return ()
        tags: list[str] = []
        for item in value.items:
            if not isinstance(item, Scalar):
                self.fail(item, "wrong-type", f"a tag must be text, not {kind_of(item)}")
            elif not item.value.strip():
                self.fail(item, "empty-value", "tag is empty")
            elif len(item.value.split()) > 1:  # whitespace inside the tag (split() uses str.isspace)
                self.fail(item, "tag-space", f"tag '{item.value.strip()}' contains a space; Anki tags cannot (use - or ::)")
            else:
                tags.append(item.value.strip())
        return tuple(tags)

    def deck(self, found: dict, owner: Node) -> str | None:
        name = self.text(found, "deck", True, owner, "the file")
        if name is None:
            return None
        parts = [part.strip() for part in name.split(DECK_SEPARATOR)]
        if any(not part for part in parts):
            self.fail(found["deck"][1], "empty-deck-segment", f"deck name '{name}' has an empty part between '::'")
            return None
        return DECK_SEPARATOR.join(parts)

    def card(self, node: Node, deck: str, file_tags: tuple[str, ...], file_source: str) -> Card | None:
        if not isinstance(node, Mapping):
            self.fail(node, "wrong-type", f"each card must be a mapping with 'id', not {kind_of(node)}")
            return None
        errors_before = len(self.problems)
        found = self.fields(node, CARD_KEYS, "a card")
        card_id = self.text(found, "id", True, node, "card")
        if card_id is not None and not CARD_ID_PATTERN.match(card_id):
            self.fail(found["id"][1], "bad-id", f"card id '{card_id}' must start with a letter or digit and contain no spaces")
        where = f"card '{card_id}'" if card_id else "card"
        card_tags = self.tags(found)
        # Most cards add no tags: they share the file's tuple instead of each copying it.
        tags = tuple(dict.fromkeys(file_tags + card_tags)) if card_tags else file_tags
        source = self.text(found, "source", False, node, where) or file_source
        extra = self.text(found, "extra", False, node, where) or ""
        guid = self.text(found, "guid", False, node, where)
        reverse = self.boolean(found, "reverse")
        if "cloze" in found:
            for clash in ("q", "a", "reverse"):
                if clash in found:
                    self.fail(found[clash][0], "cloze-and-basic", f"'{clash}' cannot be used in a cloze card")
            text = self.text(found, "cloze", True, node, where)
            if text is not None and not CLOZE_PATTERN.search(text):
                self.fail(found["cloze"][1], "cloze-no-deletion", "cloze text has no deletion like {{c1::answer}}")
            if len(self.problems) > errors_before or card_id is None or text is None:
                return None
            return Card(card_id, "cloze", deck, self.at(node), text=text, extra=extra,
                        source=source, tags=tags, guid=guid)
        if "q" not in found and "a" not in found:
            self.fail(node, "missing-key", f"{where} needs 'q' and 'a' (or 'cloze')")
            return None
        front = self.text(found, "q", True, node, where)
        back = self.text(found, "a", True, node, where)
        if len(self.problems) > errors_before or card_id is None or front is None or back is None:
            return None
        return Card(card_id, "basic", deck, self.at(node), front=front, back=back, extra=extra,
                    source=source, reverse=bool(reverse), tags=tags, guid=guid)

    def boolean(self, found: dict, name: str) -> bool | None:
        if name not in found:
            return None
        _, value = found[name]
        if isinstance(value, Scalar) and value.value.strip().lower() in BOOLEANS:
            return BOOLEANS[value.value.strip().lower()]
        self.fail(value, "wrong-type", f"'{name}' must be true or false")
        return None

    def file(self, root: Node) -> tuple[Card, ...]:
        if not isinstance(root, Mapping):
            self.fail(root, "not-a-mapping", f"the file must be a mapping with 'deck' and 'cards', not {kind_of(root)}")
            return ()
        found = self.fields(root, FILE_KEYS, "the file")
        deck = self.deck(found, root)
        file_tags = tuple(dict.fromkeys(self.tags(found)))
        file_source = self.text(found, "source", False, root, "the file") or ""
        if "cards" not in found:
            self.fail(root, "missing-key", "the file is missing 'cards'")
            return ()
        _, cards_node = found["cards"]
        if not isinstance(cards_node, Sequence):
            self.fail(cards_node, "wrong-type", f"'cards' must be a list of cards, not {kind_of(cards_node)}")
            return ()
        if not cards_node.items:
            self.fail(cards_node, "empty-value", "'cards' is empty")
            return ()
        # Check every card's shape even under a bad deck name, so all mistakes show at once.
        cards = [self.card(node, deck or "?", file_tags, file_source) for node in cards_node.items]
        return tuple(card for card in cards if card is not None) if deck else ()


def validate_file(root: Node, path: str) -> tuple[FileCards, list[Problem]]:
    """Validate one parsed card file."""
    checker = _Checker(path)
    cards = checker.file(root)
    return FileCards(path, cards), checker.problems


def check_unique_ids(files: list[FileCards]) -> list[Problem]:
    """Report card ids used twice within one top-level deck, naming both places."""
    first: dict[str, Card] = {}
    problems: list[Problem] = []
    tops: dict[str, str] = {}  # deck -> top-level deck, split once per deck rather than per card
    for file in files:
        for card in file.cards:
            top = tops.get(card.deck) or tops.setdefault(card.deck, card.top_deck)
            earlier = first.setdefault(f"{top}/{card.id}", card)  # card.key
            if earlier is not card:
                message = (f"duplicate card id '{card.id}' in deck '{card.top_deck}' "
                           f"(first used at {earlier.location})")
                problems.append(error(card.location, "duplicate-id", message))
    return problems
