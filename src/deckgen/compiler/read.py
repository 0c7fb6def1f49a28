"""Read one card file's text into validated cards and rendered notes: parse, validate, render.

This is the part of a build that depends on nothing but the file's text, deckgen's code and
the note types, so the build cache keeps its result per file.
"""

from __future__ import annotations

from typing import Iterable

from deckgen.anki.notetypes import NoteTypes
from deckgen.compiler.notes import render_card
from deckgen.compiler.validate import check_unique_ids, validate_file
from deckgen.compiler.yamlread import parse_yaml
from deckgen.model import Note, ParsedFile
from deckgen.problems import Problem


def read_card_file(text: str, path: str, file: str, digest: str, notetypes: NoteTypes) -> ParsedFile:
    """Parse, validate and render one card file's text."""
    root, problems = parse_yaml(text, path)
    if root is None:
        return ParsedFile(path, file, digest, (), (), tuple(problems))
    cards, found = validate_file(root, path, file)
    problems += found
    notes: list[Note] = []
    rendered: list[Problem] = []
    for card in cards:
        note, found = render_card(card, notetypes)
        if note is not None:
            notes.append(note)
        rendered.extend(found)
    # A file-level source is rendered for each of its cards: report what it causes once.
    return ParsedFile(path, file, digest, cards, tuple(notes), tuple(problems + list(dict.fromkeys(rendered))))


def cross_file_problems(files: Iterable[ParsedFile]) -> list[Problem]:
    """Check what spans files: card ids unique within their scope."""
    return check_unique_ids(card for file in files for card in file.cards)
