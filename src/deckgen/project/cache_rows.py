"""How the build cache stores what reading a card file gave: plain JSON rows, deflated.

Cards, notes and problems become lists of strings and numbers (never pickles: a cache file
from elsewhere can only be wrong, never run code), and are read back into equal values.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from deckgen.model import Card, MediaRef, Note, ParsedFile
from deckgen.problems import Location, Problem


def _encode_card(card: Card) -> list:
    row: list[Any] = list(card)
    row[3] = [card.location.line, card.location.col]
    del row[4]  # the file's real path is the record's
    return row


def _pairs(rows: list) -> tuple:
    return tuple(map(tuple, rows)) if rows else ()


def _decode_card(row: list, path: str, file: str, seen: dict) -> Card:
    (card_id, kind, deck, (line, col), front, back, text, extra, source, reverse, tags, guid, notetype, named,
     html, positions, namespace, nolint) = row
    # The parser gives all cards of a file the same deck, source and tag objects; so do we,
    # which keeps 100k cached cards from holding 100k copies of each.
    shared = seen.setdefault
    return Card(card_id, shared(kind, kind), shared(deck, deck), Location(path, line, col), file, front, back, text,
                extra, shared(source, source), reverse, shared(("tags",) + tuple(tags), tuple(tags)), guid, notetype,
                _pairs(named), html, _shared_positions(_pairs(positions), seen), namespace, _pairs(nolint))


def _shared_positions(positions: tuple, seen: dict) -> tuple:
    """One tuple for every card of a file written alike (positions are relative to the card)."""
    return seen.setdefault(positions, positions)


def _texts(card: Card) -> tuple[str, ...]:
    return card.front, card.back, card.text, card.extra, card.source


def _encode_note(note: Note, index: dict[Location, int]) -> list:
    card = note.card
    media = [[r.kind, r.target, r.location.line, r.location.col, r.verbatim] for r in note.media]
    # A plain-text field is its card's text as written: stored as the text's position among the
    # card's texts, which makes the record smaller and quicker to read, and lets the decoded note
    # share its card's string, as the parser's notes do.
    where = {text: i for i, text in reversed(list(enumerate(_texts(card)))) if text}
    fields = [where.get(value, value) for value in note.fields]
    return [index.get(card.location, -1), card.kind, note.notetype_id, fields, where.get(note.sort_text, note.sort_text),
            list(note.ordinals), note.content_hash, media, note.key, note.guid]


def _decode_note(row: list, cards: tuple[Card, ...], path: str, file: str) -> Note:
    position, kind, notetype_id, fields, sort_text, ordinals, content_hash, media, key, guid = row
    card = cards[position]
    if card.kind != kind:  # a card of a project note type takes the type's kind
        card = card._replace(kind=kind)
    refs = tuple(MediaRef(k, target, file, Location(path, line, col), None, verbatim)
                 for k, target, line, col, verbatim in media) if media else ()
    texts = _texts(card)
    if sort_text.__class__ is not str:
        sort_text = texts[sort_text]
    return Note(card, notetype_id, tuple(value if value.__class__ is str else texts[value] for value in fields),
                sort_text, tuple(ordinals), content_hash, refs, key, guid)


def encode_problem(problem: Problem) -> list:
    where = problem.location
    return [where.path, where.line, where.col, problem.code, problem.message, problem.severity]


def decode_problem(row: list) -> Problem:
    path, line, col, code, message, severity = row
    if severity not in ("error", "warning"):
        raise ValueError(severity)
    return Problem(Location(path, line, col), code, message, severity)


def deflated_json(value: object) -> bytes:
    """Encode `value` as a record's body: deflated JSON."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return zlib.compress(text.encode("utf-8", "surrogatepass"), 1)


def inflated_json(body: bytes) -> Any:
    """Decode a body made by `deflated_json`."""
    return json.loads(zlib.decompress(body).decode("utf-8", "surrogatepass"))


def encode_parsed(file: ParsedFile) -> bytes | None:
    """Encode what reading a card file gave as a cache record's body (None: it cannot be stored)."""
    index = {card.location: i for i, card in enumerate(file.cards)}
    rows = [_encode_card(card) for card in file.cards]
    notes = [_encode_note(note, index) for note in file.notes]
    if any(row[0] < 0 for row in notes):
        return None  # a note whose card is not the file's own: store nothing rather than guess
    return deflated_json([rows, notes, [encode_problem(p) for p in file.problems]])


def decode_parsed(body: bytes, path: str, file: str, digest: str) -> ParsedFile | None:
    """Decode a record made by `encode_parsed` for the card file `path` (None: the record is damaged)."""
    seen: dict = {}
    try:
        card_rows, note_rows, problem_rows = inflated_json(body)
        cards = tuple(_decode_card(row, path, file, seen) for row in card_rows)
        notes = tuple(_decode_note(row, cards, path, file) for row in note_rows)
        return ParsedFile(path, file, digest, cards, notes, tuple(decode_problem(row) for row in problem_rows))
    except (ValueError, TypeError, IndexError, zlib.error):
        return None
