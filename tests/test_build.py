"""The build command: summaries, options, reproducible and atomic output."""

from __future__ import annotations

import sqlite3
import tempfile
import zipfile
from pathlib import Path

from deckgen.commands.build import run_build

CARDS = """\
    deck: Demo::Sub
    cards:
      - id: one
        q: Question one?
        a: Answer one
      - id: two
        cloze: "The {{c1::answer}} here"
"""


def test_build_writes_one_package_per_top_level_deck_and_a_summary(project) -> None:
    project.write("a.yaml", CARDS)
    project.write("b.yml", "deck: Other Deck\ncards:\n  - id: x\n    q: Other?\n    a: Yes\n")
    result = project.run("build")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in project.build_dir.iterdir()) == [".deckgen-cache", "demo.apkg", "other-deck.apkg"]
    assert "build/demo.apkg: Demo - 1 deck, 2 notes (2 cards): 2 new, 0 changed, 0 unchanged" in result.output
    assert "no lock file yet: every note counts as new" in result.output
    assert project.lock.is_file()


def test_cards_and_out_options(project, tmp_path: Path) -> None:
    project.write("a.yaml", CARDS)
    elsewhere = tmp_path / "cards-elsewhere"
    project.cards.rename(elsewhere)
    result = project.run("build", "--cards", str(elsewhere), "--out", "dist")
    assert result.exit_code == 0, result.output
    assert (project.root / "dist" / "demo.apkg").is_file()
    assert (tmp_path / "deckgen.lock").is_file()  # beside the card folder


def test_check_writes_nothing_and_exits_zero_when_clean(project) -> None:
    project.write("a.yaml", CARDS)
    result = project.run("check")
    assert result.exit_code == 0
    assert "would write" in result.output
    assert not project.build_dir.exists() and not project.lock.exists()


def test_usage_errors_exit_2(project) -> None:
    assert project.run("build", "--no-such-option").exit_code == 2
    assert project.run("frobnicate").exit_code == 2


def test_missing_card_folder_is_a_clear_error(project) -> None:
    result = project.run("build", "--cards", "nowhere")
    assert result.exit_code == 1
    assert "card folder 'nowhere' does not exist" in result.stderr


def test_packages_are_reproducible_deflated_and_leave_no_temp_files(project, tmp_path: Path, monkeypatch) -> None:
    project.write("a.yaml", CARDS)
    private_temp = tmp_path / "temp"  # a temporary folder of its own: others' files cannot show up in it
    private_temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_temp))
    run_build(project.cards, project.build_dir, now=1_700_000_000)
    first = project.package().read_bytes()
    project.package().unlink()
    run_build(project.cards, project.build_dir, now=1_800_000_000)
    assert project.package().read_bytes() == first
    assert sorted(p.name for p in project.build_dir.iterdir()) == [".deckgen-cache", "demo.apkg"]
    assert list(private_temp.iterdir()) == []
    with zipfile.ZipFile(project.package()) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == ["collection.anki2", "media"]
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
        assert infos[0].compress_type == zipfile.ZIP_DEFLATED
        db_path = tmp_path / "collection.anki2"
        db_path.write_bytes(archive.read("collection.anki2"))
    db = sqlite3.connect(db_path)
    mods = {row[0] for row in db.execute("SELECT mod FROM notes")}
    db.close()
    assert mods == {1_700_000_000}  # stamped by the first build, kept by the second


def test_lock_conflict_markers_are_resolved_and_rewritten(project) -> None:
    project.write("a.yaml", CARDS)
    run_build(project.cards, project.build_dir, now=1_700_000_000)
    lines = project.lock.read_text(encoding="utf-8").splitlines(keepends=True)
    body = [line for line in lines if not line.startswith("#")]
    conflicted = "".join(lines[:3]) + "<<<<<<< ours\n" + "".join(body) + "=======\n" + "".join(body) + ">>>>>>> theirs\n"
    project.lock.write_text(conflicted, encoding="utf-8")
    result = project.run("build")
    assert result.exit_code == 0
    assert "deckgen.lock:4:1: warning: merge conflict markers" in result.stderr
    assert "0 new, 0 changed, 2 unchanged" in result.output
    assert "<<<<<<<" not in project.lock.read_text(encoding="utf-8")


def _rebuild_after_edit(project, edited: str):
    """Build CARDS, replace them with `edited`, and build again."""
    project.write("a.yaml", CARDS)
    assert project.run("build").exit_code == 0
    project.write("a.yaml", edited)
    return project.run("build")


def test_changing_a_card_kind_is_refused(project) -> None:
    result = _rebuild_after_edit(project, CARDS.replace('cloze: "The {{c1::answer}} here"', "q: Now basic?\n        a: Yes"))
    assert result.exit_code == 1
    assert "cards/a.yaml:6:5: error: card 'two' was a cloze card and is now basic" in result.stderr


def test_moving_a_card_to_another_deck_warns(project) -> None:
    result = _rebuild_after_edit(project, CARDS.replace("Demo::Sub", "Demo::Elsewhere"))
    assert result.exit_code == 0
    assert "warning: card 'one' moved from deck 'Demo::Sub' to 'Demo::Elsewhere'" in result.stderr


def test_removed_cards_are_reported_once_and_keep_their_lock_line(project) -> None:
    result = _rebuild_after_edit(project, CARDS.split("      - id: two")[0])
    assert "1 card removed from the sources since the last build (Demo/two)" in result.output
    line = next(row for row in project.lock.read_text(encoding="utf-8").splitlines() if row.startswith("Demo/two"))
    assert line.split("\t")[1] == "removed"
    assert "removed from the sources" not in project.run("build").output
    project.write("a.yaml", CARDS)  # back again: Anki still has its note, so it is an update
    assert "0 new, 1 changed, 1 unchanged" in project.run("build").output


def test_renaming_the_top_level_deck_warns_that_history_would_not_follow(project) -> None:
    result = _rebuild_after_edit(project, CARDS.replace("Demo::Sub", "Renamed::Sub"))
    assert result.exit_code == 0
    assert ("cards/a.yaml:3:5: warning: deck 'Demo' is gone and 'Renamed' reuses 2 of its card ids" in result.stderr)


def test_a_new_deck_with_other_ids_does_not_warn_about_renames(project) -> None:
    result = _rebuild_after_edit(project, CARDS.replace("Demo::Sub", "Other").replace("id: one", "id: uno").replace("id: two", "id: dos"))
    assert "deck-renamed" not in result.stderr


def test_a_lost_lock_recovers_times_from_the_packages_and_ignores_damaged_ones(project) -> None:
    project.write("a.yaml", CARDS)
    run_build(project.cards, project.build_dir, now=1_700_000_000)
    project.lock.unlink()
    (project.build_dir / "junk.apkg").write_bytes(b"not a zip")
    report = run_build(project.cards, project.build_dir, now=1_700_000_000)  # the same second
    assert not report.failed
    assert (report.packages[0].new, report.packages[0].changed) == (0, 2)
    mods = {line.split("\t")[2] for line in project.lock.read_text(encoding="utf-8").splitlines()
            if line.startswith("Demo/")}
    assert mods == {"1700000001"}  # strictly later than the lost times


def test_changing_a_card_id_warns_that_history_would_not_follow(project) -> None:
    result = _rebuild_after_edit(project, CARDS.replace("id: one", "id: first"))
    assert ("cards/a.yaml:3:5: warning: card 'first' has the content of removed card 'Demo/one': "
            "if you changed its id") in result.stderr
