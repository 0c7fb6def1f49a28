"""The pipeline's stages one by one, and the bugs that came from wiring them more than once."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from anki_helpers import import_package
from conftest import Project, compiled
from deckgen.anki.notetypes import NoteTypes
from deckgen.anki.package import package_bytes, plan_digest
from deckgen.commands.preview import run_preview
from deckgen.commands.stats import run_stats
from deckgen.commands.watch import WatchSession
from deckgen.compiler.validate import validate_file
from deckgen.compiler.yamlread import parse_yaml

NOW = 1_700_000_000
PLAIN = {"name": "Plain", "id": 1600000000001, "type": 0, "css": ".card { color: teal; }",
         "flds": [{"name": "Front"}, {"name": "Back"}],
         "tmpls": [{"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{FrontSide}}<hr id=answer>{{Back}}"}]}


def _validate(text: str) -> list[tuple[int, int, str]]:
    root, problems = parse_yaml(text, "x.yaml")
    assert root is not None and problems == []
    _, found = validate_file(root, "x.yaml", "/p/x.yaml")
    return sorted((p.location.line, p.location.col, p.code) for p in found)


def test_validate_reports_every_problem_at_its_place() -> None:
    text = "deck: D\ncards:\n  - id: a\n    q: Q?\n  - id: b b\n    cloze: no deletion\n  - q: x\n    a: y\n    revers: true\n"
    assert _validate(text) == [(3, 5, "missing-key"), (5, 9, "bad-id"), (6, 12, "cloze-no-deletion"),
                               (7, 5, "missing-key"), (9, 5, "unknown-key")]


@pytest.mark.parametrize("text, code", [
    ("{{c0::x}}", "cloze-number"), ("{{c501::x}}", "cloze-number"), ("{{c1::never closed", "cloze-unclosed"),
])
def test_validate_refuses_deletions_anki_would_show_as_an_error_card(text: str, code: str) -> None:
    assert [found[2] for found in _validate(f"deck: D\ncards:\n  - id: a\n    cloze: '{text}'\n")] == [code]


@pytest.mark.parametrize("text, count, ordinals", [
    ("{{c1::a}}", 1, (0,)), ("{{c01::a}}", 1, (0,)), ("{{c\u0661::a}}", 1, (0,)),  # any digits Python reads
    ("{{c000001::a}}", 0, ()), ("{{c65536::a}}", 0, ()),  # more than five digits or above 65535: text
    ("{{c2,1,2::a}}", 1, (0, 1)), ("{{c1::a{{c3::b}}}} }}", 2, (0, 2)), ("plain }} text", 0, ()),
])
def test_cloze_numbers_are_read_as_anki_reads_them(text: str, count: int, ordinals: tuple[int, ...]) -> None:
    from deckgen import cloze

    assert (cloze.count(text), cloze.ordinals(text)) == (count, ordinals)


def test_a_deletion_on_several_cards_is_a_cloze_like_any_other(project, collection) -> None:
    # `{{c1,2::...}}` counted for project note types but was an error for deckgen's own cloze cards.
    project.write("a.yaml", "deck: D\ncards:\n  - id: a\n    cloze: '{{c1,2::Paris}} and {{c3::Lyon}}'\n")
    assert project.run("build").exit_code == 0
    import_package(collection, project.package("d.apkg"))
    (nid,) = collection.find_notes("")
    assert sorted(card.ord for card in collection.get_note(nid).cards()) == [0, 1, 2]


def test_card_keys_never_collide_across_scopes(project, collection) -> None:
    # "Demo" + id "a/b" and "Demo/a" + id "b" were once the same lock key and a duplicate id.
    project.write("a.yaml", "deck: Demo\ncards:\n  - id: a/b\n    q: One?\n    a: One\n")
    project.write("b.yaml", "deck: Demo/a\ncards:\n  - id: b\n    q: Two?\n    a: Two\n")
    result = project.run("build")
    assert result.exit_code == 0, result.output
    keys = [line.split("\t")[0] for line in project.lock.read_text().splitlines() if not line.startswith(("#", "@"))]
    assert sorted(keys) == ["Demo%2Fa/b", "Demo/a/b"]
    for package in project.build_dir.glob("*.apkg"):
        import_package(collection, package)
    assert collection.note_count() == 2


def _with_project_type(project: Project) -> Project:
    (project.root / "notetypes").mkdir()
    (project.root / "notetypes" / "plain.json").write_text(json.dumps(PLAIN), encoding="utf-8")
    project.write("p.yaml", "deck: Plain deck\nnotetype: Plain\ntags: [t]\ncards:\n"
                            "  - id: p1\n    q: Typed question?\n    a: Typed answer\n")
    return project


def test_preview_and_watch_draw_cards_of_project_note_types(project, monkeypatch) -> None:
    # The preview and every watch round once fell back to deckgen's own note types and crashed.
    _with_project_type(project)
    monkeypatch.chdir(project.root)
    report = run_preview(project.cards, project.build_dir)
    assert report.wrote and not report.problems
    page = (project.build_dir / "preview.html").read_text(encoding="utf-8")
    assert "Typed question?<hr id=answer>Typed answer" in page and "color: teal" in page
    lines: list[tuple[str, bool]] = []
    session = WatchSession(project.cards, project.build_dir, lambda line, err: lines.append((line, err)))
    assert session.rebuild() and not any(err for _, err in lines)


def test_lint_never_asks_a_project_note_type_card_for_a_source(project) -> None:
    # validate forbids `source` on these cards; lint used to warn that it was missing.
    _with_project_type(project)
    result = project.run("lint", "--strict")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("edit", ["none", "edit", "add", "remove", "break"])
def test_stats_and_preview_read_the_same_project_from_the_cache_as_without(project, tmp_path, monkeypatch, edit) -> None:
    project.write("a.yaml", "deck: A\ncards:\n  - id: a1\n    q: First?\n    a: One\n  - id: a2\n    q: Second?\n    a: Two\n")
    project.write("b.yaml", "deck: B::Sub\ntags: [b]\ncards:\n  - id: b1\n    cloze: '{{c1::x}} and {{c2::y}}'\n")
    monkeypatch.chdir(project.root)
    assert project.run("build").exit_code == 0
    path = project.cards / "a.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text({"none": text, "edit": text.replace("One", "Uno"), "remove": text.split("  - id: a2")[0],
                     "add": text + "  - id: a3\n    q: Third?\n    a: Three\n", "break": text + "  - id: a3\n"}[edit],
                    encoding="utf-8")
    cached_stats = run_stats(project.cards, project.build_dir, now=NOW)
    cached_preview = run_preview(project.cards, project.build_dir, now=NOW)
    cached_page = (project.build_dir / "preview.html").read_bytes() if cached_preview.wrote else None
    (project.build_dir / ".deckgen-cache").unlink()
    assert run_stats(project.cards, project.build_dir, now=NOW) == cached_stats
    assert run_preview(project.cards, project.build_dir, now=NOW) == cached_preview
    assert ((project.build_dir / "preview.html").read_bytes() if cached_preview.wrote else None) == cached_page
    assert cached_stats.failed == (edit == "break")


def test_compile_stamps_against_the_lock_and_reports_removed_cards(project) -> None:
    project.write("a.yaml", "deck: A\ncards:\n  - id: a1\n    q: First?\n    a: One\n  - id: a2\n    q: Second?\n    a: Two\n")
    _, first = compiled(project.cards, now=NOW)
    assert [s.status for s in first.notes] == ["new", "new"]
    project.lock.write_text("".join(e.line() + "\n" for e in first.lock), encoding="utf-8")
    project.write("a.yaml", "deck: A\ncards:\n  - id: a1\n    q: First?\n    a: Uno\n")
    _, second = compiled(project.cards, now=NOW)  # the same second
    ((note,),) = [(s,) for s in second.notes]
    assert (note.status, note.mod) == ("changed", NOW + 1)
    assert [e.key for e in second.removed] == ["A/a2"]
    assert [e.hash for e in second.lock if e.key == "A/a2"] == ["removed"]


def test_an_explicit_guid_equal_to_a_derived_one_is_an_error_naming_both(project) -> None:
    project.write("a.yaml", "deck: A\ncards:\n  - id: a1\n    q: First?\n    a: One\n")
    _, first = compiled(project.cards, now=NOW)
    derived = first.notes[0].guid
    project.write("b.yaml", f"deck: A::B\ncards:\n  - id: b1\n    q: Other?\n    a: Two\n    guid: '{derived}'\n")
    _, second = compiled(project.cards, now=NOW)
    (problem,) = [p for p in second.problems if p.code == "duplicate-guid"]
    assert "cards/a.yaml:3:5" in problem.message and problem.location.path.endswith("b.yaml")


def test_package_bytes_follow_the_plan_digest(project, tmp_path) -> None:
    project.write("a.yaml", "deck: A\ntags: [t]\ncards:\n  - id: a1\n    q: First?\n    a: One\n    reverse: true\n")
    _, compilation = compiled(project.cards, now=NOW)
    (planned,) = compilation.packages
    data = package_bytes(planned.plan)
    assert package_bytes(planned.plan) == data and plan_digest(planned.plan) == planned.digest
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as archive:
        (tmp_path / "c.anki2").write_bytes(archive.read("collection.anki2"))
    db = sqlite3.connect(tmp_path / "c.anki2")
    try:
        (guid, mod, tags, fields), = db.execute("SELECT guid, mod, tags, flds FROM notes").fetchall()
        ords = sorted(row[0] for row in db.execute("SELECT ord FROM cards"))
    finally:
        db.close()
    assert (guid, mod, tags, fields.split("\x1f")[:2], ords) == (planned.plan.notes[0].guid, NOW, " t ", ["First?", "One"], [0, 1])
    project.lock.write_text("".join(e.line() + "\n" for e in compilation.lock), encoding="utf-8")
    _, later = compiled(project.cards, now=NOW + 50)  # nothing changed: the same plan, the same bytes
    assert later.packages[0].digest == planned.digest and package_bytes(later.packages[0].plan) == data


def test_note_types_are_a_value_passed_in(project) -> None:
    project.write("a.yaml", "deck: A\ncards:\n  - id: a\n    q: Q?\n    a: A\n")
    loaded, _ = compiled(project.cards)
    assert loaded.notetypes == NoteTypes()
