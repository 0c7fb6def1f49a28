"""The card-quality rules of `deckgen lint`, one function each; a rule's docstring is its documentation.

A rule reads the cards and their questions (`LintInput`) and yields findings: the card the finding
is about (its `nolint` list can silence it), where to point, and a message. Codes are stable.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Iterator

from deckgen.cardview import cloze_answers
from deckgen.config import LintSettings
from deckgen.model import Card
from deckgen.problems import Location
from deckgen.render import cloze_ordinals


@dataclass(frozen=True)
class LintCard:
    """A validated card, the places its keys were written, and the rules it switches off."""

    card: Card
    places: dict[str, Location]  # key -> where its value starts
    nolint: frozenset[str]

    def at(self, key: str) -> Location:
        """Point at a key's value, or at the card when the key is absent."""
        return self.places.get(key, self.card.location)


@dataclass(frozen=True)
class Prompt:
    """One card as studied: the question its front shows and the answers it asks for."""

    card: LintCard
    ordinal: int
    question: str
    answers: tuple[str, ...]
    location: Location

    @cached_property
    def normal(self) -> str:
        """The question normalised for comparison (computed once, used by several rules)."""
        return normalize(self.question)


@dataclass(frozen=True)
class LintInput:
    """Everything the rules look at, from every card file of the project."""

    cards: tuple[LintCard, ...]
    prompts: tuple[Prompt, ...]


Finding = tuple[LintCard, Location, str]
Rule = Callable[[LintInput, LintSettings], Iterator[Finding]]
RULES: dict[str, Rule] = {}

_WORD = re.compile(r"\w+")
# A CJK character is about a word; other words are runs of non-space characters.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_COUNTED_WORD = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+")
_HAS_CJK = re.compile(f"[{_CJK}]")
_PARENTHESES = re.compile(r"\([^()]*\)|（[^（）]*）")
_DELETION = re.compile(r"\{\{c\d+::")
_ARTICLES = frozenset({"a", "an", "the"})


def rule(code: str) -> Callable[[Rule], Rule]:
    """Register a rule under its stable code."""
    def register(function: Rule) -> Rule:
        RULES[code] = function
        return function
    return register


def normalize(text: str) -> str:
    """Reduce text to lower-case words, so spacing, case and punctuation do not matter."""
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def count_words(text: str) -> int:
    """Count words; each CJK character counts as one."""
    return len(_COUNTED_WORD.findall(text))


def _shown_at(prompt: Prompt) -> str:
    card = prompt.card.card
    return f"card '{card.id}' at {card.location}"


def _groups(prompts: tuple[Prompt, ...]) -> dict[str, list[Prompt]]:
    """Split questions by top-level deck: a package is what gets studied together."""
    by_deck: dict[str, list[Prompt]] = defaultdict(list)
    for prompt in prompts:
        by_deck[prompt.card.card.top_deck].append(prompt)
    return by_deck


@rule("duplicate-question")
def duplicate_question(data: LintInput, settings: LintSettings) -> Iterator[Finding]:
    """Warn when two cards of one top-level deck ask the same question.

    Questions are compared as shown on the card's front (a cloze card's with its deletion hidden,
    a reverse card's is the answer), ignoring case, spacing and punctuation. The later card is
    reported, pointing at the first.

    Warns: `q: "Who built MXNet?"` in one card and `q: "who built  MXNet"` in another.
    Passes: `q: "Who built MXNet?"` and `q: "Who built MNN?"`.
    """
    for prompts in _groups(data.prompts).values():
        first: dict[str, Prompt] = {}
        for prompt in prompts:
            key = prompt.normal
            earlier = first.setdefault(key, prompt)
            if earlier is not prompt and earlier.card is not prompt.card and key:
                yield prompt.card, prompt.location, f"the same question as {_shown_at(earlier)}"


def contained_pairs(sets: list[frozenset[str]], ratio: float) -> Iterator[tuple[int, int]]:
    """Yield (i, j) where sets[i] is within sets[j] and has at least `ratio` of its members.

    Each set is indexed under its rarest member only; a set within another shares that member,
    so each set is compared with the few sets filed under its own members, never with all.
    Equal sets are yielded once, in index order.
    """
    frequency = Counter(member for members in sets for member in members)
    sizes = [len(members) for members in sets]
    by_rarest: dict[str, list[int]] = defaultdict(list)
    for i, members in enumerate(sets):
        if members:
            by_rarest[min(members, key=lambda m: (frequency[m], m))].append(i)
    for j, larger in enumerate(sets):
        least = ratio * sizes[j]
        for member in larger:
            for i in by_rarest.get(member, ()):
                if least <= sizes[i] <= sizes[j] and i != j and sets[i] <= larger and (sizes[i] < sizes[j] or i < j):
                    yield i, j


