"""`deckgen sync` against real collection files: the plan's counts and what the collection holds after."""

from __future__ import annotations

import pytest
from anki.collection import Collection
from anki_helpers import study
from sync_helpers import CHANGED, DEMO, MOVED, NOW, SUB, by_first_field, counts, digest, edit_in_anki, empty_collection, note_of, scheduling, sync


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


def _study_alpha(col) -> int:
    c = Collection(str(col))
    try:
        card = study(c, "Demo")
        study(c, "Demo", ease=4)
        return card.id
    finally:
        c.close()


def test_edit_add_remove_and_move_in_one_second_keep_every_studied_card(demo) -> None:
    project, col = demo
    sync(project, col)
    studied = {n["fields"][0]: n["cards"][0] for n in by_first_field(col).values()}
    _study_alpha(col)
    before = {front: scheduling(col, cid) for front, cid in studied.items()}
    assert any(s[2] for s in before.values())  # something was studied
    project.write("demo.yaml", CHANGED)
    project.write("demo/sub.yaml", MOVED)
    code, doc = sync(project, col)
    assert code == 0, doc
    assert counts(doc) == {"new": 1, "updated": 1, "unchanged": 1, "moved": 1, "removed": 1, "conflicts": 0}
    notes = by_first_field(col)
    assert notes["What is alpha?"]["fields"][1] == "The very first letter"
    assert notes["What is epsilon?"]["decks"] == ["Demo"]
    assert notes["Delta is letter {{c1::four}}."]["decks"] == ["Demo::Other"]
    gamma = notes["What is gamma?"]
    assert gamma["suspended"] == [True] and "deckgen::removed" in gamma["tags"]
    for front, cid in studied.items():
        assert scheduling(col, cid) == before[front], front
    code, doc = sync(project, col)
    assert counts(doc) == {"new": 0, "updated": 0, "unchanged": 4, "moved": 0, "removed": 0, "conflicts": 0}


def test_a_removed_card_that_comes_back_is_unsuspended_and_untagged(demo) -> None:
    project, col = demo
    sync(project, col)
    project.write("demo.yaml", CHANGED)
    sync(project, col)
    project.write("demo.yaml", DEMO)
    code, doc = sync(project, col)
    assert code == 0 and doc["restored"] == 1
    gamma = note_of(col, "gamma")
    assert gamma["suspended"] == [False] and "deckgen::removed" not in gamma["tags"]
    assert note_of(col, "epsilon")["suspended"] == [True]


def test_removed_delete_deletes_and_keep_leaves_them(demo) -> None:
    project, col = demo
    sync(project, col)
    project.write("demo.yaml", CHANGED)
    code, doc = sync(project, col, "--removed", "keep")
    assert code == 0 and doc["removed"] == 0
    assert note_of(col, "gamma")["suspended"] == [False]
    code, doc = sync(project, col, "--removed", "delete")
    assert code == 0 and doc["removed"] == 1
    assert not [front for front in by_first_field(col) if "gamma" in front]


def test_an_edit_in_anki_alone_is_kept_and_reported(demo) -> None:
    project, col = demo
    sync(project, col)
    edit_in_anki(col, "alpha", 1, "The first letter (fixed in Anki)")
    code, doc = sync(project, col)
    assert code == 0
    assert [e["id"] for e in doc["edited_in_anki"]] == ["alpha"]
    assert note_of(col, "alpha")["fields"][1] == "The first letter (fixed in Anki)"


def test_an_edit_in_anki_and_in_yaml_is_a_conflict_the_anki_text_survives_and_force_overwrites(demo) -> None:
    project, col = demo
    sync(project, col)
    edit_in_anki(col, "alpha", 1, "The first letter (fixed in Anki)")
    project.write("demo.yaml", CHANGED)
    code, doc = sync(project, col)
    assert code == 1
    assert doc["conflicts"] == [{"id": "alpha", "file": "cards/demo.yaml", "line": 4}]
    assert doc["new"] == 1 and doc["removed"] == 1  # everything else applied
    assert note_of(col, "alpha")["fields"][1] == "The first letter (fixed in Anki)"
    code, doc = sync(project, col)  # still a conflict the next time
    assert code == 1 and len(doc["conflicts"]) == 1
    code, doc = sync(project, col, "--force")
    assert code == 0 and doc["updated"] == 1 and doc["conflicts"] == []
    assert note_of(col, "alpha")["fields"][1] == "The very first letter"
    code, doc = sync(project, col)
    assert code == 0 and doc["unchanged"] == 4


