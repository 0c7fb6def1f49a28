"""near-duplicate-question: a question that is another one with words added or reordered."""

from __future__ import annotations

import functools
import math
import operator
from collections import Counter, defaultdict
from typing import Collection, Iterator, Sequence

from deckgen.lint.base import Finding, LintInput, Rule, by_top_deck, shown_at
from deckgen.project.config import LintSettings, Option

SIMILARITY = Option("near-duplicate-similarity", float, 0.8, 0.5, 1.0)
_ARTICLES = frozenset({"a", "an", "the"})
# Up to this many hash lookups per question, nothing is counted to choose the cheaper search.
_FEW_LOOKUPS = 128


def contained_pairs(sets: Sequence[Collection[str]], ratio: float) -> Iterator[tuple[int, int]]:
    """Yield (i, j) where sets[i] is within sets[j] and has at least `ratio` of its members.

    A set may be given as a tuple of distinct members: a tuple takes a fifth of a frozenset's
    memory, and a deck's index is held whole while it is searched.

    Equal sets are yielded once, in index order; pairs come by j, then i, both ascending. A set
    within sets[j] is sets[j] less a few members (at most its size less `ratio` of it), so each
    set either looks up every such smaller set by a hash of its members, or, when that would
    be more lookups, compares itself with the sets filed under its own members (each set is
    filed under its rarest member). Each set does whichever is cheaper: the work grows with the
    number of sets, not with how often their members recur (a small vocabulary), and every
    pair found is checked exactly.
    """
    signatures = [_signature(members) for members in sets]
    by_signature: dict[int, list[int]] = defaultdict(list)
    for i, signature in enumerate(signatures):
        if sets[i]:
            by_signature[signature].append(i)
    frequency = Counter(member for members in sets for member in members)
    by_rarest: dict[str, list[int]] = defaultdict(list)
    for i, members in enumerate(sets):
        if members:
            by_rarest[min(members, key=lambda m: (frequency[m], m))].append(i)
    sizes = [len(members) for members in sets]
    for j, members in enumerate(sets):
        smallest = math.ceil(ratio * sizes[j])  # the size a contained set must reach
        if not members or smallest > sizes[j]:
            continue
        larger = frozenset(members)
        lookups = _subset_count(sizes[j], sizes[j] - smallest, _FEW_LOOKUPS)
        found: list[int] | None = None
        if lookups > _FEW_LOOKUPS:
            # A contained set's rarest member is among the larger set's (size - smallest + 1) rarest.
            prefix = sorted(larger, key=lambda m: (frequency[m], m))[:sizes[j] - smallest + 1]
            comparisons = sum(len(by_rarest.get(member, ())) for member in prefix)
            if _subset_count(sizes[j], sizes[j] - smallest, comparisons) > comparisons:
                found = [i for member in prefix for i in by_rarest.get(member, ())
                         if smallest <= sizes[i] <= sizes[j] and i != j and larger.issuperset(sets[i])]
        if found is None:
            found = _by_signature(j, sets, larger, signatures[j], by_signature, sizes, smallest)
        for i in sorted(found):
            if sizes[i] < sizes[j] or i < j:
                yield i, j


def _signature(members: Collection[str]) -> int:
    """Hash a set so that the hash of a subset is this one with the removed members' hashes xor-ed out."""
    return functools.reduce(operator.xor, map(hash, members), 0)


def _subset_count(size: int, most_removed: int, limit: int) -> int:
    """Count the subsets of `size` members with up to `most_removed` removed; stop once above `limit`."""
    total = 0
    for removed in range(most_removed + 1):
        total += math.comb(size, removed)
        if total > limit:
            break
    return total


def _by_signature(j: int, sets: Sequence[Collection[str]], larger: frozenset[str], signature: int,
                  by_signature: dict[int, list[int]], sizes: list[int], smallest: int) -> list[int]:
    """Find the sets within sets[j] (`larger`) of at least `smallest` members by looking up each candidate's hash."""
    members = list(sets[j])
    hits: list[tuple[int, tuple[int, ...]]] = []  # (hash, members removed) of each subset some set has
    if signature in by_signature:
        hits.append((signature, ()))
    if sizes[j] > smallest:
        _remove_more(signature, [hash(member) for member in members], 0, (), sizes[j] - smallest, by_signature, hits)
    found: list[int] = []
    for value, removed in hits:
        for i in by_signature[value]:
            # Equal hashes can be a clash: check the set is exactly sets[j] less the removed members.
            if (i != j and sizes[i] == sizes[j] - len(removed) and larger.issuperset(sets[i])
                    and frozenset([members[n] for n in removed]).isdisjoint(sets[i])):
                found.append(i)
    return found


def _remove_more(value: int, hashes: list[int], start: int, removed: tuple[int, ...], more: int,
                 by_signature: dict[int, list[int]], hits: list[tuple[int, tuple[int, ...]]]) -> None:
    """Remove one more member (from `start` on) from the set hashed `value`; note the subsets some set has.

    A plain function, not a closure: a recursive closure is a reference cycle, garbage that only
    the cyclic collector (paused during a run) would free.
    """
    for n in range(start, len(hashes)):
        smaller = value ^ hashes[n]
        if smaller in by_signature:
            hits.append((smaller, removed + (n,)))
        if more == 2:  # the usual last level, looped here rather than called once per member
            for m in range(n + 1, len(hashes)):
                smallest = smaller ^ hashes[m]
                if smallest in by_signature:
                    hits.append((smallest, removed + (n, m)))
        elif more > 2:
            _remove_more(smaller, hashes, n + 1, removed + (n,), more - 1, by_signature, hits)


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
        # One string object per distinct word: tens of thousands of questions share a few words.
        vocabulary: dict[str, str] = {}
        words = [tuple(dict.fromkeys([vocabulary.setdefault(w, w) for w in p.normal.split() if w not in _ARTICLES]))
                 for p in prompts]
        texts = [p.normal for p in prompts]
        reported: set[int] = set()
        for i, j in contained_pairs(words, settings.value(SIMILARITY)):
            first, later = sorted((i, j), key=lambda n: prompts[n].location)
            if texts[i] == texts[j] or prompts[i].card is prompts[j].card or later in reported:
                continue  # exact duplicates have their own rule; a card's siblings are meant to be alike
            added = frozenset(words[i]) ^ frozenset(words[j])
            reported.add(later)
            difference = f"apart from '{' '.join(sorted(added))}'" if added else "in another word order"
            yield prompts[later].card, prompts[later].location, (
                f"the same question as {shown_at(prompts[first])}, {difference}")


RULE = Rule("near-duplicate-question", check, (SIMILARITY,))
