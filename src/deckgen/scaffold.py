"""`deckgen new` starts a card file; `deckgen ids` gives cards their missing ids in place.

`ids` edits text, never re-serialises YAML: it only inserts one `id:` line per card, so comments,
order, quoting, blank lines and line endings stay exactly as they were. Each edit is checked by
parsing the result again; a card it cannot edit safely (flow style, `{...}`) is reported instead.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from deckgen.build import write_atomically
from deckgen.model import DECK_SEPARATOR
from deckgen.problems import Location, Problem, error, has_errors
from deckgen.sources import display_path, find_card_files
from deckgen.yamlread import Mapping, Node, Scalar, Sequence, parse_yaml, value_ends

# The line breaks YAML counts (str.splitlines knows more, which would shift line numbers).
_LINE_BREAK = re.compile(r"\r\n|\r|\n|\x85|\u2028|\u2029")
_DELETION = re.compile(r"\{\{c\d+::(.*?)(?:::[^}]*)?\}\}", re.DOTALL)
_FILLER = frozenset("a an the of to is are was were be in on at and or which what who whom does did do".split())
_BOM = b"\xef\xbb\xbf"
SCHEMA_FILE = "deckgen.schema.json"


class ScaffoldError(Exception):
    """A request `deckgen new` cannot carry out, with the reason to show."""


@dataclass(frozen=True)
class AddedId:
    """An id inserted into a card file."""

    location: Location
    card_id: str


@dataclass(frozen=True)
class IdsReport:
    """The ids added (or that would be added), and the cards that could not get one."""

    problems: tuple[Problem, ...]
    added: tuple[AddedId, ...]
    files: int
    wrote: bool

    @property
    def failed(self) -> bool:
        return has_errors(self.problems)


def slug(text: str, words: int = 5) -> str:
    """Make a kebab-case id from text: ASCII letters and digits, filler words dropped."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    found = re.findall(r"[a-z0-9]+", ascii_text)
    kept = [word for word in found if word not in _FILLER] or found
    return "-".join(kept[:words]) or "card"


def _unique(base: str, taken: set[str]) -> str:
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    taken.add(candidate)
    return candidate


def split_lines(text: str) -> list[str]:
    """Split text into lines that keep their own line break, as YAML counts lines."""
    lines, start = [], 0
    for match in _LINE_BREAK.finditer(text):
        lines.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


def _value(mapping: Mapping, key: str) -> Node | None:
    return next((value for k, value in mapping.items if k.value == key), None)


def _cards(root: Node) -> list[Mapping]:
    cards = _value(root, "cards") if isinstance(root, Mapping) else None
    return [item for item in cards.items if isinstance(item, Mapping)] if isinstance(cards, Sequence) else []


def _top_deck(root: Node) -> str:
    """Name what a file's ids must be unique within: its namespace, else its top-level deck."""
    namespace = _value(root, "namespace") if isinstance(root, Mapping) else None
    if isinstance(namespace, Scalar) and namespace.value.strip():
        return namespace.value.strip()
    deck = _value(root, "deck") if isinstance(root, Mapping) else None
    return deck.value.split(DECK_SEPARATOR)[0].strip() if isinstance(deck, Scalar) else ""


def _card_text(card: Mapping) -> str:
    """Pick the text an id is derived from: the question, else the cloze text, else the answer."""
    for key in ("q", "cloze", "a"):
        value = _value(card, key)
        if isinstance(value, Scalar) and value.value.strip():
            return _DELETION.sub(r"\1", value.value)
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
    ids = taken.setdefault(_top_deck(root), set())
    inserts: list[tuple[int, str]] = []  # (index of the line to go before, the new line)
    added: list[AddedId] = []
    for card in _cards(root):
        if _value(card, "id") is not None:
            continue
        where = Location(path, card.line, card.col)
        if lines[card.line - 1][card.col - 1 : card.col] == "{" or not card.items:
            problems.append(error(where, "flow-style-card", "this card is written in flow style ({...}); "
                                  "deckgen ids only edits block-style cards: add its id by hand"))
            continue
        card_id = _unique(slug(_card_text(card)), ids)
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
    if new_root is not None and not problems:
        new_ids = {a.card_id for a in added}
        given = frozenset((c.line, c.col) for c in _cards(new_root)
                          if isinstance(v := _value(c, "id"), Scalar) and v.value in new_ids)
        if len(given) == len(added) and _shape(new_root, given) == _shape(old_root):
            return []
    where = added[0].location
    return [error(where, "ids-unsafe", "could not insert ids without changing anything else; add them by hand")]


