"""`deckgen pull`: Anki-side edits written back into the card files, every other byte kept."""

from __future__ import annotations

import json

import pytest
from sync_helpers import (
    CHANGED, DEMO, NOW, SUB, counts, digest, edit_in_anki, empty_collection, note_of, sync, tag_in_anki, through_ankiconnect,
)


@pytest.fixture(autouse=True)
def same_second(monkeypatch):
    monkeypatch.setattr("deckgen.pipeline.clock", lambda: NOW)


# Comments, quoting, CRLF line ends and a block scalar: pull must keep all of them.
STYLED = (
    "# my cards\r\n"
    "deck: Demo   # the deck\r\n"
    "tags: [demo]\r\n"
    "cards:\r\n"
    "  - id: alpha\r\n"
    "    q: What is alpha?   # asked often\r\n"
    "    a: 'The first letter'\r\n"
    "\r\n"
    "  - id: beta\r\n"
    "    q: What is beta?\r\n"
    "    a: |\r\n"
    "      The **second**\r\n"
    "      letter\r\n"
    "    # trailing comment\r\n"
)


def pull(project, collection, *args: str):
    result = project.run("pull", "--collection", str(collection), "--format", "json", *args)
    return result.exit_code, json.loads(result.output)


@pytest.fixture
def synced(project, tmp_path):
    (project.cards / "demo.yaml").write_bytes(STYLED.encode())
    col = empty_collection(tmp_path / "anki")
    code, doc = sync(project, col)
    assert code == 0, doc
    return project, col


@pytest.fixture
def demo_synced(project, tmp_path):
    """The shared demo deck and its sub-deck, synced into a fresh collection."""
    project.write("demo.yaml", DEMO)
    project.write("demo/sub.yaml", SUB)
    col = empty_collection(tmp_path / "anki")
    code, doc = sync(project, col)
    assert code == 0, doc
    return project, col


def test_pull_rewrites_only_the_edited_values(synced) -> None:
    project, col = synced
    edit_in_anki(col, "alpha", 1, "The <b>very</b> first letter")
    edit_in_anki(col, "beta", 1, "The <strong>second</strong><br>letter, fixed")
    code, doc = pull(project, col)
    assert code == 0, doc
    assert sorted((e["id"], e["line"]) for e in doc["edits"]) == [("alpha", 7), ("beta", 11)]
    assert (project.cards / "demo.yaml").read_bytes() == STYLED.replace(
        "'The first letter'", "'The **very** first letter'").replace(
        "      letter\r\n", "      letter, fixed\r\n").encode()
    code, doc = sync(project, col)
    assert code == 0 and counts(doc) == {"new": 0, "updated": 0, "unchanged": 2, "moved": 0, "removed": 0,
                                         "conflicts": 0}
    assert doc["applied"] is False


