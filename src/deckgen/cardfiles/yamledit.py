"""Edit card files in place: insert a line, keep every other byte (comments, quoting, order, line endings).

Edits never re-serialise YAML. Each is checked by parsing the result again and comparing it
with the original, so an edit that would change anything else is refused instead of written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from deckgen import cloze
from deckgen.compiler.yamlread import Mapping, Node, Scalar, Sequence, parse_yaml, value_ends
from deckgen.names import DECK_SEPARATOR, id_slug, tag_problem, unique
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


def _offsets(lines: list[str]) -> list[int]:
    """The offset of each line's start, and of the text's end."""
    starts, total = [], 0
    for line in lines:
        starts.append(total)
        total += len(line)
    return starts + [total]


def _shape_with(node: Node, at: tuple[int, int], new: str):
    """Describe a node tree as `_shape` does, with the scalar at `at` holding `new`."""
    if isinstance(node, Scalar):
        return new if (node.line, node.col) == at else node.value
    if isinstance(node, Sequence):
        return [_shape_with(item, at, new) for item in node.items]
    return [(key.value, _shape_with(value, at, new)) for key, value in node.items]


def _pair_at(card: Mapping, at: tuple[int, int]) -> tuple[Scalar, Scalar] | None:
    """The key and scalar value written at `at` in a card, or in its `fields:`."""
    nested = value_of(card, "fields")
    pairs = list(card.items) + (list(nested.items) if isinstance(nested, Mapping) else [])
    for key, value in pairs:
        if isinstance(value, Scalar) and (value.line, value.col) == at:
            return key, value
    return None


def _block(new: str, indent: str, brk: str) -> tuple[str, str] | None:
    """A literal block scalar holding `new`: its header and its lines."""
    body = new[:-1] if new.endswith("\n") else new
    if body.endswith("\n") or not body or body[0] in " \t":
        return None  # needs keep-chomping or an indentation indicator: left to the quoted form
    header = "|" if new.endswith("\n") else "|-"
    return header, "".join((indent + line if line else "") + brk for line in body.split("\n"))


def _renderings(new: str, style: str, indent: str, brk: str) -> list[tuple[str, str]]:
    """Ways to write `new` as a YAML value, the original's style first: (head, body lines)."""
    quoted = (json.dumps(new, ensure_ascii=False), "")
    found: list[tuple[str, str] | None] = []
    if "\n" in new or style in "|>":
        found.append(_block(new, indent, brk))
    elif style == "'":
        found.append(("'" + new.replace("'", "''") + "'", ""))
    elif style != '"':
        found.append((new, ""))
    return [r for r in found if r is not None] + [quoted]


def replace_value(text: str, path: str, card_at: tuple[int, int], value_at: tuple[int, int],
                  new: str, *, keep_final_break: bool = False) -> tuple[str, Problem | None]:
    """Replace one text value of a card with `new`, keeping every other byte of the file.

    `card_at` is where the card's mapping starts, `value_at` where the value is written (a
    key of the card or of its `fields:`). The value keeps its style where it can (plain,
    quoted, block); the edit is parsed again and refused unless that value is all it changed.
    With `keep_final_break`, a value that ended with a line break (a `|` block) still does.
    """
    where = Location(path, *value_at)
    root, problems = parse_yaml(text, path)
    if root is None or problems:
        return text, error(where, "pull-unsafe", "the card file does not parse; edit it by hand")
    card = next((c for c in card_nodes(root) if (c.line, c.col) == card_at), None)
    pair = _pair_at(card, value_at) if card is not None else None
    if pair is None:
        return text, error(where, "pull-unsafe", "the value is not written in the card itself; edit it by hand")
    key, value = pair
    if keep_final_break and value.value.endswith("\n") and not new.endswith("\n"):
        new += "\n"
    lines = split_lines(text)
    starts = _offsets(lines)
    start = starts[value_at[0] - 1] + value_at[1] - 1
    end_line, end_col = value_ends(text)[(key.line, key.col)]
    end = starts[min(end_line, len(lines) + 1) - 1] + end_col - 1
    style = text[start]
    brk = _line_break(lines, value_at[0] - 1)
    if style in "|>":
        header_end = start + len(re.match(r"[|>][0-9+-]*", text[start:]).group(0))  # type: ignore[union-attr]
        head_span = (start, header_end)
        body_from = starts[value_at[0]] if value_at[0] < len(lines) else len(text)
        content = text[body_from:end]
        body_to = body_from + len(content.rstrip(" \t\r\n\x85\u2028\u2029"))
        body_to = min(end, body_to + (len(m.group(0)) if (m := _LINE_BREAK.match(text, body_to)) else 0))
        first = lines[value_at[0]] if value_at[0] < len(lines) else ""
        indent = first[: len(first) - len(first.lstrip(" "))] or " " * (key.col + 1)
    else:
        head_span = (start, end)
        line_index = min(end_line, len(lines)) - 1
        body_from = body_to = starts[line_index + 1]
        indent = " " * (key.col + 1)
    expected = _shape_with(root, value_at, new)
    for head, body in _renderings(new, style, indent, brk):
        if body and body_from == len(text) and not _LINE_BREAK.search(text[-1:]):
            body = brk + body[: -len(brk)]  # the file ends without a line break: keep it that way
        edited = text[: head_span[0]] + head + text[head_span[1] : body_from] + body + text[body_to:]
        new_root, trouble = parse_yaml(edited, path)
        if new_root is not None and not trouble and _shape(new_root) == expected:
            return edited, None
    return text, error(where, "pull-unsafe", "could not write the new text without changing anything else; "
                       "edit it by hand")


