"""Render cards of the project's own note types (`notetype:` in a card file) into note fields.

A card names its fields under `fields:`, or uses `q`/`a` for a standard type with two fields
and `cloze`/`extra` for a cloze type with two fields. Missing fields are empty. Which cards
the note has follows from the type's templates, as Anki decides it.
"""

from __future__ import annotations

import difflib
from dataclasses import replace

from deckgen.cardgen import card_ordinals
from deckgen.model import Card, MediaRef, Note
from deckgen.problems import Problem, error, warning
from deckgen.projecttypes import ProjectNoteType
from deckgen.render import _digest, render_text, sort_text_of

_SHORTHANDS = {"basic": ("front", "back", "q", "a"), "cloze": ("text", "extra", "cloze", "extra")}


def _unknown_type(card: Card, notetypes: dict[str, ProjectNoteType]) -> Problem:
    guess = difflib.get_close_matches(card.notetype or "", list(notetypes), n=1)
    hint = f"; did you mean '{guess[0]}'?" if guess else "; note types are the *.json files in notetypes/ beside the card folder"
    return error(card.location, "unknown-notetype", f"card '{card.id}' uses note type '{card.notetype}', which the project does not define{hint}")


def _texts(card: Card, nt: ProjectNoteType) -> tuple[list[tuple[str, str, str]], list[Problem]]:
    """Pair each field of the type with the card's text for it: (field, attribute, text)."""
    if card.named_fields:
        known = set(nt.fields)
        problems = [
            error(card.field_location(f"field:{name}"), "unknown-field",
                  f"note type '{nt.name}' has no field '{name}'; its fields are: {', '.join(nt.fields)}")
            for name, _ in card.named_fields if name not in known
        ]
        given = dict(card.named_fields)
        return [(name, f"field:{name}", given.get(name, "")) for name in nt.fields], problems
    first, second, key1, key2 = _SHORTHANDS[card.kind]
    if card.kind != nt.kind or len(nt.fields) != 2:
        message = (f"'{key1}' and '{key2}' fit a {card.kind} note type with two fields; note type '{nt.name}' "
                   f"is a {nt.kind} type with fields {', '.join(nt.fields)}: write them under 'fields:'")
        return [], [error(card.location, "notetype-shape", message)]
    return [(nt.fields[0], first, getattr(card, first)), (nt.fields[1], second, getattr(card, second))], []


def render_typed_card(card: Card, notetypes: dict[str, ProjectNoteType]) -> tuple[Note | None, list[Problem]]:
    """Turn a card of a project note type into that type's fields, or report why it cannot."""
    nt = notetypes.get(card.notetype or "")
    if nt is None:
        return None, [_unknown_type(card, notetypes)]
    texts, problems = _texts(card, nt)
    if problems:
        return None, problems
    card = replace(card, kind=nt.kind)
    fields: list[str] = []
    media: list[MediaRef] = []
    for _, attribute, text in texts:
        markup, found, warned = render_text(card, attribute, text) if text else ("", (), ())
        fields.append(markup)
        media.extend(found)
        problems.extend(warned)
    ordinals = card_ordinals(nt.kind, nt.fields, tuple(front for _, front, _ in nt.templates), tuple(fields))
    if not ordinals:
        message = f"card '{card.id}' makes no Anki card: no template of note type '{nt.name}' shows any of its fields"
        if not card.html:
            return None, problems + [error(card.location, "no-cards", message)]
        # Imported HTML: Anki kept such a note with its first card, so keep it the same way.
        problems.append(warning(card.location, "no-cards", message + "; keeping its first card, as Anki does"))
        ordinals = (0,)
    note = Note(card, nt.id, tuple(fields), sort_text_of(fields[nt.sort_field]), ordinals,
                _digest(card, nt.id, tuple(fields)), tuple(dict.fromkeys(media)))
    return note, problems
