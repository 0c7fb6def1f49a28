"""`deckgen sync` against real collection files: the plan's counts and what the collection holds after."""

from __future__ import annotations

import pytest
from anki.collection import Collection
from anki_helpers import study
from sync_helpers import DEMO, NOW, SUB, by_first_field, counts, digest, edit_in_anki, empty_collection, note_of, scheduling, sync


@pytest.fixture(autouse=True)
def same_second(monkeypatch):
    monkeypatch.setattr("deckgen.pipeline.clock", lambda: NOW)


@pytest.fixture
def demo(project, tmp_path):
    project.write("demo.yaml", DEMO)
    project.write("demo/sub.yaml", SUB)
    return project, empty_collection(tmp_path / "anki" / "User 1")


def test_first_sync_fills_an_empty_collection_and_makes_a_backup(demo) -> None:
    project, col = demo
    code, doc = sync(project, col)
    assert code == 0, doc
    assert counts(doc) == {"new": 4, "updated": 0, "unchanged": 0, "moved": 0, "removed": 0, "conflicts": 0}
    notes = by_first_field(col)
    assert sorted(notes) == ["Delta is letter {{c1::four}}.", "What is alpha?", "What is beta?", "What is gamma?"]
    assert notes["What is beta?"]["fields"][1] == "The <strong>second</strong> letter"
    assert notes["What is beta?"]["tags"] == ["demo", "greek"]
    assert notes["Delta is letter {{c1::four}}."]["decks"] == ["Demo::Sub"]
    assert doc["backup"] and (project.root / doc["backup"]).is_file()
    assert list((col.parent / "backups").glob("*.colpkg"))
    assert project.package("demo.apkg").is_file() and project.lock.is_file()
    assert list((project.build_dir / "sync").glob("*.json"))


def test_a_sync_with_nothing_to_change_writes_nothing(demo) -> None:
    project, col = demo
    sync(project, col)
    before = digest(col)
    backups = sorted((col.parent / "backups").iterdir())
    code, doc = sync(project, col)
    assert code == 0
    assert counts(doc) == {"new": 0, "updated": 0, "unchanged": 4, "moved": 0, "removed": 0, "conflicts": 0}
    assert doc["applied"] is False and doc["backup"] is None
    assert digest(col) == before
    assert sorted((col.parent / "backups").iterdir()) == backups
