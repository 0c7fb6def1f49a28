"""The value-replacing and tag-setting edits pull makes: the one value changes, every other byte stays."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deckgen.cardfiles.yamledit import replace_value, set_card_tags
from deckgen.compiler.yamlread import parse_yaml

FILE = (
    "deck: D   # the deck\n"
    "cards:\n"
    "  - id: a\n"
    "    q: |\n"
    "      hello\n"
    "      there\n"
    "\n"
    "    # kept\n"
    "    a: plain # x\n"
    "  - id: b\n"
    "    q: 'it''s'\n"
    "    a: \"dq\"\n"
    "    fields:\n"
    "      Front: x\n"
)
A, B = (3, 5), (10, 5)


def values(text: str) -> dict:
    root, problems = parse_yaml(text, "f")
    assert not problems
    return {card.items[0][1].value: {k.value: v for k, v in card.items[1:]}
            for card in root.items[1][1].items}  # type: ignore[union-attr]


@pytest.mark.parametrize("card, at, new, expected", [
    (A, (4, 8), "bye\n", "    q: |\n      bye\n\n"),
    (A, (4, 8), "two\nlines\n", "    q: |\n      two\n      lines\n\n"),
    (A, (9, 8), "new plain", "    a: new plain # x\n"),
    (A, (9, 8), "two\nlines", "    a: |- # x\n      two\n      lines\n"),
    (A, (9, 8), "#not a comment", '    a: "#not a comment" # x\n'),
    (B, (11, 8), "it's new", "    q: 'it''s new'\n"),
    (B, (12, 8), 'say "hi"', '    a: "say \\"hi\\""\n'),
    (B, (14, 14), "y: z", '      Front: "y: z"\n'),
])
def test_replace_value_keeps_every_other_byte(card, at, new, expected) -> None:
    out, problem = replace_value(FILE, "f", card, at, new)
    assert problem is None
    assert expected in out
    before, after = values(FILE), values(out)
    key = next(k for k, v in before["a" if card == A else "b"].items() if (v.line, v.col) == at) if at[0] < 14 else None
    if key:
        assert after["a" if card == A else "b"][key].value == new
    removed = [line for line in FILE.splitlines() if line not in out.splitlines()]
    assert len(removed) <= 2  # only the value's own lines differ


def test_crlf_and_a_missing_final_line_break_are_kept() -> None:
    text = "deck: D\r\ncards:\r\n  - id: a\r\n    q: one\r\n    a: two"
    out, problem = replace_value(text, "f", (3, 5), (5, 8), "three\nfour")
    assert problem is None
    assert out == "deck: D\r\ncards:\r\n  - id: a\r\n    q: one\r\n    a: |-\r\n      three\r\n      four"
    out, _, problem = set_card_tags(text, "f", (3, 5), ["x"])
    assert problem is None and out == text + "\r\n    tags: [x]"


def test_a_value_outside_the_card_is_refused() -> None:
    text = "deck: D\nsource: shared\ncards:\n  - id: a\n    q: one\n    a: two\n"
    out, problem = replace_value(text, "f", (4, 5), (2, 9), "mine")
    assert problem is not None and out == text


def test_tags_replace_the_cards_own_list_and_keep_the_files() -> None:
    text = "deck: D\ntags: [shared]\ncards:\n  - id: a\n    tags: [old, keep]   # mine\n    q: one\n    a: two\n"
    out, merged, problem = set_card_tags(text, "f", (4, 5), ["shared", "keep", "New"])
    assert problem is None
    assert out == text.replace("[old, keep]", "[keep, New]")
    assert merged == ("shared", "keep", "New")
    _, _, problem = set_card_tags(text, "f", (4, 5), ["keep"])
    assert problem is not None and problem.code == "pull-tags"
    _, _, problem = set_card_tags(text, "f", (4, 5), ["shared", "bad\x01tag"])
    assert problem is not None


@settings(max_examples=150, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n'\"#:|>-[]{} \\"), min_size=1,
               max_size=30))
def test_any_text_is_written_exactly_or_refused(new: str) -> None:
    for at in ((4, 8), (9, 8)):
        out, problem = replace_value(FILE, "f", A, at, new)
        if problem is not None:
            assert out == FILE
            continue
        after = values(out)["a"]
        assert after["q" if at == (4, 8) else "a"].value == new
        other = "a" if at == (4, 8) else "q"
        assert after[other].value == values(FILE)["a"][other].value
        assert out.startswith("deck: D   # the deck\ncards:\n  - id: a\n")
        assert out.endswith("  - id: b\n    q: 'it''s'\n    a: \"dq\"\n    fields:\n      Front: x\n")
