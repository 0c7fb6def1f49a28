"""Note types changed in the project reach the collection through sync, as a re-import would bring them."""

from __future__ import annotations

import json

from anki.collection import Collection
from sync_helpers import digest, sync
from test_import_roundtrip import _add, export


def _css(path) -> str:
    col = Collection(str(path))
    try:
        return col.models.by_name("Basic")["css"]
    finally:
        col.close()


def test_a_changed_note_type_is_sent_once(project, tmp_path) -> None:
    path = tmp_path / "anki" / "collection.anki2"
    path.parent.mkdir()
    col = Collection(str(path))
    _add(col, "Basic", "Lang", {"Front": "hablar", "Back": "to speak"}, [])
    _add(col, "Basic", "Lang", {"Front": "comer", "Back": "to eat"}, [])
    package = export(col, tmp_path / "user.apkg")
    col.close()
    assert project.run("import", str(package)).exit_code == 0
    code, doc = sync(project, path)
    assert code == 0 and doc["applied"] is False and doc["notetypes_updated"] == 0
    (notetype,) = (project.root / "notetypes").glob("*.json")
    data = json.loads(notetype.read_text())
    data["css"] += "\n.card { color: teal; }\n"
    notetype.write_text(json.dumps(data, indent=2))
    code, doc = sync(project, path)
    assert code == 0 and doc["notetypes_updated"] == 1 and doc["unchanged"] == 2 and doc["applied"] is True
    assert "teal" in _css(path)
    before = digest(path)
    code, doc = sync(project, path)
    assert code == 0 and doc["notetypes_updated"] == 0 and doc["applied"] is False
    assert digest(path) == before
