"""Render cards into note fields: the one stage that decides how card text becomes HTML.

Card text is Markdown (see `markdown.py`). Most card text has nothing Markdown would change,
so it takes a fast path that gives the same HTML without the parser: escaped text with line
breaks kept; text whose only Markdown is `code` spans has a fast path of its own. Media are left as placeholders naming the file as written; `link_media` swaps in
the bundled names once the files have been read.
"""

from __future__ import annotations

import functools
import html
import re

from deckgen.identity import content_hash
from deckgen.model import Card, MediaRef, Note
from deckgen.notetypes import NOTETYPES
from deckgen.problems import Problem, warning
from deckgen.validate import CLOZE_PATTERN, TEXT_ATTRIBUTES

# Text Markdown could change: its special characters anywhere, block markers at a line's
# start, blank lines and space at a line's edges, control characters. Checked in three
# cheap steps because most card text is one plain line.
_SPECIAL = re.compile(r"[\\`*_\[\]<&$~|\x00-\x08\x0b-\x1f\x7f]")
_BLOCK_START = re.compile(r"[#>+=-]|\d{1,9}[.)]")
_LINE_EDGES = re.compile(r"[ \t]\n|\n(?:[ \t\n#>+=-]|\d{1,9}[.)])")
# A single-backtick code span on one line: `like this`.
_CODE_SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_MEDIA_MARK = re.compile("\x00([^\x00]*)\x00")
_BLOCK_TAG = re.compile(r"<(?:br|/?(?:p|div|li|ul|ol|tr|td|th|table|thead|tbody|pre|h[1-6]|blockquote|hr))\b[^>]*>")
_IMG_ALT = re.compile(r'<img [^>]*?alt="([^"]*)"[^>]*>')
_TAG = re.compile(r"<[^>]*>")
_SOUND = re.compile(r"\[sound:[^\]]*\]")
_TEXTS = tuple(TEXT_ATTRIBUTES.values())  # the card attributes that hold text


def escape_text(text: str) -> str:
    """Escape text for HTML element content (quotes need no escaping there)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def text_to_html(text: str) -> str:
    """Escape plain text for HTML, keeping its line breaks."""
    return escape_text(text).replace("\n", "<br>")


def needs_markdown(text: str) -> bool:
    """Tell whether Markdown could render text differently from escaping it."""
    if not text:
        return False
    if _SPECIAL.search(text) or text[0].isspace() or text[-1].isspace() or _BLOCK_START.match(text):
        return True
    return "\n" in text and _LINE_EDGES.search(text) is not None


def code_spans_html(text: str) -> str | None:
    """Render text whose only Markdown is `code` spans without the parser; None for other text.

    Programming cards often use backticks and nothing else; this gives them the parser's HTML
    at the cost of a regex.
    """
    if "`" not in text or needs_markdown(_CODE_SPAN.sub("x", text)):
        return None
    parts: list[str] = []
    pos = 0
    for match in _CODE_SPAN.finditer(text):
        code = match.group(1)
        if code[0] == code[-1] == " " and code.strip(" "):
            code = code[1:-1]  # CommonMark drops one space of padding on each side
        parts += [text_to_html(text[pos : match.start()]), "<code>", escape_text(code), "</code>"]
        pos = match.end()
    parts.append(text_to_html(text[pos:]))
    return "".join(parts)


@functools.lru_cache(maxsize=4096)  # a file's source is shared by all its cards
def _rich_html(text: str) -> tuple[str, tuple[tuple[str, str], ...], tuple[str, ...]]:
    from deckgen.markdown import markdown_to_html  # markdown-it loads only when text needs it

    markup = markdown_to_html(text)
    return markup.html, markup.media, markup.unknown_languages


def field_html(text: str) -> tuple[str, tuple[tuple[str, str], ...], tuple[str, ...]]:
    """Render one text: HTML, the media it names (kind, target), unknown code languages."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not needs_markdown(text):
        return text_to_html(text), (), ()
    simple = code_spans_html(text)
    return (simple, (), ()) if simple is not None else _rich_html(text)


def html_to_plain(markup: str) -> str:
    """Reduce field HTML to the readable text Anki's browser lists."""
    text = _IMG_ALT.sub(r" \1 ", markup)
    text = _TAG.sub("", _BLOCK_TAG.sub(" ", text))
    text = _SOUND.sub(" ", text)
    return " ".join(html.unescape(text).split())


def cloze_ordinals(text: str) -> tuple[int, ...]:
    """Return the card ordinals a cloze text makes: c1 -> 0, c2 -> 1, ..."""
    return tuple(sorted({int(n) - 1 for n in CLOZE_PATTERN.findall(text) if int(n) > 0}))


def _digest(card: Card, notetype_id: int, fields: tuple[str, ...]) -> str:
    # Everything Anki stores for the note: a change to any of it must reach the collection.
    return content_hash(str(notetype_id), card.deck, " ".join(card.tags), *fields)


def render_text(card: Card, name: str, text: str) -> tuple[str, tuple[MediaRef, ...], tuple[Problem, ...]]:
    """Render one text of a card (HTML as is, or Markdown): HTML, media it names, warnings."""
    if card.html:
        from deckgen.htmlmedia import html_media_refs  # HTML text is trusted and passed through

        return text, html_media_refs(text, card.location.path, card.field_location(name)), ()
    markup, found, languages = field_html(text)
    if not found and not languages:
        return markup, (), ()
    media = tuple(MediaRef(kind, target, card.location.path, card.field_location(name))  # type: ignore[arg-type]
                  for kind, target in found)
    problems = tuple(
        warning(card.field_location(name), "unknown-language",
                f"no highlighting for code language '{language}'; the code is shown plain")
        for language in languages
    )
    return markup, media, problems


def sort_text_of(body: str) -> str:
    """Return the plain text Anki's browser lists for a field."""
    # HTML without tags or entities is the text itself: no stripping needed.
    return html_to_plain(body) if "<" in body or "&" in body else " ".join(body.split())


def render_card(card: Card) -> tuple[Note, list[Problem]]:
    """Turn one card into the fields of its note type, warning about unknown code languages."""
    notetype = NOTETYPES[card.kind]
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
        ordinals = cloze_ordinals(card.text) or (0,)
    else:
        fields = (html_of["front"], html_of["back"], extra, source, "y" if card.reverse else "")
        ordinals = (0, 1) if card.reverse else (0,)
    sort_text = sort_text_of(fields[0])
    unique_media = tuple(dict.fromkeys(media)) if media else ()
    digest = _digest(card, notetype.id, fields)
    return Note(card, notetype.id, fields, sort_text, ordinals, digest, unique_media), problems


def link_media(note: Note, names: dict[str, str]) -> Note:
    """Put the bundled file names (target as written -> name) into a note's media placeholders."""
    if not note.media:
        return note
    if note.card.html:  # HTML is passed through: it has no placeholders, only names
        media = tuple(MediaRef(r.kind, r.target, r.card_file, r.location, names.get(r.target), True) for r in note.media)
        return Note(note.card, note.notetype_id, note.fields, note.sort_text, note.ordinals, note.content_hash, media)

    def name_for(match: re.Match[str]) -> str:
        return escape_text(names.get(match.group(1), match.group(1))).replace('"', "&quot;")

    fields = tuple(_MEDIA_MARK.sub(name_for, field) for field in note.fields)
    media = tuple(MediaRef(r.kind, r.target, r.card_file, r.location, names.get(r.target)) for r in note.media)
    digest = _digest(note.card, note.notetype_id, fields)
    return Note(note.card, note.notetype_id, fields, note.sort_text, note.ordinals, digest, media)
