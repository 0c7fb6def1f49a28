"""duplicate-question: two cards of one top-level deck asking the same question."""

from __future__ import annotations

from typing import Iterator

from deckgen.lint.base import Finding, LintInput, Prompt, Rule, by_top_deck, shown_at
from deckgen.project.config import LintSettings


def check(data: LintInput, settings: LintSettings) -> Iterator[Finding]:
    """Warn when two cards of one top-level deck ask the same question.

    Questions are compared as shown on the card's front (a cloze card's with its deletion hidden,
    a reverse card's is the answer), ignoring case, spacing and punctuation. The later card is
    reported, pointing at the first.

    Warns: `q: "Who built MXNet?"` in one card and `q: "who built  MXNet"` in another.
    Passes: `q: "Who built MXNet?"` and `q: "Who built MNN?"`.
    """
    for prompts in by_top_deck(data.prompts).values():
        first: dict[str, Prompt] = {}
        for prompt in prompts:
            key = prompt.normal
            earlier = first.setdefault(key, prompt)
            if earlier is not prompt and earlier.card is not prompt.card and key:
                yield prompt.card, prompt.location, f"the same question as {shown_at(earlier)}"


RULE = Rule("duplicate-question", check)
