"""Lint rules by case files: each folder under lint_cases/ is a project and the warnings it must give."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deckgen.lint.rules import RULES

from conftest import Project

CASES = Path(__file__).parent / "lint_cases"
_LOCATED = re.compile(r"^(.+?):(\d+):\d+: (?:warning|error): .* \(([a-z0-9-]+)\)$")


def _located(stderr: str) -> list[str]:
    """Reduce output lines to `path:line: code`, the form expected.txt uses."""
    found = []
    for line in stderr.splitlines():
        match = _LOCATED.match(line)
        if match:
            found.append(f"{match.group(1)}:{match.group(2)}: {match.group(3)}")
    return sorted(found)


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir()))
def test_lint_case(case: str, tmp_path: Path) -> None:
    root = tmp_path / case
    shutil.copytree(CASES / case, root)
    expected = sorted((root / "expected.txt").read_text(encoding="utf-8").splitlines())

    result = Project(root).run("lint")

    assert _located(result.stderr) == expected
    has_errors = ": error: " in result.stderr
    assert result.exit_code == (1 if has_errors else 0)
    strict = Project(root).run("lint", "--strict")
    assert strict.exit_code == (1 if expected else 0)


def test_every_rule_has_a_case_and_a_documented_example() -> None:
    covered = {line.split(": ")[-1] for case in CASES.iterdir() for line in (case / "expected.txt").read_text().splitlines()}
    for code, rule in RULES.items():
        assert code in covered, code
        doc = rule.documentation
        assert "Warns:" in doc and "Passes:" in doc, code
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", code)


def test_lint_json_and_quiet_output(project) -> None:
    project.write("a.yaml", "deck: D\ncards:\n  - id: x\n    q: Who built Google's JAX?\n    a: Google\n")
    result = project.run("lint", "--format", "json")
    document = json.loads(result.stdout)
    assert document["command"] == "lint" and document["ok"] and document["warnings"] == 3
    assert {"path": "cards/a.yaml", "line": 4, "col": 8, "severity": "warning", "code": "answer-in-question",
            "message": "the question contains its answer 'google'"} in document["problems"]
    assert document["summary"] == {"notes": 1, "cards": 1, "strict": False}
    quiet = project.run("lint", "-q")
    assert quiet.stdout == "" and quiet.stderr.count("\n") == 3  # no count line


def test_clean_cards_say_so_and_bad_cards_fail(project) -> None:
    shutil.copytree(CASES / "clean" / "cards", project.cards, dirs_exist_ok=True)
    result = project.run("lint")
    assert result.exit_code == 0 and result.stdout == "no lint warnings in 3 notes (7 cards)\n"
    project.write("bad.yaml", "deck: D\ncards:\n  - id: x\n    q: only\n")
    result = project.run("lint")
    assert result.exit_code == 1 and "error: card 'x' is missing 'a'" in result.stderr


def test_nolint_must_be_a_list(project) -> None:
    project.write("a.yaml", "deck: D\ncards:\n  - id: x\n    q: Q?\n    a: A\n    nolint: answer-too-long\n")
    result = project.run("build")
    assert result.exit_code == 1
    assert "cards/a.yaml:6:13: error: 'nolint' must be a list of texts" in result.stderr


def test_settings_syntax_error_is_located() -> None:
    from deckgen.project.config import parse_config

    from deckgen.lint.rules.answer_too_long import MAX_WORDS

    config = parse_config("[lint]\nmax-answer-words = = 3\n", "deckgen.toml", {c: r.options for c, r in RULES.items()})
    assert [(str(p.location), p.code) for p in config.problems] == [("deckgen.toml:2:20", "config-syntax")]
    assert config.lint.value(MAX_WORDS) == 15  # defaults stand in


def test_contained_pairs_finds_exactly_what_comparing_every_pair_finds() -> None:
    import random

    from deckgen.lint.rules.near_duplicate_question import contained_pairs

    rng = random.Random(5)
    words = [f"w{n}" for n in range(12)]
    sets = [frozenset(rng.sample(words, rng.randint(1, 6))) for _ in range(400)]
    brute = {(i, j) for i in range(len(sets)) for j in range(len(sets))
             if i != j and sets[i] <= sets[j] and len(sets[i]) >= 0.6 * len(sets[j])
             and (len(sets[i]) < len(sets[j]) or i < j)}
    found = list(contained_pairs(sets, 0.6))
    assert len(found) == len(set(found)) and set(found) == brute and len(brute) > 100


def _all_pairs(sets: list[frozenset[str]], ratio: float) -> list[tuple[int, int]]:
    """The pairs contained_pairs must find, by comparing every set with every other, in its order."""
    return sorted(((i, j) for j in range(len(sets)) for i in range(len(sets))
                   if i != j and sets[i] and sets[i] <= sets[j] and len(sets[i]) >= ratio * len(sets[j])
                   and (len(sets[i]) < len(sets[j]) or i < j)), key=lambda pair: (pair[1], pair[0]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.frozensets(st.sampled_from("abcdefgh"), max_size=8), max_size=40),
       st.sampled_from([0.5, 0.6, 0.75, 0.8, 0.9, 1.0]))
def test_contained_pairs_equals_all_pairs_over_a_small_vocabulary(sets: list[frozenset[str]], ratio: float) -> None:
    from deckgen.lint.rules.near_duplicate_question import contained_pairs

    assert list(contained_pairs(sets, ratio)) == _all_pairs(sets, ratio)
    # The rule passes each set as a tuple of distinct words: the same pairs.
    assert list(contained_pairs([tuple(s) for s in sets], ratio)) == _all_pairs(sets, ratio)


def test_contained_pairs_with_few_words_and_long_sets_takes_both_paths() -> None:
    import random

    from deckgen.lint.rules.near_duplicate_question import contained_pairs

    # Three words only: every word is in most sets, so filing sets by their rarest word does not
    # spread them; long sets (up to 30 words of a 40-word vocabulary) make the hash lookups many.
    rng = random.Random(11)
    small = [frozenset(rng.sample("xyz", rng.randint(1, 3))) for _ in range(300)]
    vocabulary = [f"w{n}" for n in range(40)]
    long = [frozenset(rng.sample(vocabulary, rng.randint(20, 30))) for _ in range(60)]
    long += [frozenset(list(s)[:-1]) for s in long[:20]]  # contained in an earlier long set
    for sets in (small, long, small + long):
        for ratio in (0.5, 0.8):
            expected = _all_pairs(sets, ratio)
            assert list(contained_pairs(sets, ratio)) == expected
            assert list(contained_pairs([tuple(s) for s in sets], ratio)) == expected
    assert len(_all_pairs(long, 0.8)) >= 20


def test_warnings_belong_to_the_card_whose_lines_they_are_on() -> None:
    from deckgen.lint.engine import warnings_by_card
    from deckgen.model import Card
    from deckgen.problems import Location, warning

    cards = [Card("a", "basic", "D", Location("x.yaml", 3, 5)), Card("b", "basic", "D", Location("x.yaml", 9, 5)),
             Card("c", "basic", "D", Location("y.yaml", 3, 5))]
    found = [warning(Location(path, line, 8), "answer-too-long", "m")
             for path, line in [("x.yaml", 1), ("x.yaml", 3), ("x.yaml", 8), ("x.yaml", 9), ("x.yaml", 40), ("y.yaml", 4)]]
    owned = warnings_by_card(found, cards)
    assert {key: [p.location.line for p in ps] for key, ps in owned.items()} == {"D/a": [3, 8], "D/b": [9, 40], "D/c": [4]}


def test_linting_leaves_no_cyclic_garbage(project) -> None:
    """Lint runs with the cyclic collector paused, so a reference cycle it made would never be freed."""
    import gc

    from deckgen.commands.lint import lint_project
    from deckgen.pipeline import load_project
    from deckgen.project.paths import ProjectPaths

    questions = ["Which company built TensorFlow?", "Which company built the TensorFlow framework?",
                 "Which company first built the TensorFlow graph framework?", "Which company built PyTorch?"]
    cards = "".join(f"  - id: q{n}\n    q: \"{q}\"\n    a: Google\n" for n, q in enumerate(questions))
    project.write("a.yaml", "deck: D\ncards:\n" + cards + "  - id: c\n    cloze: \"{{c1::Paris}} is in {{c2::France}}\"\n")
    loaded = load_project(ProjectPaths.of(project.cards))
    gc.collect()
    gc.disable()
    try:
        warnings = lint_project(loaded)
        assert any(w.code == "near-duplicate-question" for w in warnings)
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_lint_reads_only_the_cards_and_finds_what_a_full_load_finds(project, monkeypatch) -> None:
    """Lint's load drops notes, lock entries and cache records, yet reports the same problems and counts."""
    from deckgen.commands.lint import _Counted, lint_project, run_lint
    from deckgen.pipeline import load_project
    from deckgen.problems import sorted_problems
    from deckgen.project.paths import ProjectPaths

    project.write("a.yaml", "deck: D::Sub\ntags: [t]\nsource: s\ncards:\n"
                  "  - id: x\n    q: Who built MXNet?\n    a: Amazon\n    reverse: true\n"
                  "  - id: y\n    q: Who built MXNet?\n    a: AWS\n"
                  "  - id: c\n    cloze: \"{{c1::Paris}} is in {{c2::France}}\"\n")
    project.write("b.yaml", "deck: E\ncards:\n  - id: x\n    q: Who built MXNet?\n    a: Amazon\n")
    assert project.run("build").exit_code == 0  # a lock file and a build cache to read
    project.write("c.yaml", "deck: D\ncards:\n  - id: x\n    q: Who built MXNet?\n    a: Amazon\n")  # a clash: an error
    lock = project.root / "deckgen.lock"
    lock.write_text(lock.read_text(encoding="utf-8") + "a damaged line\n", encoding="utf-8")
    monkeypatch.chdir(project.root)  # the build folder is found from there, as the command does
    paths = ProjectPaths.of(Path("cards"))

    full = load_project(paths)
    report = run_lint(Path("cards"))
    notes = list(full.notes)
    assert report.problems == tuple(sorted_problems([*full.problems, *lint_project(full)]))
    assert {p.code for p in report.problems} >= {"duplicate-question", "duplicate-id", "lock-damaged", "missing-source"}
    assert report.failed and (report.notes, report.cards) == (len(notes), sum(len(n.ordinals) for n in notes)) == (5, 7)

    counted = _Counted()
    light = load_project(paths, keep=counted)
    assert list(light.cards) == list(full.cards) and not list(light.notes)
    assert not light.lock.entries and not light.cache.records and full.lock.entries and full.cache.records
    assert (counted.notes, counted.cards) == (5, 7)


