"""missing-source: a card with no `source`."""

from __future__ import annotations

from typing import Iterator

from deckgen.lint.base import Finding, LintInput, Rule
from deckgen.project.config import LintSettings


def check(data: LintInput, settings: LintSettings) -> Iterator[Finding]:
    """Warn about a card with no `source`, from its file or its own.

    A source lets you check a fact later, and is shown on the back of the card. Cards of a
    note type from notetypes/ are not checked: such a type has no Source field of deckgen's.

    Warns: a file without `source:` whose card has none either.
    Passes: `source: "Study notes, 2022-08-19"` on the file or the card.
    """
    for card in data.cards:
        if not card.source and card.notetype is None:
            yield card, card.location, f"card '{card.id}' has no source; add one to it or its file"


RULE = Rule("missing-source", check)
