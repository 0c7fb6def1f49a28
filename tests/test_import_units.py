"""The pure pieces of import: the YAML writer, Anki's card rules, ids, HTML media references."""

from __future__ import annotations

import pytest
import yaml

from deckgen.anki.card_rules import card_ordinals
from deckgen.cloze import card_numbers as cloze_numbers
from deckgen.anki.htmlmedia import html_media_names
from deckgen.names import slug
from deckgen.compiler.yamlread import Mapping, Scalar, parse_yaml
from deckgen.cardfiles.yamlwrite import Block, double_quoted, dump

NASTY = [
    ": # ' \" {{c1::x}} \t", "  leading", "trailing  ", "\x00\x01\x1f\x7f\x85\xa0\u2028\u2029\ufeff",
    "x" * 20000, "---", "...", "- x", "? x", "| x", "> x", "日本語 😀 é", "null", "NO", "1.10", "~",
    "&anchor *alias !tag %dir @at `back", "line1\nline2\n  indented\n#hash\n---\n...",
    "line\r\nCR", "ends\n", "\n", "multi\n\nblank", "tab\tin\nblock", "\\back\\slash\\", "x\ny ",
    " first\nline", "\ufffe\uffff",
]


def _values(node: Mapping) -> dict:
    return {key.value: value for key, value in node.items}


@pytest.mark.parametrize("loader", [yaml.BaseLoader, getattr(yaml, "CBaseLoader", yaml.BaseLoader)])
def test_every_nasty_text_reads_back_unchanged(loader) -> None:
    document = Block(deck="A::B", cards=[
        Block(id="c", q=text, tags=["a::b", "c,d", "[x]", text], fields=Block({text: text, "Back Extra": text}))
        for text in NASTY
    ])
    written = dump(document, "a comment\n\nwith a blank line")
    root = yaml.compose(written, Loader=loader)
    cards = [item for key, item in root.value if key.value == "cards"][0].value
    assert len(cards) == len(NASTY)
    for text, card in zip(NASTY, cards):
        values = {key.value: value for key, value in card.value}
        assert values["q"].value == text
        assert [tag.value for tag in values["tags"].value] == ["a::b", "c,d", "[x]", text]
        assert {k.value: v.value for k, v in values["fields"].value} == {text: text, "Back Extra": text}


def test_writer_output_passes_deckgen_reader_and_reads_well() -> None:
    text = dump(Block(deck="Geo", format="html", cards=[Block(id="q-1", q="two\nlines", reverse="true")]))
    assert text == 'deck: "Geo"\nformat: html\ncards:\n  - id: q-1\n    q: |-\n      two\n      lines\n    reverse: true\n'
    root, problems = parse_yaml(text, "x.yaml")
    assert problems == [] and isinstance(root, Mapping)
    (card,) = _values(root)["cards"].items
    assert _values(card)["q"] == Scalar("two\nlines", 5, 8)


def test_double_quoted_escapes_only_what_it_must() -> None:
    assert double_quoted('a "b" \\ é') == '"a \\"b\\" \\\\ é"'
    assert double_quoted("\x00\t\n\u2028") == '"\\0\\t\\n\\L"'


@pytest.mark.parametrize(("fronts", "values", "expected"), [
    (("{{Front}}", "{{Back}}"), ("a", "b"), (0, 1)),
    (("{{Front}}", "{{#Add Reverse}}{{Back}}{{/Add Reverse}}"), ("a", "b", ""), (0,)),
    (("{{Front}}", "{{#Add Reverse}}{{Back}}{{/Add Reverse}}"), ("a", "b", "y"), (0, 1)),
    (("{{^Back}}{{Front}}{{/Back}}",), ("a", "b", ""), ()),
    (("<!-- {{Back}} -->{{text:Front}}", "{{type:Back}}"), ("", "b", ""), (1,)),
    (("{{Front}}",), ("<br><div></div> ", "b", ""), ()),
])
def test_standard_cards_follow_anki_rules(fronts, values, expected) -> None:
    assert card_ordinals("basic", ("Front", "Back", "Add Reverse"), fronts, values) == expected


def test_cloze_cards_come_from_the_cloze_fields() -> None:
    names = ("Text", "Back Extra")
    assert card_ordinals("cloze", names, ("{{cloze:Text}}",), ("{{c1::a}} {{c3::b}} {{c1,2::c}}", "{{c9::x}}")) == (0, 1, 2)
    assert card_ordinals("cloze", names, ("{{cloze:Text}}",), ("no deletions", "")) == (0,)
    assert cloze_numbers("{{c10::x}} {{c0::y}}") == {10}


@pytest.mark.parametrize(("text", "expected"), [
    ("What does <b>MLIR</b> stand for?", "what-does-b-mlir-b-stand-for"),
    ("Ça va? Évidemment!", "ca-va-evidemment"),
    ("中文", ""),
    ("a" * 30 + " " + "b" * 30, "a" * 30),
])
def test_slug_is_ascii_words(text, expected) -> None:
    assert slug(text) == expected


def test_html_media_names_match_anki_references() -> None:
    text = ('<img src="a b.png"> <IMG alt=\'x\' SRC=\'c&amp;d.jpg\'> <img src=e.gif width=3> '
            '<img src="https://x.org/y.png"> <audio src="s.ogg"></audio> [sound:t.mp3] <img src="a b.png">')
    assert html_media_names(text) == [("image", "a b.png"), ("image", "c&d.jpg"), ("image", "e.gif"),
                                      ("image", "s.ogg"), ("sound", "t.mp3")]
    assert html_media_names("plain text") == []
