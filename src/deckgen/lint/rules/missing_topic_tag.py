"""missing-topic-tag: a card with no tag at all."""

from __future__ import annotations

from typing import Iterator

from deckgen.lint.base import Finding, LintInput, Rule
from deckgen.project.config import LintSettings


def check(data: LintInput, settings: LintSettings) -> Iterator[Finding]:
    """Warn about a card with no tag at all, from its file or its own `tags`.

    Tags are how you find and study a topic across decks in Anki.

    Warns: a file without `tags:` whose card has none either.
    Passes: `tags: [frameworks::makers]` on the file or the card.
    """
    for card in data.cards:
        if not card.tags:
            yield card, card.location, f"card '{card.id}' has no tag; add a topic tag to it or its file"


RULE = Rule("missing-topic-tag", check)