def test_a_conflict_without_sync_state_is_found_from_the_lock_file(demo) -> None:
    project, col = demo
    sync(project, col)
    for state in (project.build_dir / "sync").glob("*.json"):
        state.unlink()
    edit_in_anki(col, "alpha", 1, "The first letter (fixed in Anki)")
    project.write("demo.yaml", CHANGED)
    code, doc = sync(project, col)
    assert code == 1 and [c["id"] for c in doc["conflicts"]] == ["alpha"]
    assert note_of(col, "alpha")["fields"][1] == "The first letter (fixed in Anki)"
    code, doc = sync(project, col)
    assert code == 1 and [c["id"] for c in doc["conflicts"]] == ["alpha"]


def test_dry_run_changes_nothing_anywhere(demo) -> None:
    project, col = demo
    before = digest(col)
    code, doc = sync(project, col, "--dry-run")
    assert code == 0 and doc["dry_run"] is True and doc["new"] == 4
    assert digest(col) == before
    assert not project.build_dir.exists() and not project.lock.exists()
    assert not (col.parent / "backups").exists()


def test_a_collection_held_open_is_refused_with_nothing_changed(demo) -> None:
    project, col = demo
    sync(project, col)
    project.write("demo.yaml", CHANGED)
    holder = Collection(str(col))
    try:
        lock_before = project.lock.read_bytes()
        result = project.run("sync", "--collection", str(col))
        assert result.exit_code == 1
        assert "open in Anki" in result.output and len(result.output.strip().splitlines()) == 1
        assert project.lock.read_bytes() == lock_before
        code, doc = sync(project, col)
        assert code == 1 and doc["ok"] is False and "open in Anki" in doc["error"]
    finally:
        holder.close()
    assert note_of(col, "alpha")["fields"][1] == "The first letter"


def test_bad_input_is_reported_and_the_collection_not_opened(demo) -> None:
    project, col = demo
    project.write("demo.yaml", DEMO + "      - id: alpha\n        q: again\n        a: dup\n")
    holder = Collection(str(col))  # opening it would be refused: it must not be tried
    try:
        result = project.run("sync", "--collection", str(col))
    finally:
        holder.close()
    assert result.exit_code == 1
    assert "cards/demo.yaml:" in result.output and "open in Anki" not in result.output


def test_text_output_shows_the_plan_per_deck(demo) -> None:
    project, col = demo
    result = project.run("sync", "--collection", str(col))
    assert result.exit_code == 0, result.output
    assert "  Demo: 4 new, 0 updated, 0 unchanged, 0 moved, 0 removed (suspended), 0 conflicts" in result.output
    assert "backup: " in result.output


def test_bad_usage_exits_2(demo) -> None:
    project, col = demo
    result = project.run("sync", "--collection", str(col), "--profile", "User 1")
    assert result.exit_code == 2
    result = project.run("sync", "--collection", str(col), "--removed", "burn")
    assert result.exit_code == 2


def test_a_yaml_edit_reaches_a_note_whose_time_equals_the_packages(demo) -> None:
    project, col = demo
    sync(project, col)
    c = Collection(str(col))
    try:  # the importer skips a note whose time equals the package's, even with "update always"
        c.db.execute("update notes set mod = ?", int(NOW) + 1)
    finally:
        c.close()
    project.write("demo.yaml", CHANGED)
    code, doc = sync(project, col)
    assert code == 0 and doc["updated"] == 1
    assert note_of(col, "alpha")["fields"][1] == "The very first letter"


def test_a_tag_edit_in_yaml_reaches_the_collection(demo) -> None:
    project, col = demo
    sync(project, col)
    project.write("demo.yaml", DEMO.replace("tags: [greek]", "tags: [letters]"))
    code, doc = sync(project, col)
    assert code == 0 and doc["updated"] == 1
    assert note_of(col, "beta")["tags"] == ["demo", "letters"]


def test_the_profile_is_found_in_ankis_folder(demo, monkeypatch, tmp_path) -> None:
    project, col = demo
    monkeypatch.setenv("ANKI_BASE", str(col.parent.parent))
    result = project.run("sync", "--format", "json")
    assert result.exit_code == 0, result.output
    empty_collection(col.parent.parent / "User 2")
    result = project.run("sync")
    assert result.exit_code == 1
    assert "several Anki profiles" in result.output and "User 1, User 2" in result.output
    result = project.run("sync", "--profile", "User 2", "--format", "json")
    assert result.exit_code == 0 and '"new": 4' in result.output
    result = project.run("sync", "--profile", "Nobody")
    assert result.exit_code == 1 and "no Anki profile 'Nobody'" in result.output
    result = project.run("sync", "--base", str(tmp_path / "nowhere"))
    assert result.exit_code == 1 and "no Anki folder" in result.output


