"""Check parsed card files against the card format and turn them into Card values."""

from __future__ import annotations

import difflib
import re
from typing import Iterable

from deckgen import cloze
from deckgen.compiler.yamlread import Mapping, Node, Scalar, Sequence, kind_of
from deckgen.model import FILE_WIDE, Card, CardKind, Position
from deckgen.names import DECK_SEPARATOR, deck_name_problem, namespace_problem, tag_problem, text_character_problem
from deckgen.problems import Location, Problem, error, warning

FILE_KEYS = ("deck", "tags", "source", "cards", "notetype", "format", "namespace")
CARD_KEYS = ("id", "q", "a", "cloze", "extra", "reverse", "tags", "source", "guid", "notetype", "format",
             "fields", "nolint")
FORMATS = ("markdown", "html")
CARD_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]*\Z")
BOOLEANS = {"true": True, "false": False}
# The card attribute each text key fills, for locating errors found in that text later.
TEXT_ATTRIBUTES = {"q": "front", "a": "back", "cloze": "text", "extra": "extra", "source": "source"}


_CLOZE_OPENER = re.compile(cloze.OPENER)


def _unread_numbers(text: str) -> str:
    """Explain an opener whose number Anki reads as plain text (above 65535), if the text has one."""
    for match in _CLOZE_OPENER.finditer(text):
        if cloze.count(match.group()) == 0:
            shown = match.group(1) if len(match.group(1)) <= 24 else match.group(1)[:21] + "..."
            return f" ('c{shown}': Anki reads numbers above 65535 as plain text)"
    return ""


def _written_at(found: dict) -> list[Position]:
    """Where each text key a card has was written: (attribute, line, col) in its file."""
    return [(attr, found[key][1].line, found[key][1].col) for key, attr in TEXT_ATTRIBUTES.items() if key in found]


