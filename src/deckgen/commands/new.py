"""`deckgen new`: start a card file for a deck, never over an existing file."""

from __future__ import annotations

import os
from pathlib import Path

from deckgen.errors import BadUsage, DeckgenError
from deckgen.lint.rules.placeholder_text import PLACEHOLDERS
from deckgen.cardfiles.yamlwrite import double_quoted
from deckgen.names import DECK_SEPARATOR, file_stem, id_slug
from deckgen.names import deck_name_problem as deck_name_problem_of
from deckgen.problems import printable
from deckgen.project.paths import display_path
from deckgen.project.writer import unwritable, write_files

SCHEMA_FILE = "deckgen.schema.json"
# The scaffold's example card: the placeholder-text lint rule flags a card still holding it.
PLACEHOLDER_QUESTION, PLACEHOLDER_ANSWER = PLACEHOLDERS


def default_card_path(cards_dir: Path, deck: str) -> Path:
    """Place a deck's file by its name: 'A::B::C' -> cards/a/b/c.yaml, 'A' -> cards/a.yaml."""
    parts = [file_stem(part, 60) for part in deck.split(DECK_SEPARATOR)]
    return cards_dir.joinpath(*parts[:-1], parts[-1] + ".yaml")


def card_file_text(deck: str, card_id: str, schema_ref: str | None) -> str:
    """Write a new card file: the deck, a topic tag, a commented source and one example card."""
    tag = DECK_SEPARATOR.join(file_stem(part, 60, "topic") for part in deck.split(DECK_SEPARATOR))
    header = f"# yaml-language-server: $schema={schema_ref}\n" if schema_ref else ""
    return (
        f"{header}deck: {double_quoted(deck)}\n"
        f"tags: [{tag}]\n"
        "# source: \"Where these facts come from (shown on the back of each card)\"\n"
        "cards:\n"
        f"  - id: {card_id}\n"
        f"    q: \"{PLACEHOLDER_QUESTION}\"\n"
        f"    a: \"{PLACEHOLDER_ANSWER}\"\n"
    )


def deck_name_problem(deck: str) -> str | None:
    """Say why text cannot be the deck name of a new card file (the rule card files follow), or None."""
    problem = deck_name_problem_of(deck)
    return None if problem is None else f"{printable(repr(deck))} is not a deck name: {problem[1]}"


def new_card_file(cards_dir: Path, deck: str, path: Path | None = None) -> Path:
    """Create a card file for a deck; refuse to overwrite anything."""
    problem = deck_name_problem(deck)
    if problem:
        raise BadUsage(problem)
    parts = [part.strip() for part in deck.split(DECK_SEPARATOR)]
    deck = DECK_SEPARATOR.join(parts)
    target = path or default_card_path(cards_dir, deck)
    if os.path.lexists(target):
        raise DeckgenError(f"{display_path(target)} already exists; choose another file with --path")
    reason = unwritable(target)
    if reason is not None:
        raise DeckgenError(f"cannot write {display_path(target)}: {reason}")
    schema = cards_dir.resolve().parent / SCHEMA_FILE
    schema_ref = Path(os.path.relpath(schema, target.resolve().parent)).as_posix() if schema.is_file() else None
    card_id = (id_slug(" ".join(parts[1:] or parts)) or "card") + "-example"  # unique per file within its top-level deck
    write_files({target: card_file_text(deck, card_id, schema_ref).encode("utf-8")}, exclusive=True)
    return target
