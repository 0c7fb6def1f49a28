"""Turn card Markdown into HTML: the only module that imports markdown-it-py.

CommonMark with tables and strikethrough, plus three things cards need:
- math (`$...$`, `$$...$$`, `\\(...\\)`, `\\[...\\]`) is cut out before any other inline rule
  sees it and handed to Anki's MathJax as `\\(...\\)` or `\\[...\\]`, its text untouched;
- `![alt](path)` images and `[sound:path]` audio become placeholders naming the file as
  written, which the media stage later swaps for the bundled file's name;
- raw HTML is shown as text, except a few formatting tags without attributes.
The parser is built once, on first use.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, MutableMapping, Sequence, cast
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from deckgen.compiler.escape import MEDIA_MARK, escape_attribute
from deckgen.compiler.escape import escape_text as escape
# Attribute-free tags that only format text; any other raw HTML is shown as written.
ALLOWED_TAGS = frozenset({"b", "i", "u", "s", "em", "strong", "sub", "sup", "kbd", "mark", "small", "ins", "del", "br"})
LINK_SCHEMES = ("http:", "https:", "mailto:")
_ALLOWED_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)\s*/?>\Z")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:")  # one letter is a drive, not a scheme
_MATH_CLOSERS = {"(": "\\)", "[": "\\]"}


@dataclass(frozen=True)
class Markup:
    """HTML made from one text, the media it names (kind, target) and unknown code languages."""

    html: str
    media: tuple[tuple[str, str], ...] = ()
    unknown_languages: tuple[str, ...] = ()


def _find_closer(src: str, closer: str, start: int, end: int) -> int:
    """Find `closer` after `start`, stepping over backslash escapes; -1 when absent."""
    pos = start
    while pos < end:
        if src.startswith(closer, pos):
            return pos
        pos += 2 if src[pos] == "\\" else 1
    return -1


def _dollar_closer(src: str, start: int, end: int) -> int:
    """Find the `$` closing inline math opened before `start`, or -1.

    Pandoc's rule keeps prices out of math: the opening `$` is followed by a non-space, the
    closing `$` follows a non-space and is not followed by a digit. The first unescaped `$`
    must close, so "costs $5 and $10" stays text.
    """
    if start >= end or src[start].isspace():
        return -1
    pos = _find_closer(src, "$", start, end)
    if pos <= start or src[pos - 1].isspace() or (pos + 1 < end and src[pos + 1].isdigit()):
        return -1
    return pos


def _math_inline(state: StateInline, silent: bool) -> bool:
    """Cut out `$..$`, `$$..$$`, `\\(..\\)` and `\\[..\\]` before escapes and emphasis see them."""
    src, pos, end = state.src, state.pos, state.posMax
    if src[pos] == "\\":
        closer = _MATH_CLOSERS.get(src[pos + 1 : pos + 2])
        if closer is None:
            return False
        display, start = closer == "\\]", pos + 2
        stop = _find_closer(src, closer, start, end)
    elif src.startswith("$$", pos):
        closer, display, start = "$$", True, pos + 2
        stop = _find_closer(src, closer, start, end)
    elif src[pos] == "$":
        closer, display, start = "$", False, pos + 1
        stop = _dollar_closer(src, start, end)
    else:
        return False
    if stop <= start or not src[start:stop].strip():
        return False
    if not silent:
        token = state.push("math_display" if display else "math_inline", "", 0)
        token.content = src[start:stop]
    state.pos = stop + len(closer)
    return True


def _math_block(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """Read a display-math block that starts a line with `$$` or `\\[` and ends one with its closer."""
    if state.sCount[start_line] - state.blkIndent >= 4:
        return False
    begin = state.bMarks[start_line] + state.tShift[start_line]
    first = state.src[begin : state.eMarks[start_line]]
    opener = "$$" if first.startswith("$$") else "\\[" if first.startswith("\\[") else None
    if opener is None:
        return False
    closer = "$$" if opener == "$$" else "\\]"
    lines, last = [first[2:].rstrip()], start_line
    while (found := lines[-1].find(closer)) < 0:
        last += 1
        if last >= end_line or state.isEmpty(last):
            return False  # unterminated: leave the text to the paragraph rule
        lines.append(state.src[state.bMarks[last] + state.tShift[last] : state.eMarks[last]].rstrip())
    if found != len(lines[-1]) - len(closer):
        return False  # text after the closer: inline math within a paragraph
    lines[-1] = lines[-1][:found]
    content = "\n".join(lines)
    if not content.strip():
        return False
    if not silent:
        token = state.push("math_block", "", 0)
        token.content = content.strip("\n")
        token.map = [start_line, last + 1]
    state.line = last + 1
    return True


def _sound(state: StateInline, silent: bool) -> bool:
    """Read Anki's `[sound:path]` before the link rule takes the brackets."""
    src, pos = state.src, state.pos
    if not src.startswith("[sound:", pos):
        return False
    stop = src.find("]", pos, state.posMax)
    target = src[pos + 7 : stop].strip() if stop > 0 else ""
    if not target or "\n" in target:
        return False
    if not silent:
        state.push("sound", "", 0).content = target
    state.pos = stop + 1
    return True


def _validate_link(url: str) -> bool:
    """Allow relative links and http(s)/mailto ones; `javascript:` and the like stay text."""
    return _SCHEME.match(url) is None or url.lower().startswith(LINK_SCHEMES)


