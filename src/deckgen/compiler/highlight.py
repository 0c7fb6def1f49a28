"""Highlight fenced code at build time: the only module that imports Pygments.

Cards carry plain `<span class="k">` markup styled by the note types' CSS, so the colours can
follow Anki's light and night modes. Cloze deletions in code keep working: their markers are
taken out before lexing and put back between the highlighted spans, never inside one, so Anki
sees `{{c1::<span ...>...</span>}}` and hides or shows whole tokens.
"""

from __future__ import annotations

import functools
import html
import re

from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.token import (
    STANDARD_TYPES,
    Comment,
    Error,
    Generic,
    Keyword,
    Name,
    Number,
    Operator,
    String,
    _TokenType,
)
from pygments.util import ClassNotFound

from deckgen.cloze import OPENER

# The token families the note types' CSS colours, most specific first within a family.
# Every other token is left as plain text, which keeps the card HTML small.
STYLED = (
    Keyword.Constant, Keyword.Type, Keyword,
    Name.Builtin, Name.Function, Name.Class, Name.Decorator, Name.Exception, Name.Tag, Name.Attribute,
    String.Escape, String, Number,
    Comment.Preproc, Comment,
    Operator.Word,
    Generic.Inserted, Generic.Deleted, Generic.Heading, Generic.Subheading, Generic.Prompt,
    Generic.Emph, Generic.Strong, Error,
)
CLASSES = tuple(STANDARD_TYPES[token] for token in STYLED)
_STYLED = frozenset(STYLED)
_CLOZE_MARK = re.compile(OPENER + r"|::|\}\}")


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


@functools.lru_cache(maxsize=None)
def _css_class(token: _TokenType) -> str | None:
    """Return the class of the nearest styled family a token belongs to."""
    family: _TokenType | None = token
    while family is not None:
        if family in _STYLED:
            return STANDARD_TYPES[family]
        family = family.parent
    return None


@functools.lru_cache(maxsize=64)
def _lexer(language: str) -> Lexer | None:
    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=True)
    except ClassNotFound:
        return None


def split_cloze_markers(code: str) -> tuple[str, list[tuple[int, str]]]:
    """Take Anki's cloze markers out of code; return the code and (offset, marker HTML) pairs.

    Follows Anki's reading: `{{cN::` opens a deletion, the first `::` inside it starts the
    hint, `}}` closes it; deletions may nest. `::` and `}}` outside a deletion are code.
    """
    plain: list[str] = []
    marks: list[tuple[int, str]] = []
    length = depth = pos = 0

    def cut(start: int, end: int, marker: str) -> None:
        nonlocal length, pos
        plain.append(code[pos:start])
        length += start - pos
        marks.append((length, marker))
        pos = end

    search = 0
    while match := _CLOZE_MARK.search(code, search):
        mark, search = match.group(), match.end()
        if mark.startswith("{{"):
            depth += 1
            cut(match.start(), match.end(), mark)
        elif depth == 0:
            continue
        elif mark == "}}":
            depth -= 1
            cut(match.start(), match.end(), mark)
        elif (close := code.find("}}", match.end())) >= 0:
            depth -= 1
            cut(match.start(), close + 2, "::" + _escape(code[match.end():close]) + "}}")
            search = close + 2
    plain.append(code[pos:])
    return "".join(plain), marks


def _spans(code: str, lexer: Lexer) -> list[tuple[str | None, str]]:
    """Lex code into (CSS class or None, text) pieces covering it exactly."""
    pieces: list[tuple[str | None, str]] = []
    for token, value in lexer.get_tokens(code):
        if value:
            pieces.append((_css_class(token), value))
    # The lexer may add a final newline (ensurenl); keep the text exactly as given.
    extra = sum(len(v) for _, v in pieces) - len(code)
    while extra > 0 and pieces:
        css, value = pieces.pop()
        cut = min(extra, len(value))
        if value[:-cut]:
            pieces.append((css, value[:-cut]))
        extra -= cut
    return pieces


def _markup(css: str | None, text: str) -> str:
    return f'<span class="{css}">{_escape(text)}</span>' if css else _escape(text)


def highlight(code: str, language: str) -> str | None:
    """Return code as highlighted HTML (no wrapper), or None when the language is unknown."""
    lexer = _lexer(language.lower())
    if lexer is None:
        return None
    plain, marks = split_cloze_markers(code)
    pieces = _spans(plain, lexer)
    if "".join(value for _, value in pieces) != plain:
        return _escape(code)  # a lexer that rewrites text cannot be trusted with offsets
    out: list[str] = []
    index = offset = 0
    for css, value in pieces:
        start = 0
        # Markers inside or at the start of this piece split it, so they sit between spans.
        while index < len(marks) and marks[index][0] < offset + len(value):
            at = marks[index][0] - offset
            if at > start:
                out.append(_markup(css, value[start:at]))
                start = at
            out.append(marks[index][1])
            index += 1
        out.append(_markup(css, value[start:]))
        offset += len(value)
    out.extend(marker for _, marker in marks[index:])
    return "".join(out)
