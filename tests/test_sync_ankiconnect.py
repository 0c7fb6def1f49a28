"""`deckgen sync --ankiconnect` against the AnkiConnect double: the same plan and collection as the direct path."""

from __future__ import annotations

import json

import pytest
from anki.collection import Collection
from ankiconnect_double import AnkiConnectDouble
from conftest import Project
from sync_helpers import (
    CHANGED, DEMO, MOVED, NOW, SUB, by_first_field, counts, edit_in_anki, empty_collection, sync, through_ankiconnect,
)



@pytest.fixture(autouse=True)
def same_second(monkeypatch):
    monkeypatch.setattr("deckgen.pipeline.clock", lambda: NOW)


def sync_through(project: Project, collection, *args: str):
    """Sync through AnkiConnect with the double serving `collection`; (exit code, document)."""
    result = through_ankiconnect(project, collection, "sync", "--format", "json", *args)
    return result.exit_code, json.loads(result.output)


def _comparable(collection) -> dict:
    return {front: {k: v for k, v in note.items() if k not in ("id", "cards")}
            for front, note in by_first_field(collection).items()}


def test_ankiconnect_and_direct_sync_leave_the_same_collection(tmp_path) -> None:
    direct, remote = Project(tmp_path / "direct"), Project(tmp_path / "remote")
    direct_col = empty_collection(tmp_path / "anki-direct")
    remote_col = empty_collection(tmp_path / "anki-remote")
    beta = DEMO.replace("The **second** letter", "The second letter, edited in YAML")
    steps = [({"demo.yaml": DEMO, "demo/sub.yaml": SUB}, ()), ({"demo.yaml": CHANGED, "demo/sub.yaml": MOVED}, ()),
             ({"demo.yaml": DEMO}, ()), ({"demo.yaml": beta}, ()), ({"demo.yaml": beta}, ("--force",)),
             ({"demo.yaml": CHANGED}, ("--removed", "delete"))]
    for number, (files, args) in enumerate(steps):
        for project, col in ((direct, direct_col), (remote, remote_col)):
            for name, text in files.items():
                project.write(name, text)
            if number == 3:  # beta edited in Anki too: a conflict both ways, then forced
                edit_in_anki(col, "beta", 1, "The second letter, edited in Anki")
        direct_code, direct_doc = sync(direct, direct_col, *args)
        remote_code, remote_doc = sync_through(remote, remote_col, *args)
        assert (direct_code, counts(direct_doc)) == (remote_code, counts(remote_doc)), (direct_doc, remote_doc)
        assert _comparable(direct_col) == _comparable(remote_col)
        assert remote_doc["backup"] is None
        if number == 3:
            assert remote_code == 1 and [c["id"] for c in remote_doc["conflicts"]] == ["beta"]
            assert by_first_field(remote_col)["What is beta?"]["fields"][1] == "The second letter, edited in Anki"
        if number == 4:
            assert by_first_field(remote_col)["What is beta?"]["fields"][1] == "The second letter, edited in YAML"
    assert "What is gamma?" not in by_first_field(remote_col)


def test_ankiconnect_text_output_says_anki_keeps_its_own_backups(tmp_path) -> None:
    project = Project(tmp_path / "p")
    project.write("demo.yaml", DEMO)
    result = through_ankiconnect(project, empty_collection(tmp_path / "anki"), "sync")
    assert result.exit_code == 0, result.output
    assert "Anki's desktop app keeps its own backups" in result.output


def test_nothing_answering_at_the_address_is_one_line_and_exit_1(tmp_path) -> None:
    project = Project(tmp_path / "p")
    project.write("demo.yaml", DEMO)
    with AnkiConnectDouble(Collection(str(empty_collection(tmp_path / "anki")))) as double:
        url = double.url
        double.col.close()
    result = project.run("sync", "--ankiconnect", url)
    assert result.exit_code == 1
    assert "AnkiConnect is not answering" in result.output
    assert not project.lock.exists()


def test_ankiconnect_with_collection_is_bad_usage(tmp_path) -> None:
    project = Project(tmp_path / "p")
    project.write("demo.yaml", DEMO)
    result = project.run("sync", "--ankiconnect", "--collection", "x.anki2")
    assert result.exit_code == 2
