"""Turn a field's HTML, as Anki's editor left it, back into the card's text, only when that is exact.

A Markdown card gets Markdown: plain text, line breaks, bold, italic and code spans (what
Anki's editor makes of a typo fix or a bolded word). The result is rendered again with
deckgen's renderer and kept only if it gives the same HTML (as `compare` judges sameness);
anything else (lists, links, media, styled spans) is refused with a short diff. An HTML card
gets the HTML as it is.
"""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass
from typing import Callable

from deckgen.sync.compare import normal_field

_TOKEN = re.compile(r"<(/?)([a-zA-Z]+)\s*/?>|<[^>]*>|[^<]+")
_MARKS = {"b": "**", "strong": "**", "i": "*", "em": "*"}
# Characters Markdown would read as markup, escaped with a backslash in plain text.
_ESCAPE = re.compile(r"([\\`*_\[\]<>&$~|#])")


@dataclass(frozen=True)
class Unrendered:
    """The card text for a field, or why there is none (`text` None) with a diff to show."""

    text: str | None
    reason: str = ""


def _escape(text: str) -> str:
    escaped = _ESCAPE.sub(r"\\\1", text)
    # A line that starts with what Markdown takes for a list or a heading keeps its text.
    escaped = re.sub(r"(?m)^(\s*)([-+=])", r"\1\\\2", escaped)
    return re.sub(r"(?m)^(\s*\d{1,9})([.)])", r"\1\\\2", escaped)


def to_markdown(markup: str, escape: bool = True) -> str | None:
    """Markdown for simple editor HTML (its text escaped or not); None where it has anything else."""
    parts: list[str] = []
    in_code = False
    for match in _TOKEN.finditer(markup):
        token = match.group(0)
        if not token.startswith("<"):
            text = html.unescape(token)
            parts.append(_escape(text) if escape and not in_code else text)
            continue
        closing, name = match.group(1), (match.group(2) or "").lower()
        if name == "br" and not closing:
            parts.append("\n")
        elif name in _MARKS:
            parts.append(_MARKS[name])
        elif name == "code":
            parts.append("`")
            in_code = not closing
        else:
            return None
    return "".join(parts)


def _diff(old: str, new: str) -> str:
    lines = difflib.ndiff([old], [new])
    return "; ".join(line.strip() for line in lines if line[:1] in "-+")[:300]


def unrender(markup: str, html_card: bool, render: Callable[[str], str]) -> Unrendered:
    """The text that renders to `markup` (`render` is deckgen's renderer for the card), if there is one."""
    if html_card:
        return Unrendered(markup)
    plain = to_markdown(markup, escape=False)
    if plain is None:
        return Unrendered(None, "Anki's HTML has markup that card text cannot express: " + markup[:200])
    back = ""
    for text in dict.fromkeys((plain, to_markdown(markup) or plain)):  # escaped only when it must be
        if text.strip() != text or not text:
            return Unrendered(None, "the text would begin or end with space, which card text drops")
        back = render(text)
        if normal_field(back) == normal_field(markup):
            return Unrendered(text)
    return Unrendered(None, f"the text would render differently: {_diff(markup, back)}")