class _Checker:
    """Validate one file, collecting problems instead of stopping at the first."""

    def __init__(self, path: str, file: str) -> None:
        self.path = path
        self.real_path = file
        self.problems: list[Problem] = []
        self.errors = 0  # how many of the problems are errors: asked twice per card
        # Cards written alike have their texts at the same places relative to their own line:
        # they share one tuple of positions (about 25 MB at 100k cards, if each had its own).
        self.shapes: dict[tuple[Position, ...], tuple[Position, ...]] = {}

    def at(self, node: Node) -> Location:
        return Location(self.path, node.line, node.col)

    def fail(self, node: Node, code: str, message: str) -> None:
        self.problems.append(error(self.at(node), code, message))
        self.errors += 1

    def error_count(self) -> int:
        return self.errors

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

    def text(self, found: dict, name: str, required: bool, owner: Node, what: str, raw: bool = False) -> str | None:
        """Return a non-empty text value, reporting a missing, empty or non-text one.

        `raw` text (HTML kept as is) keeps its surrounding space and may be only space.
        """
        if name not in found:
            if required:
                self.fail(owner, "missing-key", f"{what} is missing '{name}'")
            return None
        key, value = found[name]
        if not isinstance(value, Scalar):
            self.fail(value, "wrong-type", f"'{name}' must be text, not {kind_of(value)}")
            return None
        stripped = value.value if raw else value.value.strip()
        if not stripped:
            self.fail(value if value.value else key, "empty-value", f"'{name}' is empty")
            return None
        unstorable = text_character_problem(stripped)
        if unstorable is not None:
            refused, what = unstorable
            if refused or not raw:
                self.fail(value, "text-character", f"'{name}' {what}; Anki cannot store it (remove it)")
                return None
            # HTML as Anki had it (what `deckgen import` writes): kept, but Anki drops it on import.
            self.problems.append(warning(self.at(value), "text-character",
                                         f"'{name}' {what}; Anki drops it when it imports the note"))
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
            elif (problem := tag_problem(item.value)) is not None:
                self.fail(item, *problem)
            else:
                tags.append(item.value.strip())
        return tuple(tags)

    def names(self, found: dict, name: str) -> tuple[Position, ...]:
        """Read a key holding a list of texts, each with where it was written."""
        if name not in found:
            return ()
        _, value = found[name]
        items = value.items if isinstance(value, Sequence) else (value,)
        if not isinstance(value, Sequence) or any(not isinstance(item, Scalar) for item in items):
            self.fail(value, "wrong-type", f"'{name}' must be a list of texts, e.g. [answer-too-long]")
            return ()
        return tuple((item.value.strip(), item.line, item.col) for item in items if isinstance(item, Scalar))

    def deck(self, found: dict, owner: Node) -> str | None:
        name = self.text(found, "deck", True, owner, "the file")
        if name is None:
            return None
        problem = deck_name_problem(name)
        if problem is not None:
            self.fail(found["deck"][1], *problem)
            return None
        return DECK_SEPARATOR.join(part.strip() for part in name.split(DECK_SEPARATOR))

    def text_positions(self, card: Node, found: dict, file_source_at: Node | None) -> tuple[Position, ...]:
        """Locate the value of each text key a card has (its file's source when it has none)."""
        wide = None
        if "source" not in found and file_source_at is not None:
            wide = (FILE_WIDE + "source", file_source_at.line, file_source_at.col)
        return self.relative(card, _written_at(found), wide)

    def relative(self, card: Node, spots: Iterable[Position], wide: Position | None = None) -> tuple[Position, ...]:
        """Turn (attribute, line, col) into a card's positions: lines counted from the card's own."""
        shape = tuple((attr, line - card.line, col) for attr, line, col in spots) + ((wide,) if wide else ())
        return self.shapes.setdefault(shape, shape)

    def choice(self, found: dict, name: str, allowed: tuple[str, ...], default: str | None) -> str | None:
        """Read a value that must be one of a few words (or any text when none are given)."""
        if name not in found:
            return default
        value = self.text(found, name, True, found[name][0], "")
        if value is not None and allowed and value not in allowed:
            self.fail(found[name][1], "wrong-value", f"'{name}' must be one of: {', '.join(allowed)}")
        return value

    def named_fields(self, found: dict, raw: bool) -> tuple[tuple[tuple[str, str], ...], list[Position]]:
        """Read `fields:`, a mapping of note-type field names to text."""
        _, value = found["fields"]
        if not isinstance(value, Mapping):
            self.fail(value, "wrong-type", f"'fields' must be a mapping of field names to text, not {kind_of(value)}")
            return (), []
        texts, spots = [], []
        for key, item in value.items:
            text = self.text({key.value: (key, item)}, key.value, True, key, "", raw)
            if text is not None:
                texts.append((key.value, text))
                spots.append((f"field:{key.value}", item.line, item.col))
        return tuple(texts), spots

    def card(self, node: Node, deck: str, file_tags: tuple[str, ...], file_source: str,
             file_source_at: Node | None = None, defaults: tuple[str | None, str] = (None, "markdown")) -> Card | None:
        if not isinstance(node, Mapping):
            self.fail(node, "wrong-type", f"each card must be a mapping with 'id', not {kind_of(node)}")
            return None
        errors_before = self.error_count()
        found = self.fields(node, CARD_KEYS, "a card")
        notetype = self.choice(found, "notetype", (), defaults[0])
        raw = self.choice(found, "format", FORMATS, defaults[1]) == "html"
        if "id" not in found:
            self.fail(node, "missing-key", "card is missing 'id' (`deckgen ids` adds ids to cards without one)")
        card_id = self.text(found, "id", False, node, "card")
        if card_id is not None and not CARD_ID_PATTERN.match(card_id):
            self.fail(found["id"][1], "bad-id", f"card id '{card_id}' must start with a letter or digit and contain no spaces")
        where = f"card '{card_id}'" if card_id else "card"
        card_tags = self.tags(found)
        # Most cards add no tags: they share the file's tuple instead of each copying it.
        tags = tuple(dict.fromkeys(file_tags + card_tags)) if card_tags else file_tags
        source = self.text(found, "source", False, node, where, raw) or file_source
        extra = self.text(found, "extra", False, node, where, raw) or ""
        guid = self.text(found, "guid", False, node, where, raw=True)
        reverse = self.boolean(found, "reverse")
        nolint = self.names(found, "nolint")  # which lint rules to skip: `deckgen lint` checks the codes
        if notetype is not None or "fields" in found:
            card = self.typed_card(node, found, card_id, deck, tags, guid, (notetype, raw, source, errors_before))
            return card._replace(nolint=nolint) if card is not None and nolint else card
        if "cloze" in found:
            for clash in ("q", "a", "reverse"):
                if clash in found:
                    self.fail(found[clash][0], "cloze-and-basic", f"'{clash}' cannot be used in a cloze card")
            text = self.text(found, "cloze", True, node, where, raw)
            if text is not None and not raw and not cloze.count(text):
                self.fail(found["cloze"][1], "cloze-no-deletion", "cloze text has no deletion like {{c1::answer}}"
                          + _unread_numbers(text))
            elif text is not None and not raw:
                for code, message in cloze.mistakes(text):
                    self.fail(found["cloze"][1], code, message)
            if self.error_count() > errors_before or card_id is None or text is None:
                return None
            return Card(card_id, "cloze", deck, self.at(node), self.real_path, text=text, extra=extra,
                        source=source, tags=tags, guid=guid, html=raw,
                        field_positions=self.text_positions(node, found, file_source_at), nolint=nolint)
        if "q" not in found and "a" not in found:
            self.fail(node, "missing-key", f"{where} needs 'q' and 'a' (or 'cloze')")
            return None
        front = self.text(found, "q", True, node, where, raw)
        back = self.text(found, "a", True, node, where, raw)
        if self.error_count() > errors_before or card_id is None or front is None or back is None:
            return None
        return Card(card_id, "basic", deck, self.at(node), self.real_path, front=front, back=back, extra=extra,
                    source=source, reverse=bool(reverse), tags=tags, guid=guid, html=raw,
                    field_positions=self.text_positions(node, found, file_source_at), nolint=nolint)

    def typed_card(self, node: Mapping, found: dict, card_id: str | None, deck: str, tags: tuple[str, ...],
                   guid: str | None, options: tuple[str | None, bool, str, int]) -> Card | None:
        """Check a card of a project note type: its text as `fields:` or as q/a or cloze/extra."""
        notetype, raw, source, errors_before = options
        where = f"card '{card_id}'" if card_id else "card"
        if notetype is None:
            self.fail(found["fields"][0], "fields-without-notetype", "'fields' needs a 'notetype' (a file in notetypes/)")
        for key in ("reverse", "source"):
            if key in found:
                self.fail(found[key][0], "notetype-key", f"'{key}' cannot be used with a note type from notetypes/")
        if source and "source" not in found:
            self.fail(node, "notetype-key", "the file's 'source' cannot be used with a note type from notetypes/")
        shorthand = [key for key in ("q", "a", "cloze", "extra") if key in found]
        if {"q", "a"} & set(shorthand) and {"cloze", "extra"} & set(shorthand):
            self.fail(found["cloze" if "cloze" in found else "extra"][0], "cloze-and-basic",
                      "'cloze'/'extra' cannot be used together with 'q'/'a'")
        if "fields" in found and shorthand:
            self.fail(found[shorthand[0]][0], "fields-and-text", f"'{shorthand[0]}' cannot be used together with 'fields'")
        texts: dict[str, str | None] = {}
        if "fields" in found:
            named, spots = self.named_fields(found, raw)
        else:
            keys = ("cloze", "extra") if "cloze" in found or "extra" in found else ("q", "a")
            texts = {TEXT_ATTRIBUTES[k]: self.text(found, k, k != "extra", node, where, raw) for k in keys}
            named, spots = (), _written_at(found)
        if self.error_count() > errors_before or card_id is None or notetype is None:
            return None
        kind: CardKind = "cloze" if "cloze" in found or "extra" in found else "basic"
        text_of = {k: v or "" for k, v in texts.items()}
        return Card(card_id, kind, deck, self.at(node), self.real_path, front=text_of.get("front", ""),
                    back=text_of.get("back", ""), text=text_of.get("text", ""), extra=text_of.get("extra", ""),
                    tags=tags, guid=guid, notetype=notetype, named_fields=named, html=raw,
                    field_positions=self.relative(node, spots))

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
        file_source_at = found["source"][1] if file_source else None
        defaults = (self.choice(found, "notetype", (), None), self.choice(found, "format", FORMATS, "markdown") or "markdown")
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
        cards = [self.card(node, deck or "?", file_tags, file_source, file_source_at, defaults) for node in cards_node.items]
        valid = tuple(card for card in cards if card is not None) if deck else ()
        namespace = self.text(found, "namespace", False, root, "the file")
        bad_namespace = None if namespace is None else namespace_problem(namespace)
        if bad_namespace is not None:
            self.fail(found["namespace"][1], *bad_namespace)
            return ()
        # Rare (a renamed top-level deck), so cards are made first and only then re-scoped.
        return tuple(card._replace(namespace=namespace) for card in valid) if namespace else valid


def validate_file(root: Node, path: str, file: str) -> tuple[tuple[Card, ...], list[Problem]]:
    """Validate one parsed card file shown as `path`, whose real path is `file`."""
    checker = _Checker(path, file)
    cards = checker.file(root)
    return cards, checker.problems


def check_unique_ids(cards: Iterable[Card]) -> list[Problem]:
    """Report card ids used twice within one scope (top-level deck or namespace), naming both places."""
    first: dict[str, Card] = {}
    problems: list[Problem] = []
    for card in cards:
        earlier = first.setdefault(card.key, card)
        if earlier is not card:
            message = f"duplicate card id '{card.id}' in deck '{card.scope}' (first used at {earlier.location})"
            problems.append(error(card.location, "duplicate-id", message))
    return problems
