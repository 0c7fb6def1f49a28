"""Import built packages into real Anki collections and live the user's edit cycle."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest


from anki_helpers import import_package, integrity_is_clean, notes_by_front, study

DEMO = """\
    deck: Demo::Makers
    tags: [demo::makers]
    source: "Study notes, 2022"
    cards:
      - id: mindspore
        q: Which company built MindSpore?
        a: Huawei (华为)
        tags: [company::huawei]
        reverse: true
      - id: tensorrt
        q: Which company built TensorRT?
        a: "NVIDIA <GPU> & co"
      - id: tfrt
        cloze: "TFRT was open-sourced in {{c1::2020}} by {{c2::Google}}."
        extra: "Its runtime is\\nlock-free"
"""
OTHER = """\
    deck: Demo::Compilers::MLIR
    tags: [demo::compilers]
    cards:
      - id: mlir
        q: Which compiler infrastructure does TFRT pair with?
        a: MLIR
"""


@pytest.fixture(autouse=True)
def same_second(monkeypatch):
    """Every build in these tests runs within one second: the hard case, where a changed note's
    time must still move past the one Anki has (a real clock would only sometimes hit it)."""
    monkeypatch.setattr("deckgen.pipeline.clock", lambda: 1_700_000_000.25)


@pytest.fixture
def demo(project):
    project.write("makers.yaml", DEMO)
    project.write("compilers/mlir.yaml", OTHER)
    return project


def build(project, now=None):
    result = project.run("build")
    assert result.exit_code == 0, result.output
    return project.package("demo.apkg")


def test_import_gives_decks_notetypes_fields_tags_and_cards(demo, collection) -> None:
    log = import_package(collection, build(demo))

    assert len(log.new) == 4
    names = {d.name for d in collection.decks.all_names_and_ids()}
    assert {"Demo", "Demo::Makers", "Demo::Compilers", "Demo::Compilers::MLIR"} <= names
    notetypes = {m["name"]: [f["name"] for f in m["flds"]] for m in collection.models.all()}
    assert notetypes["deckgen Basic"] == ["Front", "Back", "Extra", "Source", "Reverse"]
    assert notetypes["deckgen Cloze"] == ["Text", "Extra", "Source"]
    notes = notes_by_front(collection)
    maker = notes["Which company built MindSpore?"]
    assert maker.fields[1] == "Huawei (华为)"
    assert maker.fields[3] == "Study notes, 2022"
    assert sorted(maker.tags) == ["company::huawei", "demo::makers"]
    assert len(maker.cards()) == 2  # reverse card too
    assert notes["Which company built TensorRT?"].fields[1] == "NVIDIA &lt;GPU&gt; &amp; co"
    cloze = notes["TFRT was open-sourced in {{c1::2020}} by {{c2::Google}}."]
    assert cloze.fields[1] == "Its runtime is<br>lock-free"
    assert len(cloze.cards()) == 2
    assert collection.card_count() == 6
    mlir_card = notes["Which compiler infrastructure does TFRT pair with?"].cards()[0]
    assert collection.decks.name(mlir_card.did) == "Demo::Compilers::MLIR"
    assert integrity_is_clean(collection)


def test_cards_render_front_back_and_source(demo, collection) -> None:
    import_package(collection, build(demo))
    notes = notes_by_front(collection)
    reverse = next(c for c in notes["Which company built MindSpore?"].cards() if c.ord == 1)
    assert "Huawei (华为)" in reverse.question()
    assert "Which company built MindSpore?" in reverse.answer()
    assert 'class="dg-source">Study notes, 2022' in reverse.answer()
    cloze = notes["TFRT was open-sourced in {{c1::2020}} by {{c2::Google}}."].cards()[0]
    shown = re.sub(r"<[^>]+>", "", cloze.question().split("</style>")[-1])
    assert shown == "TFRT was open-sourced in [...] by Google."
    assert "2020" in re.sub(r"<[^>]+>", "", cloze.answer())


def test_edit_and_add_same_second_updates_in_place_and_keeps_history(demo, collection) -> None:
    import_package(collection, build(demo))
    studied = study(collection, "Demo::Makers")
    studied_note = collection.get_note(studied.nid)
    assert studied.reps == 1
    history = (studied.ivl, studied.due, studied.reps, studied.type, studied.queue)

    # Edit the studied card's answer and add a card, then rebuild in the same second.
    text = (demo.cards / "makers.yaml").read_text(encoding="utf-8")
    old_answer = studied_note.fields[1]
    edited = text.replace(f"a: {old_answer}", f"a: {old_answer} (edited)", 1)
    if edited == text:  # the studied card may be a quoted answer
        edited = text.replace(f'a: "{old_answer}"', f'a: "{old_answer} (edited)"', 1)
    assert edited != text
    edited += "  - id: added\n    q: Which company built ncnn?\n    a: Tencent\n"
    (demo.cards / "makers.yaml").write_text(edited, encoding="utf-8")
    result = demo.run("build")
    assert "1 new, 1 changed, 3 unchanged" in result.output

    log = import_package(collection, demo.package("demo.apkg"))

    assert len(log.updated) == 1 and len(log.new) == 1
    assert len(log.duplicate) == 3  # Anki's word for "already there, unchanged"
    assert not log.conflicting
    assert collection.note_count() == 5
    assert collection.get_note(studied.nid).fields[1].endswith("(edited)")
    after = collection.get_card(studied.id)
    assert (after.ivl, after.due, after.reps, after.type, after.queue) == history
    assert integrity_is_clean(collection)


def test_anki_keeps_every_card_id_the_package_gives(project, collection) -> None:
    import sqlite3
    import zipfile

    # Enough cards that, were card ids spread into the future, some would surely lie there.
    project.write("many.yaml", "deck: Demo\ncards:\n" + "".join(
        f"  - id: c{i}\n    q: Question {i}?\n    a: Answer {i}\n" for i in range(80)))
    package = build(project)
    import_package(collection, package)
    with zipfile.ZipFile(package) as archive:
        (project.root / "inside.anki2").write_bytes(archive.read("collection.anki2"))
    db = sqlite3.connect(project.root / "inside.anki2")
    try:
        ours = {row[0] for row in db.execute("SELECT id FROM cards")}
    finally:
        db.close()
    assert set(collection.find_cards("")) == ours and len(ours) == 80


def test_unchanged_rebuild_is_byte_identical_and_imports_as_unchanged(demo, collection) -> None:
    first = build(demo).read_bytes()
    lock = demo.lock.read_bytes()
    import_package(collection, demo.package("demo.apkg"))

    result = demo.run("build")
    assert "0 new, 0 changed, 4 unchanged" in result.output
    assert demo.package("demo.apkg").read_bytes() == first
    assert demo.lock.read_bytes() == lock
    log = import_package(collection, demo.package("demo.apkg"))
    assert not log.new and not log.updated and len(log.duplicate) == 4


def test_moving_a_card_to_another_file_keeps_its_identity(demo, collection) -> None:
    import_package(collection, build(demo))
    text = (demo.cards / "makers.yaml").read_text(encoding="utf-8")
    start = text.index("  - id: tensorrt")
    end = text.index("  - id: tfrt")
    moved = text[start:end]
    (demo.cards / "makers.yaml").write_text(text[:start] + text[end:], encoding="utf-8")
    demo.write("more.yaml", "deck: Demo::Makers\ntags: [demo::makers]\nsource: \"Study notes, 2022\"\ncards:\n" + moved)

    result = demo.run("build")
    assert "0 new, 0 changed, 4 unchanged" in result.output
    log = import_package(collection, demo.package("demo.apkg"))
    assert not log.new and collection.note_count() == 4


def test_lost_lock_file_updates_notes_and_never_duplicates(demo, collection) -> None:
    import_package(collection, build(demo))
    demo.lock.unlink()
    text = (demo.cards / "makers.yaml").read_text(encoding="utf-8")
    (demo.cards / "makers.yaml").write_text(text.replace("a: MLIR", "a: MLIR!"), encoding="utf-8")
    (demo.cards / "compilers" / "mlir.yaml").write_text(
        (demo.cards / "compilers" / "mlir.yaml").read_text(encoding="utf-8").replace("a: MLIR", "a: MLIR (LLVM)"),
        encoding="utf-8",
    )

    # In the same second as the last build: the times recovered from build/ keep the edit newer.
    result = demo.run("build")
    assert "no lock file: notes found in the last packages count as changed" in result.output
    assert "0 new, 4 changed, 0 unchanged" in result.output
    log = import_package(collection, demo.package("demo.apkg"))

    assert not log.new and not log.conflicting
    assert collection.note_count() == 4
    assert notes_by_front(collection)["Which compiler infrastructure does TFRT pair with?"].fields[1] == "MLIR (LLVM)"


def test_changed_note_type_styling_updates_the_same_note_type(demo, collection, monkeypatch) -> None:
    import_package(collection, build(demo))
    from deckgen.anki import notetypes

    restyled = dataclasses.replace(notetypes.BASIC, css=notetypes.BASIC.css + "\n.dg-q { color: teal; }\n")
    monkeypatch.setattr(notetypes, "OWN_TYPES", (restyled, notetypes.CLOZE))
    build(demo)
    import_package(collection, demo.package("demo.apkg"))

    names = sorted(m["name"] for m in collection.models.all() if m["name"].startswith("deckgen"))
    assert names == ["deckgen Basic", "deckgen Cloze"]  # no "deckgen Basic+" fork
    assert "color: teal" in collection.models.by_name("deckgen Basic")["css"]


def test_adding_a_reverse_card_or_a_deletion_adds_cards_and_keeps_history(demo, collection) -> None:
    import_package(collection, build(demo))
    studied = study(collection, "Demo::Makers")
    before = (studied.ivl, studied.due, studied.reps)
    text = (demo.cards / "makers.yaml").read_text(encoding="utf-8")
    text = text.replace('    a: "NVIDIA <GPU> & co"\n', '    a: "NVIDIA <GPU> & co"\n    reverse: true\n')
    assert "reverse: true\n  - id: tfrt" in text
    text = text.replace("by {{c2::Google}}.", "by {{c2::Google}} in {{c3::California}}.")
    (demo.cards / "makers.yaml").write_text(text, encoding="utf-8")
    build(demo)

    log = import_package(collection, demo.package("demo.apkg"))

    assert len(log.updated) == 2 and not log.new and not log.conflicting
    notes = notes_by_front(collection)
    assert len(notes["Which company built TensorRT?"].cards()) == 2
    cloze = next(n for front, n in notes.items() if "California" in front)
    assert sorted(card.ord for card in cloze.cards()) == [0, 1, 2]
    after = collection.get_card(studied.id)
    assert (after.ivl, after.due, after.reps) == before
    assert integrity_is_clean(collection)


def test_a_renamed_top_level_deck_keeps_identity_with_a_namespace(demo, collection) -> None:
    import_package(collection, build(demo))
    studied = study(collection, "Demo::Makers")
    for path in demo.cards.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8").replace("deck: Demo::", "deck: Frameworks::")
        path.write_text("namespace: Demo\n" + text, encoding="utf-8")

    result = demo.run("build")
    assert result.exit_code == 0 and "deck-renamed" not in result.stderr
    assert "built build/frameworks.apkg" in result.output and "0 new" in result.output
    log = import_package(collection, demo.package("frameworks.apkg"))

    assert not log.new and not log.conflicting and collection.note_count() == 4
    assert collection.get_card(studied.id).reps == 1


def test_renaming_without_a_namespace_warns_and_suggests_one(demo, collection) -> None:
    build(demo)
    for path in demo.cards.rglob("*.yaml"):
        path.write_text(path.read_text(encoding="utf-8").replace("deck: Demo::", "deck: Frameworks::"), encoding="utf-8")
    result = demo.run("build")
    assert "warning: deck 'Demo' is gone and 'Frameworks' reuses 4 of its card ids" in result.stderr
    assert "add `namespace: Demo`" in result.stderr


def test_a_moved_card_warning_names_an_anki_search_that_finds_it(demo, collection) -> None:
    import_package(collection, build(demo))
    path = demo.cards / "compilers" / "mlir.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("Demo::Compilers::MLIR", "Demo::Makers"), encoding="utf-8")
    result = demo.run("build")
    found = re.search(r"card 'mlir' moved from deck 'Demo::Compilers::MLIR' to 'Demo::Makers'.*?search (nid:\d+)",
                      result.stderr)
    assert found, result.stderr
    import_package(collection, demo.package("demo.apkg"))
    (nid,) = collection.find_notes(found.group(1))
    assert collection.get_note(nid).fields[0] == "Which compiler infrastructure does TFRT pair with?"
    card = collection.get_note(nid).cards()[0]
    assert collection.decks.name(card.did) == "Demo::Compilers::MLIR"  # as the warning says: not moved


def test_a_card_removed_and_added_back_updates_its_old_note(demo, collection) -> None:
    import_package(collection, build(demo))
    studied = study(collection, "Demo::Compilers::MLIR")
    path = demo.cards / "compilers" / "mlir.yaml"
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace("  - id: mlir", "  - id: other-id"), encoding="utf-8")
    assert "1 card removed" in demo.run("build").output
    path.write_text(original.replace("a: MLIR", "a: MLIR, Google's compiler infrastructure"), encoding="utf-8")
    build(demo)

    log = import_package(collection, demo.package("demo.apkg"))

    assert len(log.updated) == 1 and not log.new and not log.conflicting
    note = collection.get_note(studied.nid)
    assert note.fields[1] == "MLIR, Google's compiler infrastructure"
    assert collection.get_card(studied.id).reps == 1


def test_a_note_type_file_with_only_the_keys_deckgen_reads_imports_into_anki(project, collection) -> None:
    # A hand-written file names no sticky/rtl/font... : Anki refuses a package lacking them.
    (project.root / "notetypes").mkdir(parents=True)
    (project.root / "notetypes" / "term.json").write_text(json.dumps({
        "name": "Term", "id": 1700000000001, "type": 0,
        "flds": [{"name": "Term"}, {"name": "Meaning"}],
        "tmpls": [{"name": "Card 1", "qfmt": "{{Term}}", "afmt": "{{FrontSide}}<hr id=answer>{{Meaning}}"}],
    }), encoding="utf-8")
    project.write("terms.yaml", """\
        deck: Terms
        notetype: Term
        cards:
          - id: xla
            fields: {Term: XLA, Meaning: a compiler for linear algebra}
        """)
    assert project.run("build").exit_code == 0

    log = import_package(collection, project.package("terms.apkg"))

    assert len(log.new) == 1
    (nid,) = collection.find_notes("")
    note = collection.get_note(nid)
    assert note.note_type()["name"] == "Term" and list(note.fields) == ["XLA", "a compiler for linear algebra"]
    assert "a compiler for linear algebra" in note.cards()[0].answer()