def _scalars(node: Node | None) -> list[str]:
    return [item.value.strip() for item in node.items if isinstance(item, Scalar)] if isinstance(node, Sequence) else []


def _shape_tags(node: Node, card_at: tuple[int, int], tags: list[str]):
    """Describe a node tree as `_shape` does, with the card at `card_at` having its own `tags` set."""
    if isinstance(node, Scalar):
        return node.value
    if isinstance(node, Sequence):
        return [_shape_tags(item, card_at, tags) for item in node.items]
    items = [(key.value, _shape_tags(value, card_at, tags)) for key, value in node.items]
    if (node.line, node.col) != card_at:
        return items
    if any(key == "tags" for key, _ in items):
        return [(key, list(tags) if key == "tags" else value) for key, value in items]
    return items + [("tags", list(tags))]


def _own_tags(own: list[str], wanted: list[str], file_tags: list[str]) -> list[str]:
    """The card's own tags that, with its file's, make `wanted` (as Anki compares tags: ignoring case)."""
    keep = {t.casefold() for t in wanted}
    shared = {t.casefold() for t in file_tags}
    result: dict[str, str] = {}
    for tag in own + wanted:
        folded = tag.casefold()
        if folded in keep and folded not in shared:
            result.setdefault(folded, tag)
    return list(result.values())


def set_card_tags(text: str, path: str, card_at: tuple[int, int],
                  wanted: list[str]) -> tuple[str, tuple[str, ...] | None, Problem | None]:
    """Give a card the tags `wanted` (its file's and its own) by rewriting only its own `tags:`.

    Returns the new text, the card's tags as a build reads them, or a problem (text unchanged).
    A file's tag cannot be dropped for one card, and block-style tag lists are left to the user.
    """
    where = Location(path, *card_at)
    root, problems = parse_yaml(text, path)
    if root is None or problems or not isinstance(root, Mapping):
        return text, None, error(where, "pull-unsafe", "the card file does not parse; edit its tags by hand")
    card = next((c for c in card_nodes(root) if (c.line, c.col) == card_at), None)
    if card is None:
        return text, None, error(where, "pull-unsafe", "the card was not found; edit its tags by hand")
    file_tags = _scalars(value_of(root, "tags"))
    folded = {t.casefold() for t in wanted}
    dropped = [t for t in file_tags if t.casefold() not in folded]
    if dropped:
        return text, None, error(where, "pull-tags", f"tag '{dropped[0]}' of the whole file was removed from this "
                                 "card in Anki; a card cannot drop its file's tags: edit the file by hand")
    own_node = value_of(card, "tags")
    own = _own_tags(_scalars(own_node), wanted, file_tags)
    bad = next((t for t in own if tag_problem(t) is not None), None)
    if bad is not None:
        return text, None, error(where, "pull-tags", f"tag '{bad}' from Anki is not a tag card files allow")
    merged = tuple(dict.fromkeys(tuple(file_tags) + tuple(own))) if own else tuple(file_tags)
    lines = split_lines(text)
    starts = _offsets(lines)
    expected = _shape_tags(root, card_at, own)
    for flow in ("[" + ", ".join(own) + "]", "[" + ", ".join(json.dumps(t, ensure_ascii=False) for t in own) + "]"):
        if own_node is not None:
            key = next(k for k, v in card.items if k.value == "tags")
            start = starts[own_node.line - 1] + own_node.col - 1
            end_line, end_col = value_ends(text)[(key.line, key.col)]
            end = starts[min(end_line, len(lines) + 1) - 1] + end_col - 1
            if text[start] != "[" or end_line != own_node.line:
                return text, None, error(where, "pull-tags", "the card's tags are not a one-line [list]; "
                                         "edit them by hand")
            edited = text[:start] + flow + text[end:]
        else:
            last = card.items[-1][0]
            end_line, end_col = value_ends(text)[(last.line, last.col)]
            index = min(end_line - 1 if end_col == 1 else end_line, len(lines))
            brk = _line_break(lines, index)
            line = " " * (card.items[0][0].col - 1) + f"tags: {flow}"
            copy = list(lines)
            if index == len(copy) and copy and not _LINE_BREAK.search(copy[-1]):
                copy.append(brk + line)
            else:
                copy.insert(index, line + brk)
            edited = "".join(copy)
        new_root, trouble = parse_yaml(edited, path)
        if new_root is not None and not trouble and _shape(new_root) == expected:
            return edited, merged, None
    return text, None, error(where, "pull-unsafe", "could not write the tags without changing anything else; "
                             "edit them by hand")