def test_near_duplicates_ignore_repeated_words_and_other_top_level_decks() -> None:
    from deckgen.lint.engine import lint_cards
    from deckgen.model import Card
    from deckgen.problems import Location
    from deckgen.project.config import LintSettings

    def card(n: int, deck: str, question: str) -> Card:
        return Card(f"q{n}", "basic", deck, Location("a.yaml", n * 10, 5), front=question, back="Google",
                    tags=("t",), source="s")

    cards = [card(1, "D", "Which company built built the TensorFlow framework?"),  # a word twice counts once
             card(2, "E::Sub", "Which company built TensorFlow framework first?"),  # another package
             card(3, "D::Sub", "Which company built TensorFlow framework first?"),
             card(4, "E", "Who built PyTorch?")]
    found = [(p.location.line, p.code, p.message) for p in lint_cards(cards, LintSettings())]
    assert found == [(30, "near-duplicate-question", "the same question as card 'q1' at a.yaml:10:5, apart from 'first'")]


def test_cloze_questions_are_let_go_after_a_large_deck_and_kept_for_a_small_one(monkeypatch) -> None:
    """A large project's cloze cards are not held through the next deck; a small one's stay for the next lint."""
    from deckgen.lint import base, engine
    from deckgen.lint.engine import lint_cards
    from deckgen.model import Card
    from deckgen.problems import Location
    from deckgen.project.config import LintSettings

    def cards(deck: str, count: int) -> list[Card]:
        return [Card(f"c{n}", "cloze", deck, Location("a.yaml", n + 1, 5), text=f"{{{{c1::Term}}}} number {n} of {deck}",
                     tags=("t",), source="s") for n in range(count)]

    monkeypatch.setattr(engine, "KEPT_CARDS", 100)
    base._cloze_cards.cache_clear()
    assert lint_cards(cards("Small", 30) + cards("Other", 30), LintSettings()) == []
    assert base._cloze_cards.cache_info().currsize == 60  # kept: `watch` lints the same texts again
    made: list[int] = []  # how many cloze cards are kept as each deck's questions are handed to the rules

    def counted(*args):
        made.append(base._cloze_cards.cache_info().currsize)
        return base.LintInput(*args)

    monkeypatch.setattr(engine, "LintInput", counted)
    assert lint_cards(cards("A", 70) + cards("B", 80), LintSettings()) == []
    assert made == [60 + 70, 80]  # A's were let go before B's questions were made
    assert base._cloze_cards.cache_info().currsize == 0
