"""Render cards into the fields of their note type: deckgen's own, or one from notetypes/.

Own types: a basic card fills Front, Back, Extra, Source and Reverse; a cloze card Text, Extra
and Source. A card of a project note type names its fields under `fields:`, or uses `q`/`a`
for a standard type with two fields and `cloze`/`extra` for a cloze type with two fields;
missing fields are empty and which cards the note has follows from the type's templates, as
Anki decides it. Media stay placeholders until `link_media` puts in the bundled names.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import replace
from typing import Mapping

from deckgen import cloze
from deckgen.anki.card_rules import card_ordinals
from deckgen.anki.htmlmedia import html_media_refs
from deckgen.anki.notetypes import NoteTypes, ProjectNoteType
from deckgen.compiler.escape import MEDIA_MARK, escape_attribute
from deckgen.compiler.text import field_html, sort_text_of
from deckgen.identity import content_hash
from deckgen.model import Card, MediaFile, MediaRef, Note
from deckgen.problems import Problem, error, warning

_TEXTS = ("front", "back", "text", "extra", "source")  # the card attributes that hold text
_SHORTHANDS = {"basic": ("front", "back", "q", "a"), "cloze": ("text", "extra", "cloze", "extra")}
_MEDIA_MARK = re.compile(f"{MEDIA_MARK}([^{MEDIA_MARK}]*){MEDIA_MARK}")


def note_hash(card: Card, notetype_id: int, fields: tuple[str, ...]) -> str:
    """Hash everything Anki stores for a note: a change to any of it must reach the collection."""
    return content_hash(str(notetype_id), card.deck, " ".join(card.tags), *fields)


def render_text(card: Card, name: str, text: str) -> tuple[str, tuple[MediaRef, ...], tuple[Problem, ...]]:
    """Render one text of a card (HTML as is, or Markdown): HTML, media it names, warnings."""
    if card.html:  # HTML text is trusted and passed through
        return text, html_media_refs(text, card.file, card.field_location(name)), ()
    markup, found, languages = field_html(text)
    if not found and not languages:
        return markup, (), ()
    where = card.field_location(name)
    media = tuple(MediaRef(kind, target, card.file, where) for kind, target in found)  # type: ignore[arg-type]
    problems = tuple(
        warning(where, "unknown-language", f"no highlighting for code language '{language}'; the code is shown plain")
        for language in languages
    )
    return markup, media, problems


def _own_note(card: Card, notetype_id: int) -> tuple[Note, list[Problem]]:
    html_of: dict[str, str] = {}
    media: list[MediaRef] = []
    problems: list[Problem] = []
    for name in _TEXTS:
        text = getattr(card, name)
        if not text:
            continue
        html_of[name], found, warned = render_text(card, name, text)
        if found or warned:
            media.extend(found)
            problems.extend(warned)
    extra, source = html_of.get("extra", ""), html_of.get("source", "")
    if card.kind == "cloze":
        fields: tuple[str, ...] = (html_of["text"], extra, source)
        ordinals = cloze.ordinals(card.text) or (0,)
    else:
        fields = (html_of["front"], html_of["back"], extra, source, "y" if card.reverse else "")
        ordinals = (0, 1) if card.reverse else (0,)
    unique_media = tuple(dict.fromkeys(media)) if media else ()
    note = Note(card, notetype_id, fields, sort_text_of(fields[0]), ordinals,
                note_hash(card, notetype_id, fields), unique_media, card.key, card.note_guid)
    return note, problems


def _unknown_type(card: Card, notetypes: NoteTypes) -> Problem:
    guess = difflib.get_close_matches(card.notetype or "", list(notetypes.project_names), n=1)
    hint = f"; did you mean '{guess[0]}'?" if guess else "; note types are the *.json files in notetypes/ beside the card folder"
    return error(card.location, "unknown-notetype",
                 f"card '{card.id}' uses note type '{card.notetype}', which the project does not define{hint}")


def _typed_texts(card: Card, nt: ProjectNoteType) -> tuple[list[tuple[str, str, str]], list[Problem]]:
    """Pair each field of the type with the card's text for it: (field, attribute, text)."""
    if card.named_fields:
        known = set(nt.field_names)
        problems = [
            error(card.field_location(f"field:{name}"), "unknown-field",
                  f"note type '{nt.name}' has no field '{name}'; its fields are: {', '.join(nt.field_names)}")
            for name, _ in card.named_fields if name not in known
        ]
        given = dict(card.named_fields)
        return [(name, f"field:{name}", given.get(name, "")) for name in nt.field_names], problems
    first, second, key1, key2 = _SHORTHANDS[card.kind]
    if card.kind != nt.kind or len(nt.field_names) != 2:
        message = (f"'{key1}' and '{key2}' fit a {card.kind} note type with two fields; note type '{nt.name}' "
                   f"is a {nt.kind} type with fields {', '.join(nt.field_names)}: write them under 'fields:'")
        return [], [error(card.location, "notetype-shape", message)]
    return [(nt.field_names[0], first, getattr(card, first)), (nt.field_names[1], second, getattr(card, second))], []


def _typed_note(card: Card, notetypes: NoteTypes) -> tuple[Note | None, list[Problem]]:
    nt = notetypes.named(card.notetype or "")
    if nt is None:
        return None, [_unknown_type(card, notetypes)]
    texts, problems = _typed_texts(card, nt)
    if problems:
        return None, problems
    card = card._replace(kind=nt.kind)
    fields: list[str] = []
    media: list[MediaRef] = []
    for _, attribute, text in texts:
        markup, found, warned = render_text(card, attribute, text) if text else ("", (), ())
        fields.append(markup)
        media.extend(found)
        problems.extend(warned)
    ordinals = card_ordinals(nt.kind, nt.field_names, tuple(front for _, front, _ in nt.templates), tuple(fields))
    if not ordinals:
        message = f"card '{card.id}' makes no Anki card: no template of note type '{nt.name}' shows any of its fields"
        if not card.html:
            return None, problems + [error(card.location, "no-cards", message)]
        # Imported HTML: Anki kept such a note with its first card, so keep it the same way.
        problems.append(warning(card.location, "no-cards", message + "; keeping its first card, as Anki does"))
        ordinals = (0,)
    note = Note(card, nt.id, tuple(fields), sort_text_of(fields[nt.sort_field]), ordinals,
                note_hash(card, nt.id, tuple(fields)), tuple(dict.fromkeys(media)), card.key, card.note_guid)
    return note, problems


def render_card(card: Card, notetypes: NoteTypes) -> tuple[Note | None, list[Problem]]:
    """Turn one card into the fields of its note type, or report why it cannot."""
    if card.notetype is not None:
        return _typed_note(card, notetypes)
    return _own_note(card, notetypes.own_type(card.kind).id)


def link_media(note: Note, files: Mapping[tuple[str, str, str], MediaFile]) -> Note:
    """Put the bundled file names into a note's media placeholders (refs not in `files` stay as written)."""
    media = tuple(replace(ref, name=files[ref.key].name) if ref.key in files else ref for ref in note.media)
    if note.card.html:  # HTML is passed through: it has no placeholders, only names
        return note._replace(media=media)
    names = {ref.target: ref.name for ref in media if ref.name}

    def name_for(match: re.Match[str]) -> str:
        return escape_attribute(names.get(match.group(1), match.group(1)))

    fields = tuple(_MEDIA_MARK.sub(name_for, field) for field in note.fields)
    return note._replace(fields=fields, media=media, content_hash=note_hash(note.card, note.notetype_id, fields))
