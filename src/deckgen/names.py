"""Naming rules, each written once: deck names, slugs, unique names, file and media names."""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from typing import Callable, Iterable

DECK_SEPARATOR = "::"
_NON_WORD = re.compile(r"[^\w]+")
_ASCII_WORD = re.compile(r"[a-z0-9]+")
# Words that say little in an id made from a question ("Which company built X?" -> company-built-x).
_FILLER = frozenset("a an the of to is are was were be in on at and or which what who whom does did do".split())
# File names Windows reserves in every folder, whatever the extension.
_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MEDIA_PREFIX = "dg-"
# Most file systems allow 255 bytes per name; keep room for a temporary suffix.
MAX_NAME_BYTES = 200
# Characters Anki cannot keep in a note's text. Its field separator U+001F makes it refuse the
# whole package; it silently drops the other C0 control characters and DEL on import (tab, line
# feed and carriage return excepted). NUL would also become U+FFFD in Markdown.
_NOT_IN_ANKI_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Characters a deck name or tag cannot hold: the above, line breaks and tabs, C1 controls, and
# line or paragraph separators (they would split the lock file's lines).
# Compiled on first use (it takes about a millisecond, which a no-op build need not pay).
_NOT_IN_NAMES = "[\x00-\x1f\x7f-\x9f\u2028\u2029]"


@functools.cache
def _name_breaker() -> re.Pattern[str]:
    return re.compile(_NOT_IN_NAMES)


def _character(char: str) -> str:
    names = {"\x1f": " (Anki's field separator)", "\x00": " (NUL)", "\t": " (tab)", "\n": " (line break)",
             "\x85": " (next line)", "\u2028": " (line separator)", "\u2029": " (paragraph separator)"}
    return f"U+{ord(char):04X}{names.get(char, '')}"


def text_character_problem(text: str) -> tuple[bool, str] | None:
    """Say which character of a note's text Anki cannot keep, and where; None when it keeps all.

    The first value tells whether Anki refuses the package (the field separator) rather than
    dropping the character.
    """
    found = _NOT_IN_ANKI_TEXT.search(text)
    if found is None:
        return None
    char = found.group()
    return char == "\x1f", f"contains the control character {_character(char)} at character {found.start() + 1}"


def deck_name_problem(name: str) -> tuple[str, str] | None:
    """Say why text cannot be a deck name, as (code, message); None for a good one.

    Parts between `::` are compared without their surrounding space, as Anki does.
    """
    found = _name_breaker().search(name)
    if found is not None:
        return "deck-character", f"deck name contains the control character {_character(found.group())}; Anki deck names cannot"
    if any(not part.strip() for part in name.split(DECK_SEPARATOR)):
        return "empty-deck-segment", f"deck name '{name}' has an empty part between '::'"
    return None


def namespace_problem(namespace: str) -> tuple[str, str] | None:
    """Say why text cannot be a namespace (it starts every card key in the lock file), or None."""
    found = _name_breaker().search(namespace)
    if found is None:
        return None
    return "namespace-character", (f"namespace contains the control character {_character(found.group())}; "
                                   "it would break the lock file's lines")


def tag_problem(tag: str) -> tuple[str, str] | None:
    """Say why text cannot be an Anki tag, as (code, message); None for a good one."""
    if not tag.strip():
        return "empty-value", "tag is empty"
    found = _name_breaker().search(tag.strip())
    if found is not None:
        char = _character(found.group())
        return "tag-character", f"tag contains the control character {char}; a tag cannot hold control characters"
    if len(tag.split()) > 1:  # other space inside the tag (split() uses str.isspace)
        return "tag-space", f"tag '{tag.strip()}' contains a space; Anki tags cannot (use - or ::)"
    if any(not part for part in tag.strip().split(DECK_SEPARATOR)):
        return "tag-empty-part", f"tag '{tag.strip()}' has an empty part between '::'"
    return None


@functools.cache  # asked several times per card, of a few dozen deck names
def top_level(deck: str) -> str:
    """Return the top-level deck of a `A::B::C` deck name."""
    return deck.split(DECK_SEPARATOR, 1)[0]


def with_parents(names: Iterable[str]) -> list[str]:
    """List every `::` name and each of its parents, sorted (a parent deck or tag holds its children)."""
    found: set[str] = set()
    for name in names:
        parts = name.split(DECK_SEPARATOR)
        found.update(DECK_SEPARATOR.join(parts[: i + 1]) for i in range(len(parts)))
    return sorted(found)


def ascii_words(text: str) -> list[str]:
    """Reduce text to lower-case ASCII words (accents dropped, other scripts left out)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return _ASCII_WORD.findall(plain)


def slug(text: str, limit: int = 48) -> str:
    """Make an ASCII slug of lower-case words joined by dashes, cut at a word ("" for no ASCII words)."""
    words = "-".join(ascii_words(text))
    if len(words) > limit:
        words = words[:limit].rsplit("-", 1)[0]
    return words


def id_slug(text: str, words: int = 5) -> str:
    """Make a short card id from a question: its first few words without filler words."""
    found = ascii_words(text)
    kept = [word for word in found if word not in _FILLER] or found
    return "-".join(kept[:words])


def unique(base: str, taken: set[str], key: Callable[[str], str] = str) -> str:
    """Return base, or base-2, base-3... whichever is not taken yet (compared as key()), and take it."""
    candidate, number = base, 1
    while key(candidate) in taken:
        number += 1
        candidate = f"{base}-{number}"
    taken.add(key(candidate))
    return candidate


def file_stem(name: str, limit: int = 80, fallback: str = "deck") -> str:
    """Name a file after a deck or note type: lower case, words joined by dashes, never a reserved name."""
    stem = _NON_WORD.sub("-", name.casefold()).strip("-_")
    while len(stem.encode("utf-8")) > limit:
        stem = stem[:-1].rstrip("-_")
    stem = stem or fallback
    return f"{stem}-{fallback}" if stem in _RESERVED else stem


def package_filename(top_deck: str) -> str:
    """Name a top-level deck's package file.

    Anki's File > Import treats `collection.apkg` and `backup-*.apkg` as whole-collection
    backups and would replace the user's collection with them, so those names get a prefix.
    """
    stem = file_stem(top_deck)
    if stem == "collection" or stem.startswith("backup"):
        stem = f"deck-{stem}"
    return f"{stem}.apkg"


def media_name(data: bytes, suffix: str) -> str:
    """Name a media file after its content, keeping its type's extension."""
    return f"{MEDIA_PREFIX}{hashlib.sha256(data).hexdigest()[:16]}{suffix.lower()}"


def media_name_problem(name: str) -> str | None:
    """Say why a name cannot be a file directly inside one folder (Anki's media folder), or None."""
    if not name or name in (".", ".."):
        return "is empty or a folder name"
    if "/" in name or "\\" in name:
        return "contains a path separator"
    if ":" in name:  # a drive letter (C:x) or a Windows stream name
        return "contains a drive letter or ':'"
    if _CONTROL.search(name):
        return "contains control characters"
    if len(name.encode("utf-8")) > 240:
        return "is too long"
    return None