def _read(path: Path) -> tuple[bytes, str]:
    """Read a card file, keeping a byte-order mark aside so it is written back unchanged."""
    data = path.read_bytes()
    bom = data[:3] if data.startswith(_BOM) else b""
    return bom, data[len(bom) :].decode("utf-8")


def run_ids(cards_dir: Path, *, write: bool = True) -> IdsReport:
    """Add missing card ids to every card file; write only when every file could be edited."""
    if not cards_dir.is_dir():
        where = Location(display_path(cards_dir))
        return IdsReport((error(where, "no-cards-dir", f"card folder '{where.path}' does not exist"),), (), 0, False)
    files: list[tuple[Path, bytes, str, str]] = []
    for path in find_card_files(cards_dir):
        try:
            bom, text = _read(path)
        except (OSError, UnicodeDecodeError) as exc:
            return IdsReport((error(Location(display_path(path)), "unreadable", f"cannot read file: {exc}"),), (), 0, False)
        files.append((path, bom, text, display_path(path)))
    # Existing ids first, across all files, so a new id never takes one used further on.
    taken: dict[str, set[str]] = {}
    for _, _, text, shown in files:
        root, _ = parse_yaml(text, shown)
        if root is not None:
            ids = taken.setdefault(_top_deck(root), set())
            ids.update(v.value.strip() for c in _cards(root) if isinstance(v := _value(c, "id"), Scalar))
    outputs: dict[Path, bytes] = {}
    added: list[AddedId] = []
    problems: list[Problem] = []
    for path, bom, text, shown in files:
        new_text, found, trouble = add_ids_to_text(text, shown, taken)
        problems += trouble
        added += found
        if found and not trouble:
            outputs[path] = bom + new_text.encode("utf-8")
    if problems or not write:
        return IdsReport(tuple(problems), tuple(added), len(outputs), False)
    write_atomically(outputs)
    return IdsReport((), tuple(added), len(outputs), bool(outputs))


def default_card_path(cards_dir: Path, deck: str) -> Path:
    """Place a deck's file by its name: 'A::B::C' -> cards/a/b/c.yaml, 'A' -> cards/a.yaml."""
    parts = [re.sub(r"[^\w]+", "-", part.casefold()).strip("-_") or "deck" for part in deck.split(DECK_SEPARATOR)]
    return cards_dir.joinpath(*parts[:-1], parts[-1] + ".yaml")


def card_file_text(deck: str, card_id: str, schema_ref: str | None) -> str:
    """Write a new card file: the deck, a topic tag, a commented source and one example card."""
    tag = DECK_SEPARATOR.join(re.sub(r"[^\w]+", "-", part.casefold()).strip("-") for part in deck.split(DECK_SEPARATOR))
    header = f"# yaml-language-server: $schema={schema_ref}\n" if schema_ref else ""
    return (
        f"{header}deck: \"{deck}\"\n"
        f"tags: [{tag}]\n"
        "# source: \"Where these facts come from (shown on the back of each card)\"\n"
        "cards:\n"
        f"  - id: {card_id}\n"
        "    q: \"Replace this question\"\n"
        "    a: \"Replace this answer\"\n"
    )


def new_card_file(cards_dir: Path, deck: str, path: Path | None = None) -> Path:
    """Create a card file for a deck; refuse to overwrite anything."""
    parts = [part.strip() for part in deck.split(DECK_SEPARATOR)]
    if not all(parts) or any(ch in deck for ch in '"\\\n'):
        raise ScaffoldError(f"'{deck}' is not a deck name: use parts like 'Topic::Sub', none empty, no quotes")
    deck = DECK_SEPARATOR.join(parts)
    target = path or default_card_path(cards_dir, deck)
    if target.exists():
        raise ScaffoldError(f"{display_path(target)} already exists; choose another file with --path")
    schema = cards_dir.resolve().parent / SCHEMA_FILE
    schema_ref = Path(os.path.relpath(schema, target.resolve().parent)).as_posix() if schema.is_file() else None
    target.parent.mkdir(parents=True, exist_ok=True)
    card_id = slug(" ".join(parts[1:] or parts)) + "-example"  # unique per file within its top-level deck
    with open(target, "x", encoding="utf-8", newline="") as handle:  # "x": never overwrite
        handle.write(card_file_text(deck, card_id, schema_ref))
    return target
