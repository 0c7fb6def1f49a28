"""Edit card files in place: insert a line, keep every other byte (comments, quoting, order, line endings).

Edits never re-serialise YAML. Each is checked by parsing the result again and comparing it
with the original, so an edit that would change anything else is refused instead of written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from deckgen import cloze
from deckgen.compiler.yamlread import Mapping, Node, Scalar, Sequence, parse_yaml, value_ends
from deckgen.names import DECK_SEPARATOR, id_slug, unique
from deckgen.problems import Location, Problem, error

# The line breaks YAML counts (str.splitlines knows more, which would shift line numbers).
_LINE_BREAK = re.compile(r"\r\n|\r|\n|\x85|\u2028|\u2029")


@dataclass(frozen=True)
class AddedId:
    """An id inserted into a card file."""

    location: Location
    card_id: str


def split_lines(text: str) -> list[str]:
    """Split text into lines that keep their own line break, as YAML counts lines."""
    lines, start = [], 0
    for match in _LINE_BREAK.finditer(text):
        lines.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


def value_of(mapping: Mapping, key: str) -> Node | None:
    return next((value for k, value in mapping.items if k.value == key), None)


def card_nodes(root: Node) -> list[Mapping]:
    cards = value_of(root, "cards") if isinstance(root, Mapping) else None
    return [item for item in cards.items if isinstance(item, Mapping)] if isinstance(cards, Sequence) else []


def id_scope(root: Node) -> str:
    """Name what a file's ids must be unique within: its namespace, else its top-level deck."""
    namespace = value_of(root, "namespace") if isinstance(root, Mapping) else None
    if isinstance(namespace, Scalar) and namespace.value.strip():
        return namespace.value.strip()
    deck = value_of(root, "deck") if isinstance(root, Mapping) else None
    return deck.value.split(DECK_SEPARATOR)[0].strip() if isinstance(deck, Scalar) else ""


def _card_text(card: Mapping) -> str:
    """Pick the text an id is derived from: the question, else the cloze text, else the answer."""
    for key in ("q", "cloze", "a"):
        value = value_of(card, key)
        if isinstance(value, Scalar) and value.value.strip():
            return cloze.reveal(value.value)
    return ""


def _insertion_index(card: Mapping, lines: list[str], ends: dict[tuple[int, int], tuple[int, int]]) -> int:
    """Return the index of the line the new `id:` line goes before.

    A card whose first key has a line of its own gets the id just above it; one that starts on
    the `- ` line gets it just below that first key's value (a block value ends where the next
    token starts, possibly at the start of a later line).
    """
    first = card.items[0][0]
    if not lines[first.line - 1][: first.col - 1].strip():
        return first.line - 1
    end_line, end_col = ends[(first.line, first.col)]
    before_end = lines[end_line - 1][: end_col - 1] if end_line <= len(lines) else ""
    return end_line - 1 if not before_end.strip() else end_line


def _line_break(lines: list[str], index: int) -> str:
    """Use the line break of the line above the insertion point, else the file's first one."""
    for line in ([lines[index - 1]] if index > 0 else []) + lines:
        match = _LINE_BREAK.search(line)
        if match:
            return match.group(0)
    return "\n"


def _shape(node: Node, skip_ids_of: frozenset[tuple[int, int]] = frozenset()):
    """Describe a node tree without positions, leaving out the `id` of the cards at the given places."""
    if isinstance(node, Scalar):
        return node.value
    if isinstance(node, Sequence):
        return [_shape(item, skip_ids_of) for item in node.items]
    drop = (node.line, node.col) in skip_ids_of
    return [(key.value, _shape(value, skip_ids_of)) for key, value in node.items if not (drop and key.value == "id")]


def add_ids_to_text(text: str, path: str, taken: dict[str, set[str]]) -> tuple[str, list[AddedId], list[Problem]]:
    """Insert an `id:` line into every card without one; refuse cards it cannot edit safely."""
    root, problems = parse_yaml(text, path)
    if root is None or problems:
        return text, [], problems
    lines = split_lines(text)
    ends = value_ends(text)
    ids = taken.setdefault(id_scope(root), set())
    inserts: list[tuple[int, str]] = []  # (index of the line to go before, the new line)
    added: list[AddedId] = []
    for card in card_nodes(root):
        if value_of(card, "id") is not None:
            continue
        where = Location(path, card.line, card.col)
        if lines[card.line - 1][card.col - 1 : card.col] == "{" or not card.items:
            problems.append(error(where, "flow-style-card", "this card is written in flow style ({...}); "
                                  "deckgen ids only edits block-style cards: add its id by hand"))
            continue
        card_id = unique(id_slug(_card_text(card)) or "card", ids)
        indent = " " * (card.items[0][0].col - 1)
        inserts.append((_insertion_index(card, lines, ends), f"{indent}id: {card_id}"))
        added.append(AddedId(where, card_id))
    if problems or not inserts:
        return text, [], problems
    for index, line in sorted(inserts, key=lambda item: item[0], reverse=True):
        brk = _line_break(lines, index)
        if index == len(lines) and lines and not _LINE_BREAK.search(lines[-1]):
            lines.append(brk + line)  # the file ends without a line break: keep it that way
        else:
            lines.insert(index, line + brk)
    new_text = "".join(lines)
    return new_text, added, _check_edit(text, new_text, path, added)


def _check_edit(old: str, new: str, path: str, added: list[AddedId]) -> list[Problem]:
    """Parse the edited text again and make sure the new ids are the only change."""
    old_root, _ = parse_yaml(old, path)
    new_root, problems = parse_yaml(new, path)
    if old_root is not None and new_root is not None and not problems:
        new_ids = {a.card_id for a in added}
        given = frozenset((c.line, c.col) for c in card_nodes(new_root)
                          if isinstance(v := value_of(c, "id"), Scalar) and v.value in new_ids)
        if len(given) == len(added) and _shape(new_root, given) == _shape(old_root):
            return []
    where = added[0].location
    return [error(where, "ids-unsafe", "could not insert ids without changing anything else; add them by hand")]
