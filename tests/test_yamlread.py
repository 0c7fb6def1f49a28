"""The YAML reader keeps text as written and positions exact."""

from __future__ import annotations

from deckgen.compiler.yamlread import Mapping, Scalar, Sequence, parse_yaml


def test_scalars_stay_text_as_written() -> None:
    root, problems = parse_yaml("a: NO\nb: 1.10\nc: ~\nd: 0x1F\ne: 2022-08-19\n", "f.yaml")
    assert problems == []
    assert isinstance(root, Mapping)
    assert [(k.value, v.value) for k, v in root.items] == [
        ("a", "NO"), ("b", "1.10"), ("c", "~"), ("d", "0x1F"), ("e", "2022-08-19"),
    ]


def test_positions_are_one_based() -> None:
    root, _ = parse_yaml("deck: D\ncards:\n  - id: x\n", "f.yaml")
    key, cards = root.items[1]
    assert (key.line, key.col) == (2, 1)
    assert isinstance(cards, Sequence)
    card = cards.items[0]
    assert (card.line, card.col) == (3, 5)
    assert card.items[0][1] == Scalar("x", 3, 9)


def test_duplicate_keys_are_reported_and_first_kept() -> None:
    root, problems = parse_yaml("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert [(p.location.line, p.code) for p in problems] == [(3, "duplicate-key")]
    assert [(k.value, v.value) for k, v in root.items] == [("a", "1"), ("b", "2")]


def test_alias_bomb_is_rejected_quickly() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):  # 9**12 items if expanded
        prev, name = chr(96 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    root, problems = parse_yaml("\n".join(lines) + "\n", "bomb.yaml")
    assert problems and all(p.code == "yaml-alias" for p in problems)
    assert problems[0].location.line == 2
    assert sum(len(v.items) for _, v in root.items) < 200


def test_syntax_error_and_empty_file_become_problems() -> None:
    _, problems = parse_yaml("a: [1\nb: 2\n", "f.yaml")
    assert [(p.location.line, p.code) for p in problems] == [(2, "yaml-syntax")]
    root, problems = parse_yaml("# only a comment\n", "f.yaml")
    assert root is None and problems[0].code == "empty-file"