def test_pull_dry_run_shows_the_diff_and_writes_nothing(synced) -> None:
    project, col = synced
    edit_in_anki(col, "alpha", 1, "The first letter, fixed")
    before = {p: p.read_bytes() for p in (project.cards / "demo.yaml", project.lock)}
    collection_before = digest(col)
    result = project.run("pull", "--collection", str(col), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "cards/demo.yaml:7:8: a: 'The first letter' -> 'The first letter, fixed'" in result.output
    assert {p: p.read_bytes() for p in before} == before
    assert digest(col) == collection_before


def test_html_that_does_not_map_back_is_listed_and_left(synced) -> None:
    project, col = synced
    edit_in_anki(col, "alpha", 1, "<ul><li>first</li></ul>")
    edit_in_anki(col, "beta", 1, "The second letter")
    before = (project.cards / "demo.yaml").read_bytes()
    code, doc = pull(project, col)
    assert code == 1
    assert [p["code"] for p in doc["problems"]] == ["pull-unsafe"]
    assert doc["problems"][0]["line"] == 7
    assert [e["id"] for e in doc["edits"]] == ["beta"]
    after = (project.cards / "demo.yaml").read_bytes()
    assert after != before and b"'The first letter'" in after


def test_pull_resolves_a_conflict_in_ankis_favour(demo_synced) -> None:
    project, col = demo_synced
    edit_in_anki(col, "alpha", 1, "The first letter (fixed in Anki)")
    project.write("demo.yaml", CHANGED)
    code, doc = sync(project, col)
    assert code == 1 and len(doc["conflicts"]) == 1
    code, doc = pull(project, col)
    assert code == 0 and [e["id"] for e in doc["edits"]] == ["alpha"]
    assert "The first letter (fixed in Anki)" in (project.cards / "demo.yaml").read_text()
    code, doc = sync(project, col)
    assert code == 0 and doc["conflicts"] == [] and doc["updated"] == 0
    assert note_of(col, "alpha")["fields"][1] == "The first letter (fixed in Anki)"


def test_nothing_edited_in_anki_pulls_nothing(synced) -> None:
    project, col = synced
    before = (project.cards / "demo.yaml").read_bytes()
    code, doc = pull(project, col)
    assert code == 0 and doc["edits"] == [] and doc["wrote"] is False
    assert (project.cards / "demo.yaml").read_bytes() == before


def test_tags_changed_in_anki_become_the_cards_own_tags(synced) -> None:
    project, col = synced
    tag_in_anki(col, "beta", add=("greek",))
    tag_in_anki(col, "alpha", add=("first",))
    code, doc = pull(project, col)
    assert code == 0, doc
    text = (project.cards / "demo.yaml").read_bytes().decode()
    assert text == STYLED.replace("    a: 'The first letter'\r\n", "    a: 'The first letter'\r\n    tags: [first]\r\n"
                                  ).replace("    # trailing", "    tags: [greek]\r\n    # trailing")
    code, doc = sync(project, col)
    assert code == 0 and doc["unchanged"] == 2 and doc["applied"] is False
    tag_in_anki(col, "beta", add=("letters",), remove=("greek",))
    code, doc = pull(project, col)
    assert code == 0 and "    tags: [letters]\r\n" in (project.cards / "demo.yaml").read_bytes().decode()
    assert sync(project, col)[1]["unchanged"] == 2


def test_a_file_tag_removed_in_anki_is_refused(synced) -> None:
    project, col = synced
    tag_in_anki(col, "alpha", remove=("demo",))
    before = (project.cards / "demo.yaml").read_bytes()
    code, doc = pull(project, col)
    assert code == 1 and [p["code"] for p in doc["problems"]] == ["pull-tags"]
    assert (project.cards / "demo.yaml").read_bytes() == before


def test_pull_through_ankiconnect(synced) -> None:
    project, col = synced
    edit_in_anki(col, "alpha", 1, "The first letter, fixed")
    result = through_ankiconnect(project, col, "pull")
    assert result.exit_code == 0, result.output
    assert "'The first letter, fixed'" in (project.cards / "demo.yaml").read_text()


def test_a_cloze_edited_in_anki_is_pulled_into_its_cloze_value(demo_synced) -> None:
    project, col = demo_synced
    edit_in_anki(col, "Delta", 0, "Delta is letter {{c1::four}}, after {{c2::gamma}}.")
    code, doc = pull(project, col)
    assert code == 0, doc
    assert (project.cards / "demo" / "sub.yaml").read_text() == SUB.replace(
        "    ", "", 1).replace("\n    ", "\n").replace(
        '"Delta is letter {{c1::four}}."', '"Delta is letter {{c1::four}}, after {{c2::gamma}}."')
    code, doc = sync(project, col)
    assert code == 0 and doc["applied"] is False and doc["unchanged"] == 4


def test_pull_leaves_the_collection_file_byte_identical_and_is_refused_while_anki_holds_it(synced) -> None:
    from anki.collection import Collection

    project, col = synced
    edit_in_anki(col, "alpha", 1, "The first letter, fixed")
    before = digest(col)
    code, doc = pull(project, col)
    assert code == 0 and digest(col) == before
    edit_in_anki(col, "alpha", 1, "The first letter, fixed again")
    holder = Collection(str(col))
    try:
        result = project.run("pull", "--collection", str(col))
    finally:
        holder.close()
    assert result.exit_code == 1 and "open in Anki" in result.output
    assert "fixed again" not in (project.cards / "demo.yaml").read_text()
