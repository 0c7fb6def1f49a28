"""Run the lint rules over validated cards, and keep what no `nolint` silences.

A card turns rules off with `nolint: [code, ...]`; a project with `[lint] disable = [...]` in
`deckgen.toml`. Warnings never fail a build; `deckgen lint --strict` fails on them.
"""

from __future__ import annotations

import bisect
import difflib
from collections import defaultdict
from typing import Iterable

from deckgen.lint.base import LintInput, forget_cloze_cards, prompts_of
from deckgen.lint.rules import RULES
from deckgen.model import Card
from deckgen.problems import Location, Problem, warning
from deckgen.project.config import LintSettings


# Up to this many cards, a project's cloze cards are kept for the next run (`watch` lints again on
# every save: about 15% of its lint time at 10k cards); a larger one's go after each deck.
KEPT_CARDS = 20_000


def _unknown_codes(cards: Iterable[Card]) -> list[Problem]:
    """Warn about `nolint` codes no rule has."""
    problems = []
    for card in cards:
        for code, line, col in card.nolint:
            if code in RULES:
                continue
            guess = difflib.get_close_matches(code, sorted(RULES), n=1, cutoff=0.6)
            hint = f"; did you mean '{guess[0]}'?" if guess else f"; known rules: {', '.join(sorted(RULES))}"
            problems.append(warning(Location(card.location.path, line, col), "unknown-lint-rule",
                                    f"no lint rule is called '{code}'{hint}"))
    return problems


def lint_cards(cards: Iterable[Card], settings: LintSettings) -> list[Problem]:
    """Run every enabled rule over the cards; return the warnings no `nolint` silences.

    The rules see one top-level deck at a time (no rule compares cards of two packages), so
    only one deck's questions and search indexes are held at once.
    """
    decks: dict[str, list[Card]] = defaultdict(list)
    for card in cards:
        decks[card.top_deck].append(card)
    problems = []
    large = sum(map(len, decks.values())) > KEPT_CARDS
    for deck in decks.values():
        problems += _unknown_codes(deck)
        data = LintInput(tuple(deck), tuple(prompt for card in deck for prompt in prompts_of(card)))
        for code, rule in RULES.items():
            if code in settings.disable:
                continue
            for card, where, message in rule.check(data, settings):
                if code not in card.disabled_rules:
                    problems.append(warning(where, code, message))
        del data  # before the next deck's questions are made
        if large:
            forget_cloze_cards()
    return problems


def warnings_by_card(problems: Iterable[Problem], cards: Iterable[Card]) -> dict[str, list[Problem]]:
    """Assign each located warning to the card whose lines it is on (a card runs until the next)."""
    starts: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for card in cards:
        starts[card.location.path].append((card.location.line, card.key))
    for found in starts.values():
        found.sort()
    owned: dict[str, list[Problem]] = defaultdict(list)
    for problem in problems:
        found = starts.get(problem.location.path, [])
        index = bisect.bisect_right(found, (problem.location.line, "\uffff")) - 1
        if index >= 0:
            owned[found[index][1]].append(problem)
    return dict(owned)
