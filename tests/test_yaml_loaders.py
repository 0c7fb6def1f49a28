"""libyaml and PyYAML's pure-Python parser give the same nodes and the same messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from deckgen.project.files import decode
from deckgen.compiler.yamlread import LOADERS, parse_yaml

ROOT = Path(__file__).parent.parent
# Every card file the repository holds: bad-input, lint and id cases, the sample and example decks.
CARD_FILES = sorted(
    path
    for pattern in ("tests/cases/*/cards/**/*.y*ml", "tests/lint_cases/**/*.y*ml", "tests/ids_cases/**/*.y*ml",
                    "cards/**/*.y*ml", "examples/cards/**/*.y*ml")
    for path in ROOT.glob(pattern)
)

# Mistakes whose wording differs between the two parsers, or where one accepted what the other
# refused, before yamlread mapped them onto one behaviour.
SNIPPETS = {
    "flow list": "a: [1, 2\nb: 3\n",
    "flow mapping": "a: {x: 1, y\nb: 2\n",
    "flow mapping on one line": "a: {x: 1 y: 2}\n",
    "unclosed quote": 'a: "abc\nb: 2\n',
    "bad indentation": "a:\n  b: 1\n c: 2\n",
    "colon in plain text": "a: b: c\n",
    "list after mapping": "a: 1\n- b\n",
    "mapping after list": "- a\nb: 1\n",
    "unknown escape": 'a: "\\q"\n',
    "bad hex escape": 'a: "\\xZZ"\n',
    "unknown directive": "%FOO bar\n---\na: 1\n",
    "repeated directive": "%YAML 1.1\n%YAML 1.1\n---\na: 1\n",
    "repeated tag directive": "%TAG ! a\n%TAG ! b\n---\na: 1\n",
    "undefined alias": "a: *x\n",
    "duplicate anchor": "a: &x 1\nb: &x 2\n",
    "at sign": "a: @x\n",
    "backtick": "a: `x\n",
    "unclosed tag": "a: !<x\n",
    "tag followed by a bracket": "a: !x{\n",
    "tag directive without a closing '!'": "%TAG !x y\n---\na: 1\n",
    "zero indentation digit": "a: |0\n  x\n",
    "block text header": "a: |x\n  y\n",
    "dash in flow list": "a: [- x]\n",
    "document end then text": "a: 1\n...\nb: 2\n",
    "control character": "a: \x01\n",
    "control character after Chinese": "a: 华为\x01\n",
    "separator in quoted text": 'a: "x\n---\ny"\n',
    "anchor without name": "a: &\n",
    "tab after colon": "q:\tWhat?\na: \tYes\n",
    "tab in flow list": "a: [\tx,\ty]\n",
    "tab indentation": "a:\n\tb: 1\n",
    "tab after dash": "-\tx\n",
    "tab on blank line": "a: 1\n\t\n",
    "two documents": "a: 1\n---\nb: 2\n",
}


def _both(text: str, path: str):
    return parse_yaml(text, path, "libyaml"), parse_yaml(text, path, "python")


def test_both_loaders_are_available() -> None:
    # PyYAML's wheels ship libyaml; the comparisons below need both parsers.
    assert set(LOADERS) == {"libyaml", "python"}


@pytest.mark.parametrize("path", CARD_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_card_files_read_the_same_with_either_loader(path: Path) -> None:
    text, problems = decode(path.read_bytes(), path.name)
    if text is None:  # invalid UTF-8 never reaches YAML
        assert problems[0].code == "invalid-utf8"
        return
    with_libyaml, with_python = _both(text, path.name)
    assert with_libyaml == with_python


def test_every_case_folder_was_compared() -> None:
    for folder in ("cases", "lint_cases", "ids_cases"):
        root = ROOT / "tests" / folder
        compared = {p.relative_to(root).parts[0] for p in CARD_FILES if root in p.parents}
        assert compared == {p.name for p in root.iterdir() if p.is_dir()}, folder


def test_every_bad_input_case_was_compared() -> None:
    folder = ROOT / "tests" / "cases"
    compared = {p.relative_to(folder).parts[0] for p in CARD_FILES if folder in p.parents}
    assert compared == {p.name for p in folder.iterdir() if p.is_dir()}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_mistakes_get_the_same_located_message_from_either_loader(name: str) -> None:
    with_libyaml, with_python = _both(SNIPPETS[name], "f.yaml")
    assert with_libyaml == with_python
    for problem in with_libyaml[1]:
        # Neither parser's own phrasing leaks through.
        assert "did not find expected" not in problem.message
        assert "but found '<" not in problem.message


def test_tabs_that_libyaml_accepts_are_accepted_by_the_python_parser() -> None:
    root, problems = parse_yaml("q:\tWhat?\na: \tYes\n", "f.yaml", "python")
    assert problems == []
    assert [(k.value, v.value) for k, v in root.items] == [("q", "What?"), ("a", "Yes")]


def test_messages_point_at_the_mistake() -> None:
    _, problems = parse_yaml("cards:\n  - q: [one\n    a: two\n", "f.yaml", "python")
    assert [str(p) for p in problems] == [
        "f.yaml:3:6: error: YAML syntax: expected ',' or ']' but found ':' (in a [...] list that starts at line 2) (yaml-syntax)"
    ]
    _, problems = parse_yaml('a: "x\\qy"\n', "f.yaml", "libyaml")
    assert problems[0].location.col == 6  # the backslash, from either parser
    assert problems[0].message.startswith("YAML syntax: unknown escape '\\q' in double-quoted text")
