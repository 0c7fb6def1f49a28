"""`deckgen import` against the real Anki: export a studied collection, import, build, import back."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from anki.collection import Collection

from deckgen.compiler.yamlread import parse_yaml

from anki_helpers import export_package, import_package, integrity_is_clean
from rich_project import png
from test_schema import as_editor_sees

NASTY_FRONT = "  lead: # ' \" {{c1::x}} \t---\n...\x01 😀 é  "
NASTY_BACK = "line1\r\nline2\n  indented\n---\n" + "long " * 3000


def _add(col: Collection, notetype: str, deck: str, values: dict[str, str], tags: list[str]) -> int:
    note = col.new_note(col.models.by_name(notetype))
    for name, value in values.items():
        note[name] = value
    note.tags = tags
    col.add_note(note, col.decks.id(deck))
    return note.id


def make_collection(path: Path) -> tuple[Collection, dict[str, int]]:
    """A collection with every kind of note the import must keep, one card studied."""
    col = Collection(str(path))
    image = col.media.write_data("flag of spain.png", png(8, 8, (200, 20, 20)))
    # A note type whose styling uses a "_" media file, as fonts and shared scripts do.
    col.media.write_data("_deck.css", b".card { color: teal; }")
    reversed_type = col.models.by_name("Basic (and reversed card)")
    reversed_type["css"] += '\n@import url("_deck.css");\n'
    col.models.update_dict(reversed_type)
    ids = {
        "basic": _add(col, "Basic", "Lang::Spanish::Verbs", {"Front": "hablar", "Back": f'to speak <img src="{image}">'},
                      ["lang::es::verbs", "verbs"]),
        "reversed": _add(col, "Basic (and reversed card)", "Lang::Spanish", {"Front": "el perro", "Back": "the dog"}, ["lang::es"]),
        "cloze": _add(col, "Cloze", "Lang::Spanish", {"Text": "{{c1::Madrid}} is the capital of {{c2::Spain}}", "Back Extra": "<i>since 1561</i>"}, []),
        "optional": _add(col, "Basic (optional reversed card)", "Geo", {"Front": "Largest ocean?", "Back": "Pacific"}, ["geo"]),
        "typed": _add(col, "Basic (type in the answer)", "Geo", {"Front": "Capital of France?", "Back": "Paris"}, []),
        "nasty": _add(col, "Basic", "Geo", {"Front": "placeholder", "Back": "placeholder"}, ["odd::tag#1"]),
    }
    # Content other tools write but Anki's editor would clean: control characters, CR, space.
    col.db.execute("UPDATE notes SET flds = ? WHERE id = ?", NASTY_FRONT + "\x1f" + NASTY_BACK, ids["nasty"])
    col.decks.select(col.decks.id("Lang::Spanish::Verbs"))
    card = col.sched.getCard()
    col.sched.answerCard(card, 3)
    return col, {**ids, "studied_card": card.id}


def export(col: Collection, out: Path, legacy: bool = False) -> Path:
    """Export the whole collection with Anki's own exporter, scheduling and media included."""
    return export_package(col, out, scheduling=True, media=True, legacy=legacy)


def _state(col: Collection) -> dict:
    # The Python layer caches note types and a backend import does not refresh it: ask afresh.
    col.models._clear_cache()
    notes = {nid: (col.get_note(nid).fields, col.get_note(nid).guid, col.get_note(nid).mid) for nid in col.find_notes("")}
    cards = {cid: (c.ivl, c.due, c.reps, c.type, c.queue, c.did) for cid in col.find_cards("") for c in [col.get_card(cid)]}
    models = sorted((m["id"], m["name"], m["mod"]) for m in col.models.all())
    decks = sorted(d.name for d in col.decks.all_names_and_ids())
    return {"notes": notes, "cards": cards, "models": models, "decks": decks,
            "revlog": col.db.scalar("SELECT count() FROM revlog")}


@pytest.mark.parametrize("legacy", [False, True], ids=["anki21b", "anki21"])
def test_import_build_and_import_back_changes_nothing(project, tmp_path, legacy) -> None:
    col, ids = make_collection(tmp_path / "user.anki2")
    try:
        package = export(col, tmp_path / "user.apkg", legacy)
        before = _state(col)
        studied = before["cards"][ids["studied_card"]]
        assert studied[2] == 1  # one review

        result = project.run("import", str(package))
        assert result.exit_code == 0, result.output
        assert (project.cards / "media" / "flag of spain.png").is_file()
        built = project.run("build")
        assert built.exit_code == 0, built.output
        assert "0 new, 0 changed" in built.output
        for apkg in sorted(project.build_dir.glob("*.apkg")):
            log = import_package(col, apkg)
            assert not log.new and not log.conflicting and not log.updated, apkg.name
            assert log.duplicate

        after = _state(col)
        assert after == before  # fields, guids, note types, cards and their scheduling, decks
        report = col.media.check()
        assert list(report.missing) == []
        assert integrity_is_clean(col)
    finally:
        col.close()


