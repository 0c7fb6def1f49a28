"""answer-too-long: an answer (or cloze deletion) longer than `max-answer-words` words."""

from __future__ import annotations

from typing import Iterator

from deckgen.lint.base import PARENTHESES, Finding, LintInput, Rule, at, count_words, deletion_texts
from deckgen.project.config import LintSettings, Option

MAX_WORDS = Option("max-answer-words", int, 15, 1, 10_000)


def check(data: LintInput, settings: LintSettings) -> Iterator[Finding]:
    """Warn about an answer longer than `max-answer-words` words (default 15).

    Long answers are hard to recall and to grade honestly; split the card or move detail to
    `extra`. Each cloze deletion counts as an answer; each CJK character counts as a word.
    Parenthesised parts do not count: they gloss the answer (an original-language name, a
    reading) rather than add to what must be recalled.

    Warns: `a: "Because the graph compiler fuses operators, schedules memory, ..."` (16+ words).
    Passes: `a: "Operator fusion"`.
    """
    limit = settings.value(MAX_WORDS)
    for card in data.cards:
        answers = [card.back] if card.kind == "basic" else deletion_texts(card.text)
        for answer in answers:
            words = count_words(PARENTHESES.sub(" ", answer))
            if words > limit:
                yield card, at(card, "a" if card.kind == "basic" else "cloze"), \
                    f"the answer has {words} words; keep answers to {limit} or fewer"
                break


RULE = Rule("answer-too-long", check, (MAX_WORDS,))
