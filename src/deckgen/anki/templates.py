"""Render a note's cards the way Anki does: the template language subset note types use.

Supported: `{{Field}}`, `{{#Field}}...{{/Field}}`, `{{^Field}}...{{/Field}}`, `{{FrontSide}}` and
`{{cloze:Field}}`. The output matches Anki's own rendering byte for byte (tests compare the two
through Anki's backend), so the preview shows what the reviewer will show. Anything else (other
filters, unknown fields) is a `TemplateError`, which the preview reports for that card.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from deckgen import cloze
from deckgen.anki.card_rules import field_is_empty
from deckgen.anki.notetypes import NoteType, ProjectNoteType
from deckgen.model import Note

_TAG = re.compile(r"\{\{([#^/]?)([^{}]*)\}\}")


class TemplateError(ValueError):
    """A template uses syntax outside the supported subset, or names an unknown field."""


@dataclass(frozen=True)
class CardView:
    """One card of a note, both sides rendered to HTML (without the note type's CSS)."""

    ordinal: int
    template: str
    front: str
    back: str


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
        return cloze.render(fields[field], ordinal, question)
    if ":" in name:
        raise TemplateError(f"unsupported filter in {{{{{name}}}}}")
    if name not in fields:
        raise TemplateError(f"unknown field {name!r}")
    return fields[name]


def _templates(notetype: NoteType | ProjectNoteType) -> list[tuple[str, str, str]]:
    if isinstance(notetype, NoteType):
        return [(t.name, t.front, t.back) for t in notetype.templates]
    return list(notetype.templates)


def card_views(note: Note, notetype: NoteType | ProjectNoteType) -> list[CardView]:
    """Render both sides of every card a note makes, with its note type's templates."""
    fields = dict(zip(notetype.field_names, note.fields))
    templates = _templates(notetype)
    views = []
    for ordinal in note.ordinals:
        # A cloze note type has one template; standard types have one per card.
        name, front_template, back_template = templates[0 if notetype.kind == "cloze" else ordinal]
        front = render_template(front_template, fields, ordinal, question=True)
        back = render_template(back_template, fields, ordinal, question=False, front_side=front)
        views.append(CardView(ordinal, f"Cloze {ordinal + 1}" if notetype.kind == "cloze" else name, front, back))
    return views
