"""near-duplicate-question: a question that is another one with words added or reordered."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Iterator

from deckgen.lint.base import Finding, LintInput, Rule, by_top_deck, shown_at
from deckgen.project.config import LintSettings, Option

SIMILARITY = Option("near-duplicate-similarity", float, 0.8, 0.5, 1.0)
_ARTICLES = frozenset({"a", "an", "the"})


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


def check(data: LintInput, settings: LintSettings) -> Iterator[Finding]:
    """Warn when a question is another one of its top-level deck with words added or reordered.

    Two questions are near-duplicates when one's words (ignoring case, punctuation and articles)
    include all of the other's, and the shorter has at least `near-duplicate-similarity`
    (default 0.8) of the longer's words. Questions that differ by a swapped word (another
    framework, another year) are different questions and never match. The later card is reported.

    Warns: `q: "Which company built TensorFlow?"` and `q: "Which company built the TensorFlow framework?"`.
    Passes: `q: "Which company built TensorFlow?"` and `q: "Which company built PyTorch?"`.
    """
    for prompts in by_top_deck(data.prompts).values():
        words = [frozenset(p.normal.split()) - _ARTICLES for p in prompts]
        texts = [p.normal for p in prompts]
        reported: set[int] = set()
        for i, j in contained_pairs(words, settings.value(SIMILARITY)):
            first, later = sorted((i, j), key=lambda n: prompts[n].location)
            if texts[i] == texts[j] or prompts[i].card is prompts[j].card or later in reported:
                continue  # exact duplicates have their own rule; a card's siblings are meant to be alike
            added = words[i] ^ words[j]
            reported.add(later)
            difference = f"apart from '{' '.join(sorted(added))}'" if added else "in another word order"
            yield prompts[later].card, prompts[later].location, (
                f"the same question as {shown_at(prompts[first])}, {difference}")


RULE = Rule("near-duplicate-question", check, (SIMILARITY,))