def test_card_files_read_well_and_keep_identity(project, tmp_path) -> None:
    col, ids = make_collection(tmp_path / "user.anki2")
    try:
        package = export(col, tmp_path / "user.apkg")
        guid = col.get_note(ids["cloze"]).guid
    finally:
        col.close()
    result = project.run("import", str(package))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in project.cards.glob("*.yaml")) == ["geo.yaml", "lang-spanish-verbs.yaml", "lang-spanish.yaml"]
    spanish = (project.cards / "lang-spanish.yaml").read_text(encoding="utf-8")
    assert 'deck: "Lang::Spanish"' in spanish and "format: html" in spanish
    assert "  - id: madrid-is-the-capital-of-spain\n" in spanish
    assert f'guid: "{guid}"' in spanish
    assert 'cloze: "{{c1::Madrid}} is the capital of {{c2::Spain}}"' in spanish
    assert 'extra: "<i>since 1561</i>"' in spanish
    verbs = (project.cards / "lang-spanish-verbs.yaml").read_text(encoding="utf-8")
    assert "notetype: Basic\n" in verbs and 'tags: ["lang::es::verbs", "verbs"]' in verbs
    geo = (project.cards / "geo.yaml").read_text(encoding="utf-8")
    assert 'tags: ["odd::tag#1"]' in geo and '"\\x01' not in geo and "\\x01" in geo
    schema = json.loads(resources.files("deckgen").joinpath("schema.json").read_text(encoding="utf-8"))
    for path in project.cards.glob("*.yaml"):  # what editors check the files against
        root, problems = parse_yaml(path.read_text(encoding="utf-8"), path.name)
        assert problems == []
        assert [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(as_editor_sees(root))] == []
    names = sorted(p.name for p in (project.root / "notetypes").glob("*.json"))
    assert names == ["basic-and-reversed-card.json", "basic-optional-reversed-card.json",
                     "basic-type-in-the-answer.json", "basic.json", "cloze.json"]
    # A second build of unchanged cards keeps everything as it was.
    assert "0 new, 0 changed" in project.run("build").output
    import zipfile

    with zipfile.ZipFile(project.package("lang.apkg")) as built:
        assert "_deck.css" in built.read("media").decode()  # the note type's styling file travels along
    lock = project.lock.read_bytes()
    assert "0 new, 0 changed" in project.run("build").output
    assert project.lock.read_bytes() == lock


def test_edit_after_import_updates_the_note_in_anki(project, tmp_path) -> None:
    col, ids = make_collection(tmp_path / "user.anki2")
    try:
        package = export(col, tmp_path / "user.apkg")
        assert project.run("import", str(package)).exit_code == 0
        path = project.cards / "lang-spanish.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace('q: "el perro"', 'q: "el perro (m)"'), encoding="utf-8")
        result = project.run("build")
        assert "1 changed" in result.output
        log = import_package(col, project.package("lang.apkg"))
        assert len(log.updated) == 1 and not log.new and not log.conflicting
        assert col.get_note(ids["reversed"]).fields[0] == "el perro (m)"
        assert len(col.get_note(ids["reversed"]).cards()) == 2
    finally:
        col.close()


def test_genanki_package_round_trip(project, tmp_path) -> None:
    import genanki

    deck = genanki.Deck(2059400110, "Genanki Deck")
    deck.add_note(genanki.Note(model=genanki.BASIC_MODEL, fields=["Capital of Peru?", "Lima"], tags=["geo"]))
    deck.add_note(genanki.Note(model=genanki.CLOZE_MODEL, fields=["{{c1::Lima}} is in {{c2::Peru}}", ""]))
    package = tmp_path / "genanki.apkg"
    genanki.Package(deck).write_to_file(str(package))
    col = Collection(str(tmp_path / "user.anki2"))
    try:
        import_package(col, package)
        before = _state(col)
        result = project.run("import", str(package))
        assert result.exit_code == 0, result.output
        assert "notetype:" in (project.cards / "genanki-deck.yaml").read_text(encoding="utf-8")
        assert project.run("build").exit_code == 0
        log = import_package(col, project.package("genanki-deck.apkg"))
        assert not log.new and not log.conflicting and not log.updated and len(log.duplicate) == 2
        assert _state(col) == before
    finally:
        col.close()


