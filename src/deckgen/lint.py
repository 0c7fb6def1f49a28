"""`deckgen lint`: card-quality warnings, each located, each switchable per card or per project.

Rules live in `lintrules`. A card turns rules off with `nolint: [code, ...]`; a project with
`[lint] disable = [...]` in `deckgen.toml`. Warnings never fail a build; `--strict` fails on them.
"""

from __future__ import annotations

import bisect
import difflib
import html
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from deckgen.cardview import cloze_answers, render_cloze
from deckgen.compile import ParsedFile, parse_files
from deckgen.config import LintSettings, default_config_path, read_config
from deckgen.lintrules import RULES, LintCard, LintInput, Prompt
from deckgen.model import Card
from deckgen.problems import Location, Problem, has_errors, sorted_problems, warning
from deckgen.render import cloze_ordinals
from deckgen.sources import read_sources
from deckgen.yamlread import Mapping, Node, Scalar, Sequence

KNOWN_CODES = frozenset(RULES)
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class LintReport:
    """Validation errors and lint warnings, and how many cards were checked."""

    problems: tuple[Problem, ...]
    cards: int
    strict: bool = False

    @property
    def failed(self) -> bool:
        return has_errors(self.problems) or (self.strict and bool(self.problems))


def _card_nodes(root: Node) -> dict[tuple[int, int], Mapping]:
    """Index a file's card mappings by position, which is where each Card says it starts."""
    for key, value in root.items if isinstance(root, Mapping) else ():
        if key.value == "cards" and isinstance(value, Sequence):
            return {(item.line, item.col): item for item in value.items if isinstance(item, Mapping)}
    return {}


def _nolint(node: Mapping, path: str) -> tuple[frozenset[str], list[Problem]]:
    """Read a card's `nolint` list, warning about codes no rule has."""
    codes: set[str] = set()
    problems = []
    for key, value in node.items:
        if key.value != "nolint" or not isinstance(value, Sequence):
            continue
        for item in value.items:
            if not isinstance(item, Scalar):
                continue  # validation reports it
            code = item.value.strip()
            codes.add(code)
            if code not in KNOWN_CODES:
                guess = difflib.get_close_matches(code, sorted(KNOWN_CODES), n=1, cutoff=0.6)
                hint = f"; did you mean '{guess[0]}'?" if guess else f"; known rules: {', '.join(sorted(KNOWN_CODES))}"
                problems.append(warning(Location(path, item.line, item.col), "unknown-lint-rule",
                                        f"no lint rule is called '{code}'{hint}"))
    return frozenset(codes), problems


def lint_cards(files: list[ParsedFile]) -> tuple[list[LintCard], list[Problem]]:
    """Pair each validated card with the positions of its keys and its `nolint` list."""
    cards: list[LintCard] = []
    problems: list[Problem] = []
    for file in files:
        nodes = _card_nodes(file.root)
        for card in file.cards.cards:
            node = nodes[(card.location.line, card.location.col)]
            places = {key.value: Location(file.source.display, value.line, value.col) for key, value in node.items}
            nolint, found = _nolint(node, file.source.display)
            problems.extend(found)
            cards.append(LintCard(card, places, nolint))
    return cards, problems


def _plain(markup: str) -> str:
    return html.unescape(_TAG.sub(" ", markup))


def prompts_of(card: LintCard) -> list[Prompt]:
    """List the questions a card's notes ask, one per card Anki will make."""
    c = card.card
    if c.kind == "cloze":
        return [Prompt(card, ordinal, _plain(render_cloze(c.text, ordinal, question=True)),
                       tuple(cloze_answers(c.text, ordinal)), card.at("cloze"))
                for ordinal in cloze_ordinals(c.text)]
    prompts = [Prompt(card, 0, c.front, (c.back,), card.at("q"))]
    if c.reverse:
        prompts.append(Prompt(card, 1, c.back, (c.front,), card.at("a")))
    return prompts


def lint(files: list[ParsedFile], settings: LintSettings) -> list[Problem]:
    """Run every enabled rule over the validated cards and keep what no `nolint` silences."""
    cards, problems = lint_cards(files)
    data = LintInput(tuple(cards), tuple(prompt for card in cards for prompt in prompts_of(card)))
    for code, check in RULES.items():
        if code in settings.disable:
            continue
        for card, where, message in check(data, settings):
            if code not in card.nolint:
                problems.append(warning(where, code, message))
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


def run_lint(cards_dir: Path, config_path: Path | None = None, *, strict: bool = False) -> LintReport:
    """Validate the card folder and lint every card that is valid."""
    config, problems = read_config(config_path or default_config_path(cards_dir), KNOWN_CODES)
    sources, found = read_sources(cards_dir)
    problems += found
    files, found = parse_files(sources)
    problems += found
    problems += lint(files, config.lint)
    cards = sum(len(file.cards.cards) for file in files)
    return LintReport(tuple(sorted_problems(problems)), cards, strict)
