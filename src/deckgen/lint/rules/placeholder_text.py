"""placeholder-text: a card still holding the example text `deckgen new` writes."""

from __future__ import annotations

from typing import Iterator

from deckgen.lint.base import Finding, LintInput, Rule, at
from deckgen.project.config import LintSettings

# What `deckgen new` puts in its example card (commands/new.py writes these same words).
PLACEHOLDERS = ("Replace this question", "Replace this answer")


def check(data: LintInput, settings: LintSettings) -> Iterator[Finding]:
    """Warn about a card whose question or answer is still the example `deckgen new` wrote.

    Such a card would be studied as it is: replace its text, or delete the card.

    Warns: `q: "Replace this question"` (as `deckgen new "Topic"` writes it).
    Passes: `q: "Which company built MindSpore?"`.
    """
    for card in data.cards:
        for key, text in (("q", card.front), ("a", card.back)):
            if text.strip() in PLACEHOLDERS:
                yield card, at(card, key), f"card '{card.id}' still has the example text from deckgen new: replace it"
                break


RULE = Rule("placeholder-text", check)
