"""Cloze deletions, read exactly as Anki reads them: the one home of every cloze rule.

`{{c1::Paris}}`, `{{c1::Paris::capital}}` (a hint), `{{c1,2::Paris}}` (one deletion on cards 1
and 2) and nested deletions. A `}}` outside any deletion is text; the first `::` inside a
deletion starts its hint. Anki makes at most 500 cards from one note (a larger number makes an
error card at 500) and reads numbers above 65535 as plain text.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Iterator, Union

OPENER = r"\{\{c([\d,]*\d[\d,]*)::"
_TOKEN = re.compile(OPENER + r"|\}\}")
MAX_CARDS = 500
_LARGEST = 65535
_ATTRIBUTE_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


@dataclass(frozen=True)
class Deletion:
    """One deletion: the card numbers it hides on, its content and its hint."""

    numbers: tuple[int, ...]
    parts: tuple[Union[str, "Deletion"], ...]
    hint: str


Part = Union[str, Deletion]


def _numbers(digits: str) -> tuple[int, ...] | None:
    """Read `1,2` as (1, 2); None when Anki would not read the token as a deletion at all."""
    if "," not in digits:  # the usual `c1`: one number, no set to build
        return (int(digits),) if len(digits) <= 5 and int(digits) <= _LARGEST else None
    parts = [part for part in digits.split(",") if part]
    if any(len(part) > 5 or int(part) > _LARGEST for part in parts):
        return None
    return tuple(sorted({int(part) for part in parts}))


Token = tuple[int, int, Union[tuple[int, ...], None]]


def tokens(text: str) -> tuple[Token, ...]:
    """Return (start, end, numbers) for each opener and (start, end, None) for each `}}`."""
    if "{{" not in text and "}}" not in text:  # most text has no deletion markers at all
        return ()
    return _scanned(text)


# Validation counts a cloze text's deletions and looks for mistakes, rendering takes its card
# numbers and parses it: one scan serves them all (the tokens are an immutable tuple).
@functools.lru_cache(maxsize=1024)
def _scanned(text: str) -> tuple[Token, ...]:
    found: list[Token] = []
    for match in _TOKEN.finditer(text):
        digits = match.group(1)
        if digits is None:
            found.append((match.start(), match.end(), None))
            continue
        numbers = _numbers(digits)
        if numbers is not None:
            found.append((match.start(), match.end(), numbers))
    return tuple(found)


def parse(text: str) -> list[Part]:
    """Split cloze text into plain runs and (possibly nested) deletions."""
    return list(_parsed(text))


# A note's cloze text is read once per card it makes and per side (render, answers): keep the
# last few parses. Parts are immutable (strings and frozen deletions), so they can be shared.
@functools.lru_cache(maxsize=256)
def _parsed(text: str) -> tuple[Part, ...]:
    root: list[Part] = []
    stack: list[tuple[tuple[int, ...], list[Part]]] = []
    position = 0
    for start, end, numbers in tokens(text):
        if numbers is None and not stack:
            continue  # a `}}` outside any deletion is ordinary text
        current = stack[-1][1] if stack else root
        if start > position:
            current.append(text[position:start])
        position = end
        if numbers is not None:
            stack.append((numbers, []))
            continue
        opened, parts = stack.pop()
        (stack[-1][1] if stack else root).append(_close(opened, parts))
    if not stack:
        root.append(text[position:])
    # Anki drops a deletion that is never closed, with its text (validation refuses one).
    return tuple(part for part in root if part != "")


def _close(numbers: tuple[int, ...], parts: list[Part]) -> Deletion:
    """Finish a deletion, splitting off a `::hint` from its last text run."""
    hint = ""
    if parts and isinstance(parts[-1], str) and "::" in parts[-1]:
        text, hint = parts[-1].split("::", 1)
        parts = parts[:-1] + [text]
    return Deletion(numbers, tuple(p for p in parts if p != ""), hint)


def _walk(parts: list[Part] | tuple[Part, ...]) -> Iterator[Deletion]:
    for part in parts:
        if isinstance(part, Deletion):
            yield part
            yield from _walk(part.parts)


def count(text: str) -> int:
    """Count the deletions a text opens, closed or not."""
    return sum(1 for _, _, numbers in tokens(text) if numbers is not None)


def card_numbers(text: str) -> set[int]:
    """Return the card numbers a text's deletions make (c1 -> 1), as Anki counts them."""
    return {min(n, MAX_CARDS) for _, _, numbers in tokens(text) if numbers for n in numbers if n > 0}


def ordinals(text: str) -> tuple[int, ...]:
    """Return the 0-based card ordinals a cloze text makes: c1 -> 0, c2 -> 1, ..."""
    return tuple(sorted(n - 1 for n in card_numbers(text)))


def mistakes(text: str) -> list[tuple[str, str]]:
    """Find deletions Anki would show as an error card: unclosed, numbered c0, or beyond c500."""
    found: list[tuple[str, str]] = []
    open_numbers: list[tuple[int, ...]] = []
    for _, _, numbers in tokens(text):
        if numbers is None:
            if open_numbers:
                open_numbers.pop()
            continue
        open_numbers.append(numbers)
        if 0 in numbers:
            found.append(("cloze-number", "cloze deletions are numbered from c1; c0 makes no card"))
        if numbers[-1] > MAX_CARDS:
            found.append(("cloze-number", f"cloze deletion c{numbers[-1]} is too large; Anki makes cards up to c{MAX_CARDS}"))
    for numbers in open_numbers:
        shown = ",".join(map(str, numbers))
        found.append(("cloze-unclosed", f"cloze deletion {{{{c{shown}::... is never closed with }}}}"))
    return found


def _plain(parts: tuple[Part, ...] | list[Part]) -> str:
    """Return a deletion's content as written, with nested deletions revealed."""
    return "".join(part if isinstance(part, str) else _plain(part.parts) for part in parts)


def reveal(text: str) -> str:
    """Return the text with every deletion replaced by its content (hints left out)."""
    return _plain(_parsed(text))


def answers(text: str, ordinal: int) -> list[str]:
    """Return the contents of the deletions card `ordinal` (0-based) asks for."""
    return [_plain(d.parts) for d in _walk(_parsed(text)) if ordinal + 1 in d.numbers]


def _attribute(text: str) -> str:
    """Encode an attribute value as Anki does: every non-alphanumeric character below 256 escaped."""
    out = []
    for char in text:
        code = ord(char)
        if code < 256 and not (char.isascii() and char.isalnum()):
            out.append(_ATTRIBUTE_ENTITIES.get(char, f"&#x{code:X};"))
        else:
            out.append(char)
    return "".join(out)


def _render(parts: tuple[Part, ...] | list[Part], number: int, question: bool) -> str:
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        shown_numbers = ",".join(map(str, part.numbers))
        inner = _render(part.parts, number, question)
        if number not in part.numbers:
            out.append(f'<span class="cloze-inactive" data-ordinal="{shown_numbers}">{inner}</span>')
        elif question:
            shown = f"[{part.hint}]" if part.hint else "[...]"
            out.append(f'<span class="cloze" data-cloze="{_attribute(inner)}" data-ordinal="{shown_numbers}">{shown}</span>')
        else:
            out.append(f'<span class="cloze" data-ordinal="{shown_numbers}">{inner}</span>')
    return "".join(out)


def render(text: str, ordinal: int, question: bool) -> str:
    """Render cloze text as Anki does for card `ordinal` (0-based): hide its deletions on the front."""
    return _render(_parsed(text), min(ordinal + 1, MAX_CARDS), question)
