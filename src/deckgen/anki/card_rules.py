"""Decide which cards a note has, and when a field counts as empty, by Anki's own rules.

A standard note has a card for each template whose front shows at least one non-empty field
(`{{#Field}}` sections count only when Field is non-empty, `{{^Field}}` only when it is
empty). A cloze note has a card per cloze number in the fields its front passes through the
`cloze:` filter, or card 1 when there is none. Cards a package lists that the collection
lacks would be added on import, so this must match what Anki made.
"""

from __future__ import annotations

import re

from deckgen import cloze

_TAG = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_EMPTY_FIELD = re.compile(r"(?:\s|</?(?:br|div) ?/?>)*\Z", re.IGNORECASE)


def field_is_empty(text: str) -> bool:
    """Tell whether a field counts as empty: only spaces, line breaks and empty divs."""
    return _EMPTY_FIELD.match(text) is not None


def _nodes(template: str) -> list:
    """Parse a template into text-free nodes: ("field", key) and (sign, key, children)."""
    root: list = []
    stack: list[tuple[str, list]] = [("", root)]
    for match in _TAG.finditer(_COMMENT.sub("", template)):
        inner = match.group(1).strip()
        if inner[:1] in ("#", "^"):
            children: list = []
            stack[-1][1].append((inner[0], inner[1:].strip(), children))
            stack.append((inner[1:].strip(), children))
        elif inner[:1] == "/":
            if len(stack) > 1 and stack[-1][0] == inner[1:].strip():
                stack.pop()
        else:
            stack[-1][1].append(("field", inner.rsplit(":", 1)[-1].strip()))
    return root


def _shows_a_field(nodes: list, filled: set[str]) -> bool:
    for node in nodes:
        if node[0] == "field":
            if node[1] in filled:
                return True
        elif node[0] == "#" and node[1] in filled or node[0] == "^" and node[1] not in filled:
            if _shows_a_field(node[2], filled):
                return True
    return False


def _cloze_fields(front: str) -> set[str]:
    """Name the fields a template passes through the cloze filter."""
    names = set()
    for match in _TAG.finditer(front):
        parts = [p.strip() for p in match.group(1).split(":")]
        if len(parts) > 1 and "cloze" in parts[:-1]:
            names.add(parts[-1])
    return names


def card_ordinals(kind: str, field_names: tuple[str, ...], fronts: tuple[str, ...], values: tuple[str, ...]) -> tuple[int, ...]:
    """Return the ordinals of the cards a note has, given its type's templates and its fields."""
    if kind == "cloze":
        used = _cloze_fields(fronts[0]) if fronts else set()
        numbers = set().union(*(cloze.card_numbers(v) for n, v in zip(field_names, values) if n in used))
        return tuple(sorted(n - 1 for n in numbers)) or (0,)
    filled = {name for name, value in zip(field_names, values) if not field_is_empty(value)}
    return tuple(i for i, front in enumerate(fronts) if _shows_a_field(_nodes(front), filled))
