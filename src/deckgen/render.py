"""Render cards into note fields: the one stage that decides how card text becomes HTML."""

from __future__ import annotations

import html
import re

from deckgen.identity import content_hash
from deckgen.model import Card, Note
from deckgen.notetypes import NOTETYPES
from deckgen.validate import CLOZE_PATTERN

_TAG = re.compile(r"<[^>]*>")


def text_to_html(text: str) -> str:
    """Escape plain text for HTML, keeping its line breaks."""
    return html.escape(text, quote=False).replace("\r\n", "\n").replace("\n", "<br>")


def html_to_plain(markup: str) -> str:
    """Reduce field HTML to the readable text Anki's browser lists."""
    text = _TAG.sub(" ", markup.replace("<br>", " "))
    return " ".join(html.unescape(text).split())


def cloze_ordinals(text: str) -> tuple[int, ...]:
    """Return the card ordinals a cloze text makes: c1 -> 0, c2 -> 1, ..."""
    return tuple(sorted({int(n) - 1 for n in CLOZE_PATTERN.findall(text) if int(n) > 0}))


def render_card(card: Card) -> Note:
    """Turn one card into the fields of its note type."""
    notetype = NOTETYPES[card.kind]
    extra, source = text_to_html(card.extra), text_to_html(card.source)
    if card.kind == "cloze":
        body = text_to_html(card.text)
        fields: tuple[str, ...] = (body, extra, source)
        ordinals = cloze_ordinals(card.text) or (0,)
    else:
        body = text_to_html(card.front)
        fields = (body, text_to_html(card.back), extra, source, "y" if card.reverse else "")
        ordinals = (0, 1) if card.reverse else (0,)
    sort_text = html_to_plain(body)
    # Everything Anki stores for the note: a change to any of it must reach the collection.
    digest = content_hash(str(notetype.id), card.deck, " ".join(card.tags), *fields)
    return Note(card, notetype.id, fields, sort_text, ordinals, digest)
