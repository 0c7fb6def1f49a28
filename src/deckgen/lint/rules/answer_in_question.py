"""answer-in-question: a front that already shows its answer."""

from __future__ import annotations

from typing import Iterator

from deckgen.lint.base import HAS_CJK, PARENTHESES, Finding, LintInput, Rule, normalize
from deckgen.project.config import LintSettings


def _contains(question: str, answer: str) -> bool:
    """Tell whether an answer appears in a question, as whole words unless it is CJK text."""
    if HAS_CJK.search(answer):
        return answer in question
    return f" {answer} " in f" {question} "


def check(data: LintInput, settings: LintSettings) -> Iterator[Finding]:
    """Warn when a card's front already shows the answer it asks for.

    The answer is looked for with and without its parenthesised parts, as whole words (CJK text
    as a substring). For cloze cards, the hidden text must not appear elsewhere in the front.

    Warns: `q: "Which company built Google's TensorFlow?"` with `a: "Google"`.
    Passes: `q: "Which company built TensorFlow?"` with `a: "Google"`.
    """
    for prompt in data.prompts:
        question = prompt.normal
        for answer in prompt.answers:
            variants = {normalize(answer), normalize(PARENTHESES.sub(" ", answer))}
            shown = [v for v in variants if len(v) > 1 and _contains(question, v)]
            if shown:
                yield prompt.card, prompt.location, f"the question contains its answer '{max(shown, key=len)}'"
                break


RULE = Rule("answer-in-question", check)