@rule("near-duplicate-question")
def near_duplicate_question(data: LintInput, settings: LintSettings) -> Iterator[Finding]:
    """Warn when a question is another one of its top-level deck with words added or reordered.

    Two questions are near-duplicates when one's words (ignoring case, punctuation and articles)
    include all of the other's, and the shorter has at least `near-duplicate-similarity`
    (default 0.8) of the longer's words. Questions that differ by a swapped word (another
    framework, another year) are different questions and never match. The later card is reported.

    Warns: `q: "Which company built TensorFlow?"` and `q: "Which company built the TensorFlow framework?"`.
    Passes: `q: "Which company built TensorFlow?"` and `q: "Which company built PyTorch?"`.
    """
    for prompts in _groups(data.prompts).values():
        words = [frozenset(p.normal.split()) - _ARTICLES for p in prompts]
        texts = [p.normal for p in prompts]
        reported: set[int] = set()
        for i, j in contained_pairs(words, settings.near_duplicate_similarity):
            first, later = sorted((i, j), key=lambda n: prompts[n].location)
            if texts[i] == texts[j] or prompts[i].card is prompts[j].card or later in reported:
                continue  # exact duplicates have their own rule; a card's siblings are meant to be alike
            added = words[i] ^ words[j]
            reported.add(later)
            difference = f"apart from '{' '.join(sorted(added))}'" if added else "in another word order"
            yield prompts[later].card, prompts[later].location, (
                f"the same question as {_shown_at(prompts[first])}, {difference}")


def _contains(question: str, answer: str) -> bool:
    """Tell whether an answer appears in a question, as whole words unless it is CJK text."""
    if _HAS_CJK.search(answer):
        return answer in question
    return f" {answer} " in f" {question} "


@rule("answer-in-question")
def answer_in_question(data: LintInput, settings: LintSettings) -> Iterator[Finding]:
    """Warn when a card's front already shows the answer it asks for.

    The answer is looked for with and without its parenthesised parts, as whole words (CJK text
    as a substring). For cloze cards, the hidden text must not appear elsewhere in the front.

    Warns: `q: "Which company built Google's TensorFlow?"` with `a: "Google"`.
    Passes: `q: "Which company built TensorFlow?"` with `a: "Google"`.
    """
    for prompt in data.prompts:
        question = prompt.normal
        for answer in prompt.answers:
            variants = {normalize(answer), normalize(_PARENTHESES.sub(" ", answer))}
            shown = [v for v in variants if len(v) > 1 and _contains(question, v)]
            if shown:
                yield prompt.card, prompt.location, f"the question contains its answer '{max(shown, key=len)}'"
                break


@rule("answer-too-long")
def answer_too_long(data: LintInput, settings: LintSettings) -> Iterator[Finding]:
    """Warn about an answer longer than `max-answer-words` words (default 15).

    Long answers are hard to recall and to grade honestly; split the card or move detail to
    `extra`. Each cloze deletion counts as an answer; each CJK character counts as a word.
    Parenthesised parts do not count: they gloss the answer (an original-language name, a
    reading) rather than add to what must be recalled.

    Warns: `a: "Because the graph compiler fuses operators, schedules memory, ..."` (16+ words).
    Passes: `a: "Operator fusion"`.
    """
    limit = settings.max_answer_words
    for card in data.cards:
        answers = [card.card.back] if card.card.kind == "basic" else deletion_texts(card.card.text)
        for answer in answers:
            words = count_words(_PARENTHESES.sub(" ", answer))
            if words > limit:
                where = card.at("a" if card.card.kind == "basic" else "cloze")
                yield card, where, f"the answer has {words} words; keep answers to {limit} or fewer"
                break


def deletion_texts(text: str) -> list[str]:
    """Return what every deletion of a cloze text hides."""
    return [answer for ordinal in cloze_ordinals(text) for answer in cloze_answers(text, ordinal)]


@rule("too-many-deletions")
def too_many_deletions(data: LintInput, settings: LintSettings) -> Iterator[Finding]:
    """Warn about a cloze text with more than `max-cloze-deletions` deletions (default 3).

    Every `{{cN::...}}` counts, whatever its number. Many gaps in one sentence make cards that
    are answered by elimination; split the text.

    Warns: `cloze: "{{c1::a}}, {{c2::b}}, {{c3::c}} and {{c4::d}}"`.
    Passes: `cloze: "{{c1::a}}, {{c2::b}} and {{c3::c}}"`.
    """
    limit = settings.max_cloze_deletions
    for card in data.cards:
        count = len(_DELETION.findall(card.card.text))
        if count > limit:
            yield card, card.at("cloze"), f"the cloze text has {count} deletions; keep to {limit} or fewer"


@rule("missing-topic-tag")
def missing_topic_tag(data: LintInput, settings: LintSettings) -> Iterator[Finding]:
    """Warn about a card with no tag at all, from its file or its own `tags`.

    Tags are how you find and study a topic across decks in Anki.

    Warns: a file without `tags:` whose card has none either.
    Passes: `tags: [frameworks::makers]` on the file or the card.
    """
    for card in data.cards:
        if not card.card.tags:
            yield card, card.card.location, f"card '{card.card.id}' has no tag; add a topic tag to it or its file"


@rule("missing-source")
def missing_source(data: LintInput, settings: LintSettings) -> Iterator[Finding]:
    """Warn about a card with no `source`, from its file or its own.

    A source lets you check a fact later, and is shown on the back of the card.

    Warns: a file without `source:` whose card has none either.
    Passes: `source: "Study notes, 2022-08-19"` on the file or the card.
    """
    for card in data.cards:
        if not card.card.source:
            yield card, card.card.location, f"card '{card.card.id}' has no source; add one to it or its file"