def test_deckgen_built_package_maps_back_to_deckgen_note_types(project, tmp_path) -> None:
    project.write("demo.yaml", """\
        deck: Demo
        cards:
          - id: one
            q: "What is *this*?"
            a: A test
            reverse: true
            source: Notes
    """)
    assert project.run("build").exit_code == 0
    other = type(project)(tmp_path / "other")
    result = other.run("import", str(project.package("demo.apkg")))
    assert result.exit_code == 0, result.output
    text = (other.cards / "demo.yaml").read_text(encoding="utf-8")
    assert "notetype" not in text and "reverse: true" in text and "q: \"What is <em>this</em>?\"" in text
    assert not (other.root / "notetypes").exists()
    assert "0 new, 0 changed, 1 unchanged" in other.run("build").output


def test_refuses_a_folder_with_card_files_and_merge_adds_only_new_notes(project, tmp_path) -> None:
    col, ids = make_collection(tmp_path / "user.anki2")
    try:
        package = export(col, tmp_path / "user.apkg")
        assert project.run("import", str(package)).exit_code == 0
        files = {p: p.read_bytes() for p in project.root.rglob("*") if p.is_file()}

        again = project.run("import", str(package))
        assert again.exit_code == 1
        assert "already holds card files" in again.stderr and "--merge" in again.stderr
        assert {p: p.read_bytes() for p in project.root.rglob("*") if p.is_file()} == files

        _add(col, "Basic", "Lang::Spanish", {"Front": "comer", "Back": "to eat"}, [])
        newer = export(col, tmp_path / "newer.apkg")
    finally:
        col.close()
    merged = project.run("import", "--merge", str(newer))
    assert merged.exit_code == 0, merged.output
    assert "6 notes already in the project" in merged.output
    added = sorted(set(p for p in project.cards.glob("*.yaml")) - set(files))
    assert [p.name for p in added] == ["lang-spanish-2.yaml"]
    assert "comer" in added[0].read_text(encoding="utf-8")
    assert all(p.read_bytes() == data for p, data in files.items() if p.suffix != ".lock")
    assert "0 new, 0 changed" in project.run("build").output


def test_html_cards_bundle_media_by_name_and_warn_about_missing_files(project, collection) -> None:
    project.write("html.yaml", """\
        deck: Html
        format: html
        cards:
          - id: pic
            q: '<div>Which flag?</div><img src="flag one.png">'
            a: "  Spain [sound:missing.mp3]"
    """)
    (project.cards / "media").mkdir()
    (project.cards / "media" / "flag one.png").write_bytes(png(4, 4, (1, 2, 3)))
    result = project.run("build")
    assert result.exit_code == 0, result.output
    assert "cards/html.yaml:6:8: warning: 'missing.mp3' not found in cards/media" in result.stderr
    import_package(collection, project.package("html.apkg"))
    (nid,) = collection.find_notes("")
    assert collection.get_note(nid).fields[:2] == ['<div>Which flag?</div><img src="flag one.png">', "  Spain [sound:missing.mp3]"]
    report = collection.media.check()
    assert list(report.missing) == ["missing.mp3"] and list(report.unused) == []


def test_import_reports_media_the_package_lacks(project, tmp_path) -> None:
    col = Collection(str(tmp_path / "user.anki2"))
    try:
        _add(col, "Basic", "Default", {"Front": 'see <img src="gone.png">', "Back": "x"}, [])
        package = export(col, tmp_path / "user.apkg")
    finally:
        col.close()
    result = project.run("import", str(package))
    assert result.exit_code == 0
    assert "warning: building the imported cards gives warnings (media-missing: 1)" in result.stderr
    assert "'gone.png' not found in cards/media" in project.run("check").stderr


def test_restyled_project_note_type_updates_in_place(project, tmp_path) -> None:
    col, ids = make_collection(tmp_path / "user.anki2")
    try:
        package = export(col, tmp_path / "user.apkg")
        assert project.run("import", str(package)).exit_code == 0
        assert project.run("build").exit_code == 0
        names = sorted(m["name"] for m in col.models.all())
        mods = {m["name"]: m["mod"] for m in col.models.all()}
        path = project.root / "notetypes" / "basic.json"
        path.write_text(path.read_text(encoding="utf-8").replace('"css": "', '"css": ".card { color: teal; }\\n', 1), encoding="utf-8")
        result = project.run("build")
        assert "0 changed" in result.output  # the notes are unchanged; only their note type is newer
        for apkg in project.build_dir.glob("*.apkg"):
            log = import_package(col, apkg)
            assert not log.new and not log.conflicting
        col.models._clear_cache()  # see _state
        assert sorted(m["name"] for m in col.models.all()) == names  # no "Basic-1a2b3" fork
        assert "color: teal" in col.models.by_name("Basic")["css"]
        # Only the restyled type was updated; the others kept their times.
        assert {m["name"]: m["mod"] for m in col.models.all() if m["name"] != "Basic"} == {k: v for k, v in mods.items() if k != "Basic"}
        assert col.get_note(ids["basic"]).mid == col.models.by_name("Basic")["id"]
    finally:
        col.close()
