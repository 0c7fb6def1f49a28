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


def _coverage_rows() -> list[list[str]]:
    """The cells of each data row of cards/COVERAGE.md."""
    table = (CARDS / "COVERAGE.md").read_text(encoding="utf-8")
    rows = [line for line in table.splitlines() if line.startswith("|") and not line.startswith("| ---")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[1:]]


def test_coverage_rows_walk_every_notes_line_once() -> None:
    table = (CARDS / "COVERAGE.md").read_text(encoding="utf-8")
    total = int(re.search(r"\((\d+) numbered lines", table).group(1))
    seen: list[int] = []
    for cells in _coverage_rows():
        # "23 (first half)" and "23 (second half)" split one long line between two rows.
        spec = re.sub(r" \((first|second) half\)$", "", cells[0])
        numbers: list[int] = []
        for part in spec.split(","):
            first, _, last = part.strip().partition("-")
            numbers.extend(range(int(first), int(last or first) + 1))
        if spec != cells[0] and seen and seen[-1] == numbers[0]:
            numbers = numbers[1:]
        seen.extend(numbers)
    assert sorted(seen) == list(range(1, total + 1))
    assert len(seen) == len(set(seen))


def test_country_and_year_tags_are_set_per_card_never_per_file() -> None:
    for path in sorted(CARDS.glob("*.yaml")):
        header = re.search(r"^tags: \[(.*)\]$", path.read_text(encoding="utf-8"), re.M)
        file_tags = header.group(1).split(", ") if header else []
        assert [t for t in file_tags if t.startswith(("country::", "year::"))] == [], path.name


def test_every_person_with_a_chinese_name_gets_pinyin_somewhere(deck_cards) -> None:
    # "Xu Wei (徐伟" must appear at least once as "Xu Wei (徐伟, Xú Wěi)": pinyin for every person or none.
    texts = [" ".join(filter(None, (c.front, c.back, c.text, c.extra, c.source))) for c in deck_cards]
    people = {tag.split("::", 1)[1] for c in deck_cards for tag in c.tags if tag.startswith("person::")}
    checked = 0
    for slug in sorted(people):
        name = " ".join(part.capitalize() for part in slug.split("-"))
        hanzi = {m for t in texts for m in re.findall(rf"{name} \(([\u4e00-\u9fff]+)", t)}
        if not hanzi:
            continue  # no Chinese name in the deck (Jim Keller, @mackler, Yuxin Wu)
        checked += 1
        with_pinyin = [t for t in texts for h in hanzi if re.search(rf"{name} \({h}, [A-Z][^)]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]", t)]
        assert with_pinyin, name
    assert checked >= 12