def test_a_missing_collection_file_is_one_line_and_nothing_is_created(demo, tmp_path) -> None:
    project, _ = demo
    missing = tmp_path / "none" / "collection.anki2"
    result = project.run("sync", "--collection", str(missing))
    assert result.exit_code == 1 and "no Anki collection at" in result.output
    assert not missing.exists() and not project.lock.exists()


def test_without_ankis_backend_the_message_names_the_install_command(demo, monkeypatch) -> None:
    import builtins

    project, col = demo
    real_import = builtins.__import__

    def no_anki(name, *args, **kwargs):
        if name == "anki" or name.startswith("anki."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_anki)
    result = project.run("sync", "--collection", str(col))
    assert result.exit_code == 1
    assert "pip install 'deckgen-anki[import]'" in result.output


def test_json_has_every_documented_key(demo) -> None:
    project, col = demo
    code, doc = sync(project, col, "--dry-run")
    assert code == 0
    for key in ("new", "updated", "unchanged", "moved", "removed", "conflicts", "dry_run", "backup", "restored",
                "edited_in_anki", "decks", "applied", "problems"):
        assert key in doc, key
    assert [d["deck"] for d in doc["decks"]] == ["Demo"] and doc["decks"][0]["new"] == 4


def test_a_note_whose_type_was_changed_in_anki_is_left_even_when_forced(demo) -> None:
    project, col = demo
    sync(project, col)
    c = Collection(str(col))
    try:  # Anki's Change Note Type, from deckgen's basic type to Anki's own Basic
        nid = next(n for n in c.find_notes("") if "alpha" in c.get_note(n).fields[0])
        old = c.get_note(nid).note_type()
        basic = c.models.by_name("Basic")
        request = c.models.change_notetype_info(old_notetype_id=old["id"], new_notetype_id=basic["id"])
        request.input.note_ids.extend([nid])
        c.models.change_notetype_of_notes(request.input)
    finally:
        c.close()
    project.write("demo.yaml", CHANGED)
    code, doc = sync(project, col, "--force")
    assert code == 1 and [c["id"] for c in doc["conflicts"]] == ["alpha"]
    assert "note type was changed in Anki" in doc["problems"][0]["message"]
    assert note_of(col, "alpha")["fields"][1] == "The first letter"


def test_restoring_unsuspends_only_the_cards_sync_suspended(project, tmp_path) -> None:
    project.write("demo.yaml", DEMO.replace("    a: The third letter\n", "    a: The third letter\n        reverse: true\n"))
    col = empty_collection(tmp_path / "anki")
    sync(project, col)
    gamma = note_of(col, "gamma")
    c = Collection(str(col))
    try:  # the user suspends one of gamma's two cards
        c.sched.suspend_cards([gamma["cards"][1]])
    finally:
        c.close()
    project.write("demo.yaml", CHANGED)
    sync(project, col)
    assert note_of(col, "gamma")["suspended"] == [True, True]
    project.write("demo.yaml", DEMO.replace("    a: The third letter\n", "    a: The third letter\n        reverse: true\n"))
    code, doc = sync(project, col)
    assert code == 0 and doc["restored"] == 1
    assert note_of(col, "gamma")["suspended"] == [False, True]


def test_a_state_file_that_cannot_be_written_stops_before_the_collection_is_opened(demo) -> None:
    project, col = demo
    project.build_dir.mkdir()
    (project.build_dir / "sync").write_text("not a folder")
    before = digest(col)
    result = project.run("sync", "--collection", str(col))
    assert result.exit_code == 1 and "cannot write" in result.output
    assert digest(col) == before and not project.lock.exists()


def test_a_collection_failure_after_the_backup_says_where_the_backup_is(demo, monkeypatch) -> None:
    from deckgen.anki.collection import CollectionError, DirectCollection

    project, col = demo
    sync(project, col)
    project.write("demo/sub.yaml", MOVED)

    def broken(self, card_ids, deck):
        raise CollectionError("the disk is full")

    monkeypatch.setattr(DirectCollection, "move_cards", broken)
    lock_before = project.lock.read_bytes()
    result = project.run("sync", "--collection", str(col))
    assert result.exit_code == 1
    assert "the disk is full; the collection was backed up before the first change: " in result.output
    assert ".colpkg" in result.output
    assert project.lock.read_bytes() == lock_before  # nothing claims the failed change was made
