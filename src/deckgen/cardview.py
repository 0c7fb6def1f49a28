"""Render a note's cards the way Anki does, for the template subset deckgen's note types use.

Supported: `{{Field}}`, `{{#Field}}...{{/Field}}`, `{{^Field}}...{{/Field}}`, `{{FrontSide}}` and
`{{cloze:Field}}`. The output matches Anki's own rendering byte for byte (tests compare the two
through Anki's backend), so the preview shows what the reviewer will show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Union

from deckgen.model import Note
from deckgen.notetypes import NOTETYPES, NoteType

_TAG = re.compile(r"\{\{([#^/]?)([^{}]*)\}\}")
# Anki treats a field holding only whitespace and empty line breaks or divs as empty.
_EMPTY_FIELD = re.compile(r"^(?:\s|</?(?:br|div) ?/?>)*$", re.IGNORECASE)
_CLOZE_TOKEN = re.compile(r"\{\{c(\d+)::|\}\}")
_ATTRIBUTE_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


class TemplateError(ValueError):
    """A template uses syntax outside the supported subset, or names an unknown field."""


@dataclass(frozen=True)
class CardView:
    """One card of a note, both sides rendered to HTML (without the note type's CSS)."""

    ordinal: int
    template: str
    front: str
    back: str


@dataclass(frozen=True)
class _Cloze:
    ordinal: int
    parts: tuple[Union[str, "_Cloze"], ...]
    hint: str


def field_is_empty(value: str) -> bool:
    """Tell whether Anki would treat a field as empty in a `{{#Field}}` section."""
    return bool(_EMPTY_FIELD.match(value))


def _attribute(text: str) -> str:
    """Encode an attribute value as Anki does: every non-alphanumeric character below 256 escaped."""
    out = []
    for char in text:
        code = ord(char)
        if code < 256 and not (char.isascii() and char.isalnum()):
            out.append(_ATTRIBUTE_ENTITIES.get(char, f"&#x{code:X};"))
        else:
            out.append(char)
    return "".join(out)


def parse_cloze(text: str) -> list[str | _Cloze]:
    """Split cloze text into plain runs and (possibly nested) deletions; stray braces stay text."""
    root: list[str | _Cloze] = []
    stack: list[tuple[int, list[str | _Cloze]]] = []
    position = 0

    def current() -> list[str | _Cloze]:
        return stack[-1][1] if stack else root

    for match in _CLOZE_TOKEN.finditer(text):
        if match.group(1) is None and not stack:
            continue  # a `}}` outside any deletion is ordinary text
        if match.start() > position:
            current().append(text[position : match.start()])
        position = match.end()
        if match.group(1) is not None:
            stack.append((int(match.group(1)), []))
            continue
        ordinal, parts = stack.pop()
        current().append(_close(ordinal, parts))
    if not stack:
        root.append(text[position:])
    # Anki drops a deletion that is never closed, with its text; the validator's cloze check
    # leaves such input alone, so mirror Anki rather than guess.
    return [part for part in root if part != ""]


def _close(ordinal: int, parts: list[str | _Cloze]) -> _Cloze:
    """Finish a deletion, splitting off a `::hint` from its last text run."""
    hint = ""
    if parts and isinstance(parts[-1], str) and "::" in parts[-1]:
        text, hint = parts[-1].split("::", 1)
        parts = parts[:-1] + [text]
    return _Cloze(ordinal, tuple(p for p in parts if p != ""), hint)


def _plain(parts: tuple[str | _Cloze, ...] | list[str | _Cloze]) -> str:
    """Return a deletion's content as written, with nested deletions revealed."""
    return "".join(part if isinstance(part, str) else _plain(part.parts) for part in parts)


def _render_cloze(parts, ordinal: int, question: bool) -> str:
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif part.ordinal != ordinal:
            inner = _render_cloze(part.parts, ordinal, question)
            out.append(f'<span class="cloze-inactive" data-ordinal="{part.ordinal}">{inner}</span>')
        elif question:
            shown = f"[{part.hint}]" if part.hint else "[...]"
            content = _attribute(_render_cloze(part.parts, ordinal, question))
            out.append(f'<span class="cloze" data-cloze="{content}" data-ordinal="{ordinal}">{shown}</span>')
        else:
            inner = _render_cloze(part.parts, ordinal, question)
            out.append(f'<span class="cloze" data-ordinal="{ordinal}">{inner}</span>')
    return "".join(out)


def render_cloze(text: str, ordinal: int, question: bool) -> str:
    """Render cloze text for card `ordinal` (0-based): hide its deletions on the question side."""
    return _render_cloze(parse_cloze(text), ordinal + 1, question)


def cloze_answers(text: str, ordinal: int) -> list[str]:
    """Return the contents of the deletions card `ordinal` (0-based) asks for."""
    found: list[str] = []

    def walk(parts) -> None:
        for part in parts:
            if isinstance(part, _Cloze):
                if part.ordinal == ordinal + 1:
                    found.append(_plain(part.parts))
                walk(part.parts)

    walk(parse_cloze(text))
    return found


def render_template(template: str, fields: Mapping[str, str], ordinal: int, question: bool, front_side: str = "") -> str:
    """Fill one card template with a note's fields."""
    out: list[str] = []
    skipping: list[str] = []  # names of the sections being skipped, innermost last
    position = 0
    for match in _TAG.finditer(template):
        if not skipping:
            out.append(template[position : match.start()])
        position = match.end()
        marker, name = match.group(1), match.group(2).strip()
        if marker in ("#", "^"):
            if name not in fields:
                raise TemplateError(f"unknown field {name!r} in a section")
            shown = not field_is_empty(fields[name]) if marker == "#" else field_is_empty(fields[name])
            if skipping or not shown:
                skipping.append(name)
        elif marker == "/":
            if skipping and skipping[-1] == name:
                skipping.pop()
        elif not skipping:
            out.append(_replacement(name, fields, ordinal, question, front_side))
    if not skipping:
        out.append(template[position:])
    return "".join(out)


def _replacement(name: str, fields: Mapping[str, str], ordinal: int, question: bool, front_side: str) -> str:
    if name == "FrontSide":
        return front_side
    if name.startswith("cloze:"):
        field = name.split(":", 1)[1]
        if field not in fields:
            raise TemplateError(f"unknown field {field!r} in {{{{{name}}}}}")
        return render_cloze(fields[field], ordinal, question)
    if ":" in name:
        raise TemplateError(f"unsupported filter in {{{{{name}}}}}")
    if name not in fields:
        raise TemplateError(f"unknown field {name!r}")
    return fields[name]


def card_views(note: Note, notetype: NoteType | None = None) -> list[CardView]:
    """Render both sides of every card a note makes."""
    notetype = notetype or NOTETYPES[note.card.kind]
    fields = {field.name: value for field, value in zip(notetype.fields, note.fields)}
    views = []
    for ordinal in note.ordinals:
        # A cloze note type has one template; standard types have one per card.
        template = notetype.templates[0 if notetype.kind == "cloze" else ordinal]
        front = render_template(template.front, fields, ordinal, question=True)
        back = render_template(template.back, fields, ordinal, question=False, front_side=front)
        name = f"Cloze {ordinal + 1}" if notetype.kind == "cloze" else template.name
        views.append(CardView(ordinal, name, front, back))
    return views
