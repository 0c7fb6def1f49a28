"""What lint rules share: the questions cards ask, how text is compared, and the rule registry.

A rule reads the cards and their questions (`LintInput`) and yields findings: the card a
finding is about (its `nolint` list can silence it), where to point, and a message. Codes are
stable; a rule's docstring is its documentation, with an example that warns and one that passes.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Iterator, NamedTuple

from deckgen import cloze
from deckgen.model import Card
from deckgen.problems import Location
from deckgen.project.config import LintSettings, Option

_WORD = re.compile(r"\w+")
# A CJK character is about a word; other words are runs of non-space characters.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_COUNTED_WORD = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+")
HAS_CJK = re.compile(f"[{_CJK}]")
PARENTHESES = re.compile(r"\([^()]*\)|（[^（）]*）")
_TAG = re.compile(r"<[^>]*>")
# Which card attribute holds the value of each card key, to point at it.
_ATTRIBUTE = {"q": "front", "a": "back", "cloze": "text"}


def at(card: Card, key: str) -> Location:
    """Point at a card key's value, or at the card when it has none."""
    return card.field_location(_ATTRIBUTE.get(key, key))


class Prompt(NamedTuple):
    """One card as studied: the question its front shows and the answers it asks for.

    A tuple, with where it points worked out only when a message needs it: a large deck makes
    a hundred thousand of them.
    """

    card: Card
    ordinal: int
    question: str
    answers: tuple[str, ...]
    key: str  # the card key its question is written under
    normal: str  # the question normalised for comparison (used by several rules)

    @property
    def location(self) -> Location:
        """Where the question is written."""
        return at(self.card, self.key)


@dataclass(frozen=True)
class LintInput:
    """Everything the rules look at, from every card file of the project."""

    cards: tuple[Card, ...]
    prompts: tuple[Prompt, ...]


Finding = tuple[Card, Location, str]
Check = Callable[[LintInput, LintSettings], Iterator[Finding]]


@dataclass(frozen=True)
class Rule:
    """A lint rule: its stable code, its check, and the settings it reads from `[lint]`."""

    code: str
    check: Check
    options: tuple[Option, ...] = ()

    @property
    def documentation(self) -> str:
        """The rule's user documentation: its check's docstring."""
        return self.check.__doc__ or ""


def normalize(text: str) -> str:
    """Reduce text to lower-case words, so spacing, case and punctuation do not matter."""
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def count_words(text: str) -> int:
    """Count words; each CJK character counts as one."""
    return len(_COUNTED_WORD.findall(text))


def shown_at(prompt: Prompt) -> str:
    """Name a prompt's card and where it is, for messages that point at another card."""
    return f"card '{prompt.card.id}' at {prompt.card.location}"


def by_top_deck(prompts: tuple[Prompt, ...]) -> dict[str, list[Prompt]]:
    """Split questions by top-level deck: a package is what gets studied together."""
    groups: dict[str, list[Prompt]] = defaultdict(list)
    for prompt in prompts:
        groups[prompt.card.top_deck].append(prompt)
    return groups


def _plain(markup: str) -> str:
    import html

    return html.unescape(_TAG.sub(" ", markup))


def prompts_of(card: Card) -> list[Prompt]:
    """List the questions a card asks, one per card Anki will make (none for fields by name)."""
    if card.named_fields:
        return []  # which field is the question depends on the note type's templates
    if card.kind == "cloze":
        return [Prompt(card, ordinal, question, answers, "cloze", normalize(question))
                for ordinal, question, answers in _cloze_cards(card.text)]
    prompts = [Prompt(card, 0, card.front, (card.back,), "q", normalize(card.front))]
    if card.reverse:
        prompts.append(Prompt(card, 1, card.back, (card.front,), "a", normalize(card.back)))
    return prompts


# Rules read each cloze card after prompts_of did: room for every cloze text of a large project,
# bounded so that a long `watch` does not keep old texts forever.
@functools.lru_cache(maxsize=1 << 17)
def _cloze_cards(text: str) -> tuple[tuple[int, str, tuple[str, ...]], ...]:
    """Each card of a cloze text as (ordinal, question as plain text, answers); kept for the next rule."""
    return tuple((ordinal, _plain(cloze.render(text, ordinal, question=True)), tuple(cloze.answers(text, ordinal)))
                 for ordinal in cloze.ordinals(text))


def forget_cloze_cards() -> None:
    """Let go of the cloze cards kept for the rules: the engine is done with a deck's."""
    _cloze_cards.cache_clear()


def deletion_texts(text: str) -> list[str]:
    """Return what every deletion of a cloze text hides."""
    return [answer for _, _, answers in _cloze_cards(text) for answer in answers]
