"""The lint rules, one module each; `RULES` lists them by code, in the order they run."""

from __future__ import annotations

from deckgen.lint.base import Rule
from deckgen.lint.rules import (
    answer_in_question,
    answer_too_long,
    duplicate_question,
    missing_source,
    missing_topic_tag,
    near_duplicate_question,
    placeholder_text,
    too_many_deletions,
)

RULES: dict[str, Rule] = {
    module.RULE.code: module.RULE
    for module in (duplicate_question, near_duplicate_question, answer_in_question, answer_too_long,
                   too_many_deletions, missing_topic_tag, missing_source, placeholder_text)
}
