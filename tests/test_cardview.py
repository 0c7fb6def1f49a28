"""The preview's card renderer gives exactly what Anki's own renderer shows."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from deckgen.anki.templates import TemplateError, card_views, render_template
from deckgen.cloze import answers as cloze_answers
from deckgen.cloze import render as render_cloze

from anki_helpers import import_package
from conftest import compiled

PROJECT_CARDS = Path(__file__).resolve().parents[1] / "cards"

TRICKY = """\
    deck: Tricky::Sub
    cards:
      - id: hint
        cloze: "A {{c1::华为 & <b>::提示 hint}} and {{c1::second}} then {{c2::x-y_z.é!\\"'}} {{c3::}} end"
        extra: "ex"
      - id: nested
        cloze: "Outer {{c1::one {{c2::two}} three}} and a stray }} and {{c3::hinted::why}}"
      - id: basic-reverse
        q: "Q <i> & 'quotes'"
        a: "A\\nline two"
        reverse: true
        source: "S"
      - id: basic
        q: "Only a question?"
        a: "Only"
      - id: several-cards
        cloze: "{{c1,2::Paris}} and {{c3::Lyon {{c1::inside}}}} and {{c2,1::again::why}}"
"""


def test_cards_render_exactly_as_anki_renders_them(project, collection) -> None:
    for path in PROJECT_CARDS.glob("*.yaml"):
        shutil.copy(path, project.cards / path.name)
    project.write("tricky.yaml", TRICKY)
    assert project.run("build").exit_code == 0
    for package in project.build_dir.glob("*.apkg"):
        import_package(collection, package)
    loaded, compilation = compiled(project.cards, project.build_dir)
    ours = {
        (stamped.guid, view.ordinal): view
        for stamped in compilation.notes
        for view in card_views(stamped.note, loaded.notetypes.own_type(stamped.note.card.kind))
    }

    compared = 0
    for card_id in collection.find_cards(""):
        card = collection.get_card(card_id)
        view = ours[(card.note().guid, card.ord)]
        assert card.question().split("</style>", 1)[1] == view.front
        assert card.answer().split("</style>", 1)[1] == view.back
        compared += 1
    assert compared == len(ours) > 200


def test_sections_and_front_side() -> None:
    fields = {"A": "x", "B": " <br> ", "C": "<div></div>"}
    template = "{{#A}}a={{A}}{{/A}}{{#B}}hidden{{/B}}{{^C}}empty-c{{/C}}{{#A}}{{#B}}nested{{/B}}{{/A}}"
    assert render_template(template, fields, 0, question=True) == "a=xempty-c"
    assert render_template("{{FrontSide}}<hr>{{A}}", fields, 0, question=False, front_side="F") == "F<hr>x"


def test_unsupported_syntax_is_refused() -> None:
    with pytest.raises(TemplateError):
        render_template("{{Missing}}", {"A": ""}, 0, question=True)
    with pytest.raises(TemplateError):
        render_template("{{text:A}}", {"A": ""}, 0, question=True)


def test_cloze_answers_and_hints() -> None:
    text = "{{c1::Paris::city}} is in {{c2::France}}, as is {{c1::Lyon}}"
    assert cloze_answers(text, 0) == ["Paris", "Lyon"]
    assert cloze_answers(text, 1) == ["France"]
    assert "[city]" in render_cloze(text, 0, question=True)
    assert "France" in render_cloze(text, 0, question=True)


def test_an_unclosed_deletion_is_dropped_as_anki_drops_it() -> None:
    shown = render_cloze("Open {{c1::done}} then {{c2::never closed", 0, question=False)
    assert shown == 'Open <span class="cloze" data-ordinal="1">done</span> then '
