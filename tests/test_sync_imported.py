"""A deck taken from Anki with `deckgen import`, then kept in step with sync and pull."""

from __future__ import annotations

from anki.collection import Collection
from sync_helpers import counts, digest, edit_in_anki, note_of, sync
from test_import_roundtrip import _add, export


def test_import_then_sync_changes_nothing_and_pull_writes_into_fields(project, tmp_path) -> None:
    path = tmp_path / "anki" / "collection.anki2"
    path.parent.mkdir()
    col = Collection(str(path))
    _add(col, "Basic", "Lang::Spanish", {"Front": "hablar", "Back": "to speak"}, ["verbs"])
    _add(col, "Cloze", "Lang::Spanish", {"Text": "{{c1::Madrid}} is the capital", "Back Extra": ""}, [])
    package = export(col, tmp_path / "user.apkg")
    col.close()
    result = project.run("import", str(package))
    assert result.exit_code == 0, result.output
    before = digest(path)
    code, doc = sync(project, path)
    assert code == 0, doc
    assert counts(doc) == {"new": 0, "updated": 0, "unchanged": 2, "moved": 0, "removed": 0, "conflicts": 0}
    assert doc["applied"] is False and digest(path) == before
    edit_in_anki(path, "hablar", 1, "to speak, to talk")
    code, doc = project.run("pull", "--collection", str(path)).exit_code, None
    assert code == 0
    assert "to speak, to talk" in "".join(p.read_text() for p in project.cards.rglob("*.yaml"))
    code, doc = sync(project, path)
    assert code == 0 and doc["unchanged"] == 2 and doc["applied"] is False
    assert note_of(path, "hablar")["fields"][1] == "to speak, to talk"
