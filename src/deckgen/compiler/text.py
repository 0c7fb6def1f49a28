"""Turn card text into HTML: the one stage that decides how text becomes HTML.

Card text is Markdown (see `markdown.py`). Most card text has nothing Markdown would change,
so it takes a fast path that gives the same HTML without the parser: escaped text with line
breaks kept; text whose only Markdown is `code` spans has a fast path of its own. Media are
left as placeholders naming the file as written (see `escape.MEDIA_MARK`).
"""

from __future__ import annotations

import functools
import html
import re

from deckgen.compiler.escape import escape_text, text_to_html

# Text Markdown could change: its special characters anywhere, block markers at a line's
# start, blank lines and space at a line's edges, control characters. Checked in three
# cheap steps because most card text is one plain line.
_SPECIAL = re.compile(r"[\\`*_\[\]<&$~|\x00-\x08\x0b-\x1f\x7f]")
_BLOCK_START = re.compile(r"[#>+=-]|\d{1,9}[.)]")
_LINE_EDGES = re.compile(r"[ \t]\n|\n(?:[ \t\n#>+=-]|\d{1,9}[.)])")
# A single-backtick code span on one line: `like this`.
_CODE_SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_BLOCK_TAG = re.compile(r"<(?:br|/?(?:p|div|li|ul|ol|tr|td|th|table|thead|tbody|pre|h[1-6]|blockquote|hr))\b[^>]*>")
_IMG_ALT = re.compile(r'<img [^>]*?alt="([^"]*)"[^>]*>')
_TAG = re.compile(r"<[^>]*>")
_SOUND = re.compile(r"\[sound:[^\]]*\]")


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
    from deckgen.compiler.markdown import markdown_to_html  # markdown-it loads only when text needs it

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


def sort_text_of(body: str) -> str:
    """Return the plain text Anki's browser lists for a field."""
    # HTML without tags or entities is the text itself: no stripping needed.
    if "<" in body or "&" in body:
        return html_to_plain(body)
    plain = " ".join(body.split())
    return body if plain == body else plain  # the field's own string: no second copy per note
