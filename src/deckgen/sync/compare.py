"""When a collection's note says the same as the cards: the one place sameness is decided.

Anki's editor writes `<b>` and `<i>` where deckgen's renderer writes `<strong>` and `<em>`, so
those count as equal, as do `<br>`, `<br/>` and `<br />`; tags are compared as Anki compares them (ignoring case and order), and
deckgen's own `deckgen::removed` mark is left out.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from deckgen.identity import content_hash

REMOVED_TAG = "deckgen::removed"
_SAME_TAGS = {"b": "strong", "i": "em"}
_TAG = re.compile(r"<(/?)(b|i)(\s*/?)>", re.IGNORECASE)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def normal_field(html: str) -> str:
    """The form of a field's HTML that sameness is judged on."""
    if "<" not in html:
        return html
    html = _BREAK.sub("<br>", html)
    return _TAG.sub(lambda m: f"<{m.group(1)}{_SAME_TAGS[m.group(2).lower()]}{m.group(3)}>", html)


def fields_hash(fields: Sequence[str]) -> str:
    """Hash a note's fields in their normal form."""
    return content_hash(*(normal_field(field) for field in fields))


def same_fields(a: Sequence[str], b: Sequence[str]) -> bool:
    """Tell whether two notes' fields say the same."""
    return len(a) == len(b) and all(normal_field(x) == normal_field(y) for x, y in zip(a, b))


def tag_set(tags: Iterable[str]) -> frozenset[str]:
    """Tags as Anki tells them apart, without deckgen's removed mark."""
    return frozenset(t.casefold() for t in tags if t.casefold() != REMOVED_TAG)


def has_removed_tag(tags: Iterable[str]) -> bool:
    """Tell whether a note carries deckgen's removed mark."""
    return any(t.casefold() == REMOVED_TAG for t in tags)
