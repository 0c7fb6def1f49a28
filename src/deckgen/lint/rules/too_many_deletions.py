"""too-many-deletions: a cloze text with more than `max-cloze-deletions` deletions."""

from __future__ import annotations

from typing import Iterator

from deckgen import cloze
from deckgen.lint.base import Finding, LintInput, Rule, at
from deckgen.project.config import LintSettings, Option

MAX_DELETIONS = Option("max-cloze-deletions", int, 3, 1, 1_000)


def check(data: LintInput, settings: LintSettings) -> Iterator[Finding]:
    """Warn about a cloze text with more than `max-cloze-deletions` deletions (default 3).

    Every `{{cN::...}}` counts, whatever its number. Many gaps in one sentence make cards that
    are answered by elimination; split the text.

    Warns: `cloze: "{{c1::a}}, {{c2::b}}, {{c3::c}} and {{c4::d}}"`.
    Passes: `cloze: "{{c1::a}}, {{c2::b}} and {{c3::c}}"`.
    """
    limit = settings.value(MAX_DELETIONS)
    for card in data.cards:
        count = cloze.count(card.text)
        if count > limit:
            yield card, at(card, "cloze"), f"the cloze text has {count} deletions; keep to {limit} or fewer"


RULE = Rule("too-many-deletions", check, (MAX_DELETIONS,))
