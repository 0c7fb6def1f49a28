"""The project's own deck: builds, imports into Anki, and is covered by cards/COVERAGE.md."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from deckgen.commands.build import run_build

from anki_helpers import import_package, integrity_is_clean
from conftest import compiled

ROOT = Path(__file__).resolve().parent.parent
CARDS = ROOT / "cards"
TOP = "Deep Learning Frameworks"
SUBDECKS = {
    "Makers", "TFRT and TF Graphs", "ML Infra Lessons", "Compilers and Auto-Parallelism",
    "Forum 2020", "History", "Domestic Frameworks",
}


@pytest.fixture(scope="module")
def deck_cards(tmp_path_factory):
    loaded, _ = compiled(CARDS, tmp_path_factory.mktemp("build"))
    assert loaded.problems == ()
    return list(loaded.cards)


@pytest.fixture
def imported(tmp_path: Path, collection):
    lock = tmp_path / "deckgen.lock"
    shutil.copyfile(ROOT / "deckgen.lock", lock)
    report = run_build(CARDS, tmp_path / "build", lock)
    assert not report.failed and report.wrote
    log = import_package(collection, tmp_path / "build" / "deep-learning-frameworks.apkg")
    assert not log.conflicting
    return collection


def test_deck_imports_with_expected_decks_and_clean_database(imported, deck_cards) -> None:
    names = {d.name for d in imported.decks.all_names_and_ids()}
    assert {TOP} | {f"{TOP}::{sub}" for sub in SUBDECKS} <= names
    assert imported.note_count() == len(deck_cards) >= 150
    assert integrity_is_clean(imported)


def test_every_note_has_a_topic_tag_a_source_and_no_empty_field(imported) -> None:
    for nid in imported.find_notes(""):
        note = imported.get_note(nid)
        assert any(tag.startswith("dlfw::") for tag in note.tags), note.fields[0]
        required = ("Front", "Back", "Source") if "Front" in note.keys() else ("Text", "Source")
        for name in required:
            assert note[name].strip(), (name, note.fields[0])
        for card in note.cards():
            assert 'class="dg-source"' in card.answer()


def test_no_two_notes_share_a_question(imported) -> None:
    prompts = []
    for nid in imported.find_notes(""):
        note = imported.get_note(nid)
        prompts.append(note.fields[0])
        if "Reverse" in note.keys() and note["Reverse"]:
            prompts.append(note["Back"])
    duplicates = {p for p in prompts if prompts.count(p) > 1}
    assert duplicates == set()


def test_coverage_table_names_exactly_the_deck_card_ids(deck_cards) -> None:
    table = (CARDS / "COVERAGE.md").read_text(encoding="utf-8")
    rows = [line for line in table.splitlines() if line.startswith("|") and not line.startswith("| ---")]
    named: set[str] = set()
    for row in rows[1:]:  # skip the header
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == 3, row
        ids = re.findall(r"`([^`]+)`", cells[2])
        assert ids or cells[2].startswith("left out:"), row
        named.update(ids)
    assert named - {card.id for card in deck_cards} == set()
    assert {card.id for card in deck_cards} - named == set()


def test_the_deck_passes_lint_strictly() -> None:
    from deckgen.commands.lint import run_lint

    report = run_lint(CARDS, strict=True)
    assert [str(p) for p in report.problems] == []
    assert not report.failed
