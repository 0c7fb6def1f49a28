"""Escape text for HTML: the helpers both the fast path and the Markdown renderer share."""

from __future__ import annotations

# Marks a media target in rendered HTML until the compile stage names the bundled file.
# Markdown-it turns NUL in its input into U+FFFD, so a NUL in rendered HTML is always ours.
MEDIA_MARK = "\x00"


def escape_text(text: str) -> str:
    """Escape text for HTML element content (quotes need no escaping there)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_attribute(text: str) -> str:
    """Escape text for a double-quoted HTML attribute."""
    return escape_text(text).replace('"', "&quot;")


def text_to_html(text: str) -> str:
    """Escape plain text for HTML, keeping its line breaks."""
    return escape_text(text).replace("\n", "<br>")