class _CardRenderer(RendererHTML):
    """Render tokens the way cards need: see the module docstring."""

    def text(self, tokens: Sequence[Token], idx: int, options: Any, env: MutableMapping[str, Any]) -> str:
        return escape(tokens[idx].content)

    def softbreak(self, tokens: Sequence[Token], idx: int, options: Any, env: MutableMapping[str, Any]) -> str:
        return "<br>"  # a line break in a card stays one, as it did before Markdown

    def hardbreak(self, tokens: Sequence[Token], idx: int, options: Any, env: MutableMapping[str, Any]) -> str:
        return "<br>"

    def html_inline(self, tokens: Sequence[Token], idx: int, options: Any, env: MutableMapping[str, Any]) -> str:
        raw = tokens[idx].content
        match = _ALLOWED_TAG.match(raw)
        if match and match.group(2).lower() in ALLOWED_TAGS:
            return f"<{match.group(1)}{match.group(2).lower()}>"
        return escape(raw)

    def code_inline(self, tokens: Sequence[Token], idx: int, options: Any, env: MutableMapping[str, Any]) -> str:
        return f"<code>{escape(tokens[idx].content)}</code>"

    def fence(self, tokens: Sequence[Token], idx: int, options: Any, env: MutableMapping[str, Any]) -> str:
        token = tokens[idx]
        language = token.info.split(maxsplit=1)[0] if token.info.strip() else ""
        code = token.content[:-1] if token.content.endswith("\n") else token.content
        body = None
        if language:
            from deckgen.compiler.highlight import highlight  # Pygments loads only for cards with code

            body = highlight(code, language)
            if body is None:
                env["unknown_languages"].append(language)
        return f'<pre class="dg-code"><code>{escape(code) if body is None else body}</code></pre>\n'

    def code_block(self, tokens: Sequence[Token], idx: int, options: Any, env: MutableMapping[str, Any]) -> str:
        code = tokens[idx].content.rstrip("\n")
        return f'<pre class="dg-code"><code>{escape(code)}</code></pre>\n'

    def image(self, tokens: Sequence[Token], idx: int, options: Any, env: MutableMapping[str, Any]) -> str:
        token = tokens[idx]
        target = unquote(str(token.attrGet("src") or ""))
        env["media"].append(("image", target))
        alt = self.renderInlineAsText(token.children or [], options, env)
        return f'<img src="{MEDIA_MARK}{target}{MEDIA_MARK}" alt="{escape_attribute(alt)}">'

    def sound(self, tokens: Sequence[Token], idx: int, options: Any, env: MutableMapping[str, Any]) -> str:
        target = tokens[idx].content
        env["media"].append(("sound", target))
        return f"[sound:{MEDIA_MARK}{target}{MEDIA_MARK}]"

    def math_inline(self, tokens: Sequence[Token], idx: int, options: Any, env: MutableMapping[str, Any]) -> str:
        return f"\\({escape(tokens[idx].content)}\\)"

    def math_display(self, tokens: Sequence[Token], idx: int, options: Any, env: MutableMapping[str, Any]) -> str:
        return f"\\[{escape(tokens[idx].content)}\\]"

    def math_block(self, tokens: Sequence[Token], idx: int, options: Any, env: MutableMapping[str, Any]) -> str:
        return f"\\[{escape(tokens[idx].content)}\\]\n"


@functools.cache
def parser() -> MarkdownIt:
    """Build the one Markdown parser cards use."""
    md = MarkdownIt("commonmark", {"html": True, "breaks": True}, renderer_cls=_CardRenderer)
    md.enable(["table", "strikethrough"])
    md.disable("html_block")  # block HTML would pass through whole; inline tags are filtered one by one
    md.inline.ruler.before("escape", "math_inline", _math_inline)
    md.inline.ruler.before("link", "sound", _sound)
    md.block.ruler.before("fence", "math_block", _math_block, {"alt": ["paragraph", "reference", "blockquote", "list"]})
    md.validateLink = _validate_link  # type: ignore[method-assign]
    return md


# A line starting with one of these may be a block (heading, list, quote, fence, table, ...).
_BLOCK_STARTS = frozenset("#>+-*=_`~[$\\<|0123456789")


def _is_single_paragraph(tokens: list[Token]) -> bool:
    return len(tokens) == 3 and tokens[0].type == "paragraph_open" and tokens[2].type == "paragraph_close"


def is_inline_only(text: str) -> bool:
    """Tell whether text can only be one paragraph, so the block parser can be skipped."""
    return bool(text) and "\n" not in text and text[0] not in _BLOCK_STARTS \
        and not text[0].isspace() and not text[-1].isspace()


def _renderer(md: MarkdownIt) -> _CardRenderer:
    return cast(_CardRenderer, md.renderer)


def render_blocks(text: str, env: dict) -> str:
    """Render text through the block parser; a lone paragraph comes without its `<p>`."""
    md = parser()
    tokens = md.parse(text, env)
    if _is_single_paragraph(tokens):
        return _renderer(md).renderInline(tokens[1].children or [], md.options, env)
    return md.renderer.render(tokens, md.options, env).rstrip("\n")


def markdown_to_html(text: str) -> Markup:
    """Render card Markdown; a lone paragraph comes without its `<p>`, like plain text."""
    env: dict = {"media": [], "unknown_languages": []}
    if is_inline_only(text):  # the common one-line card skips the block parser
        md = parser()
        html = _renderer(md).renderInline(md.parseInline(text, env)[0].children or [], md.options, env)
    else:
        html = render_blocks(text, env)
    return Markup(html, tuple(dict.fromkeys(env["media"])), tuple(dict.fromkeys(env["unknown_languages"])))
