"""Each folder under cases/ is a project with bad cards and the exact messages it must produce."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from conftest import Project

CASES = Path(__file__).parent / "cases"


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
@pytest.mark.parametrize("command", ["build", "check"])
def test_bad_input_is_located_and_nothing_is_written(case: str, command: str, tmp_path: Path) -> None:
    root = tmp_path / case
    shutil.copytree(CASES / case, root)
    expected = (root / "expected.txt").read_text(encoding="utf-8")
    (root / "expected.txt").unlink()
    # A previous good build and lock file that a failed build must leave alone.
    (root / "build").mkdir()
    (root / "build" / "demo.apkg").write_bytes(b"previous package")
    (root / "deckgen.lock").write_text("# previous lock\n", encoding="utf-8")
    before = _snapshot(root)

    result = Project(root).run(command)

    assert result.exit_code == 1
    assert result.stderr == expected
    assert "Traceback" not in result.output
    assert _snapshot(root) == before


def test_every_case_expects_at_least_one_located_error() -> None:
    for case in CASES.iterdir():
        lines = (case / "expected.txt").read_text(encoding="utf-8").splitlines()
        assert any(": error: " in line for line in lines), case.name
        assert lines[-1].endswith("warnings") or lines[-1].endswith("warning")


# Focused tests for hostile input that is not a card file's text: links and special files,
# writes that fail, package names, command lines and packages (issue 11).

GOOD = "deck: {deck}\ncards:\n  - id: {id}\n    q: Question {id}?\n    a: Answer\n"


def _good(project: Project, name: str = "deck.yaml", deck: str = "Demo", card: str = "a") -> Path:
    return project.write(name, GOOD.format(deck=deck, id=card))


def _located_lines(stderr: str) -> list[str]:
    return stderr.splitlines()[:-1]


def test_card_files_and_folders_linked_out_of_the_project_are_errors(project: Project, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "other.yaml").write_text(GOOD.format(deck="Other", id="o"), encoding="utf-8")
    _good(project)
    (project.cards / "linked.yaml").symlink_to(outside / "other.yaml")
    (project.cards / "linked-folder").symlink_to(outside, target_is_directory=True)
    # Links that stay inside the project are followed, and a folder is read once however it is reached.
    _good(project, "real/inside.yaml", "Inside", "i")
    (project.cards / "again").symlink_to(project.cards / "real", target_is_directory=True)
    (project.cards / "alias.yaml").symlink_to(project.cards / "deck.yaml")

    result = project.run("build")

    assert result.exit_code == 1
    assert _located_lines(result.stderr) == [
        "cards/deck.yaml:3:5: error: duplicate card id 'a' in deck 'Demo' (first used at cards/alias.yaml:3:5) (duplicate-id)",
        "cards/linked-folder:1:1: error: is a link to a folder outside the project folder; its cards are not read (outside-project)",
        "cards/linked.yaml:1:1: error: is a link to a file outside the project folder; deckgen reads nothing from outside "
        "the project (outside-project)",
    ]
    assert not project.build_dir.exists() and not project.lock.exists()


@pytest.mark.parametrize("where", ["card file", "note type", "media", "settings", "lock file"])
def test_a_fifo_in_place_of_any_input_is_refused_without_hanging(project: Project, where: str) -> None:
    _good(project)
    paths = {"card file": project.cards / "pipe.yaml", "note type": project.root / "notetypes" / "pipe.json",
             "media": project.cards / "pipe.png", "settings": project.root / "deckgen.toml", "lock file": project.lock}
    fifo = paths[where]
    fifo.parent.mkdir(exist_ok=True)
    os.mkfifo(fifo)
    if where == "media":
        project.write("image.yaml", "deck: Demo\ncards:\n  - id: img\n    q: '![pipe](pipe.png)'\n    a: Answer\n")
    command = "lint" if where == "settings" else "build"

    result = project.run(command)

    assert result.exit_code == 1
    assert "not a regular file (a pipe, device or socket)" in result.stderr and "Traceback" not in result.output
    assert not project.build_dir.exists()


def test_a_link_to_a_device_is_refused_and_every_read_is_bounded(project: Project, tmp_path: Path) -> None:
    from deckgen.project.files import Limits, read_bytes, read_sources

    _good(project)
    (project.cards / "zero.yaml").symlink_to("/dev/zero")
    result = project.run("check")
    assert result.exit_code == 1
    assert "cards/zero.yaml:1:1: error: is a link to a file outside the project folder" in result.stderr
    # Without a project folder to stay in (a lock or settings file given anywhere), a device is still refused.
    data, problem = read_bytes(Path("/dev/zero"), "zero", limit=1 << 20)
    assert data is None and problem is not None and problem.code == "not-a-file"
    (project.cards / "zero.yaml").unlink()
    project.write("big.yaml", GOOD.format(deck="Big", id="b") + "# padding\n" * 20)
    sources, problems = read_sources(project.cards, project.root, Limits(card_file=100))
    assert [s.path.name for s in sources] == ["deck.yaml"]
    assert [(Path(p.location.path).name, p.code) for p in problems] == [("big.yaml", "too-large")]


def test_import_of_a_fifo_is_refused_without_hanging(project: Project, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.apkg")
    result = project.run("import", str(tmp_path / "pipe.apkg"))
    assert result.exit_code == 1
    assert "pipe.apkg is not a file (a folder, pipe or device cannot be a package)" in result.stderr
    assert list(project.root.rglob("*")) == [project.cards]


def _two_packages_then_edit(project: Project) -> dict[str, bytes]:
    _good(project, "a.yaml", "Alpha", "a")
    _good(project, "b.yaml", "Beta", "b")
    assert project.run("build").exit_code == 0
    for name in ("a.yaml", "b.yaml"):
        path = project.cards / name
        path.write_text(path.read_text(encoding="utf-8").replace("Answer", "Edited answer"), encoding="utf-8")
    return _snapshot(project.root)


@pytest.mark.parametrize("blocked", ["build/beta.apkg", "deckgen.lock"])
def test_a_write_target_that_is_a_folder_changes_no_output(project: Project, blocked: str) -> None:
    _two_packages_then_edit(project)
    target = project.root / blocked
    target.unlink()
    target.mkdir()
    before = _snapshot(project.root)

    for command in ("check", "build"):
        result = project.run(command)
        assert result.exit_code == 1, command
        shown = blocked if blocked != "deckgen.lock" else "deckgen.lock"
        assert f"{shown}:1:1: error: " in result.stderr and "it is a folder" in result.stderr, result.stderr
    as_json = json.loads(project.run("build", "--format", "json").stdout)
    assert not as_json["ok"] and as_json["problems"][0]["path"] == blocked
    assert _snapshot(project.root) == before  # alpha.apkg too: all or nothing


def _fail_replacing(monkeypatch, name: str) -> list[str]:
    """Make renaming a temporary file onto `name` fail, as a full disk or a lost permission would."""
    from deckgen.project import writer

    real = os.replace
    tried: list[str] = []

    def replace(source, target) -> None:
        tried.append(Path(target).name)
        if Path(target).name == name and str(source).endswith(".new.deckgen-tmp"):
            raise PermissionError(13, "Permission denied")
        real(source, target)

    monkeypatch.setattr(writer.os, "replace", replace)
    return tried


def test_a_write_failing_half_way_puts_back_every_file_it_replaced(project: Project, monkeypatch) -> None:
    before = _two_packages_then_edit(project)
    tried = _fail_replacing(monkeypatch, "deckgen.lock")

    result = project.run("build", "--format", "json")

    assert result.exit_code == 1
    assert tried[:2] == ["alpha.apkg", "beta.apkg"]  # both packages were already replaced, then put back
    report = json.loads(result.stdout)
    assert [(p["path"], p["code"]) for p in report["problems"]] == [("deckgen.lock", "cannot-write")]
    assert "Permission denied; nothing was changed" in report["problems"][0]["message"]
    assert _snapshot(project.root) == before  # no temporary or backup file left either
    monkeypatch.undo()
    assert project.run("build").exit_code == 0


def test_a_file_written_in_pieces_is_all_of_them_or_nothing(tmp_path: Path, monkeypatch) -> None:
    from deckgen.errors import WriteError
    from deckgen.project import writer

    page, other = tmp_path / "out" / "page.html", tmp_path / "out" / "other"
    writer.write_files({page: (b"<p>", "\u534e".encode(), b"</p>"), other: b"x"})
    assert page.read_bytes() == "<p>\u534e</p>".encode() and other.read_bytes() == b"x"

    class FillsUp:
        """A file whose disk fills up after the first piece."""

        def __init__(self, path, mode) -> None:
            self.handle = open(path, mode)

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            self.handle.close()

        def write(self, data: bytes) -> int:
            return self.handle.write(data)

        def writelines(self, pieces) -> None:
            self.handle.write(pieces[0])
            raise OSError(28, "No space left on device")

        def flush(self) -> None:
            self.handle.flush()

        def fileno(self) -> int:
            return self.handle.fileno()

    monkeypatch.setattr(writer, "open", FillsUp, raising=False)
    with pytest.raises(WriteError, match="No space left on device; nothing was changed"):
        writer.write_files({other: b"y", page: (b"new", b"page")})
    assert page.read_bytes() == "<p>\u534e</p>".encode() and other.read_bytes() == b"x"
    assert sorted(p.name for p in page.parent.iterdir()) == ["other", "page.html"]


def test_ids_and_preview_that_cannot_write_give_a_located_error(project: Project, monkeypatch) -> None:
    from deckgen.project import writer

    project.write("deck.yaml", "deck: Demo\ncards:\n  - q: Question?\n    a: Answer\n")
    before = _snapshot(project.root)
    real = os.access
    # As a read-only folder would refuse writing (chmod does not stop root, who may run the tests).
    monkeypatch.setattr(writer.os, "access", lambda path, mode: False if mode & os.W_OK else real(path, mode))
    result = project.run("ids")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "cards/deck.yaml:1:1: error: cannot write cards/deck.yaml: no permission to write in cards; nothing was changed "
        "(cannot-write)")
    as_json = json.loads(project.run("ids", "--format", "json").stdout)
    assert as_json["problems"][0]["code"] == "cannot-write"
    monkeypatch.undo()
    assert _snapshot(project.root) == before
    assert project.run("ids").exit_code == 0
    (project.root / "blocker").write_text("a file, not a folder", encoding="utf-8")
    result = project.run("preview", "--out", "blocker/out")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.startswith("blocker/out/preview.html:1:1: error: cannot write blocker/out/preview.html: "
                                    "blocker is not a folder")
    (project.root / "build" / "preview.html").mkdir(parents=True)
    result = project.run("preview", "--format", "json")
    assert result.exit_code == 1 and json.loads(result.stdout)["problems"][0]["path"] == "build/preview.html"


def test_ids_locates_invalid_utf8_where_it_is(project: Project) -> None:
    (project.cards / "deck.yaml").write_bytes(b"deck: Demo\ncards:\n  - q: Caf\xe9?\n    a: Answer\n")
    result = project.run("ids")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "cards/deck.yaml:3:11: error: file is not valid UTF-8 (byte 0xe9); save it as UTF-8 (invalid-utf8)")


def test_an_import_failing_half_way_writes_no_card_file_and_can_be_retried(project: Project, tmp_path: Path,
                                                                            monkeypatch) -> None:
    from test_import_roundtrip import export, make_collection

    col, _ = make_collection(tmp_path / "user.anki2")
    try:
        package = export(col, tmp_path / "user.apkg")
    finally:
        col.close()
    _fail_replacing(monkeypatch, "deckgen.lock")

    result = project.run("import", str(package), "--format", "json")

    assert result.exit_code == 1
    (problem,) = json.loads(result.stdout)["problems"]
    assert (problem["path"], problem["code"]) == ("deckgen.lock", "cannot-write")
    assert list(project.root.rglob("*")) == [project.cards]
    monkeypatch.undo()
    result = project.run("import", str(package))
    assert result.exit_code == 0, result.output
    assert project.run("build").exit_code == 0


def test_an_encrypted_package_is_refused(project: Project, tmp_path: Path) -> None:
    import struct
    import zipfile

    plain = tmp_path / "plain.apkg"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("collection.anki2", b"SQLite format 3\x00" + bytes(100))
        archive.writestr("media", b"{}")
    data = bytearray(plain.read_bytes())
    # Set the "encrypted" flag on every entry, local header and directory alike (zipfile cannot encrypt).
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        while at >= 0:
            struct.pack_into("<H", data, at + offset, struct.unpack_from("<H", data, at + offset)[0] | 1)
            at = data.find(signature, at + 4)
    (tmp_path / "locked.apkg").write_bytes(bytes(data))

    result = project.run("import", str(tmp_path / "locked.apkg"))

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "is encrypted; Anki packages never are" in result.stderr
    assert list(project.root.rglob("*")) == [project.cards]


def test_import_without_the_import_extra_says_what_to_install(project: Project, tmp_path: Path, monkeypatch) -> None:
    built = Project(tmp_path / "built")
    _good(built)
    assert built.run("build").exit_code == 0
    monkeypatch.setitem(sys.modules, "zstandard", None)  # as if the extra were not installed
    monkeypatch.setitem(sys.modules, "anki.collection", None)
    result = project.run("import", str(built.package()))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "needs Anki's backend: pip install 'deckgen-anki[import]'" in result.stderr


def test_card_file_names_are_escaped_and_need_not_be_utf8(project: Project) -> None:
    _good(project)
    forged = "note.yaml\ndeck.yaml:1:1: error: forged (x).yaml"
    (project.cards / forged).write_text("deck: Demo\ncards: [\n", encoding="utf-8")
    os.close(os.open(os.fsencode(project.cards) + b"/caf\xe9.yaml", os.O_CREAT | os.O_WRONLY))

    result = project.run("build")

    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == ["cards/caf\\xe9.yaml", "cards/note.yaml\\x0adeck.yaml"]
    assert len(lines) == 3 and lines[-1] == "2 errors, 0 warnings"
    as_json = json.loads(project.run("check", "--format", "json").stdout)
    # JSON escapes the line break itself; the name stays the real one.
    assert sorted(p["path"] for p in as_json["problems"]) == ["cards/caf\\xe9.yaml", "cards/" + forged]


@pytest.mark.parametrize("template", ["x://{nope}", "x://{path", "x://}", "x://{0}", "x://{path.x}", "x://{line[0]}"])
def test_a_broken_editor_url_template_is_bad_usage(project: Project, template: str) -> None:
    _good(project)
    result = project.run("preview", "--editor-url", template)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "--editor-url" in result.stderr
    assert not project.build_dir.exists()


def test_new_refuses_what_it_cannot_write_and_names_that_would_not_build(project: Project) -> None:
    assert project.run("new", "Topic").exit_code == 0
    before = _snapshot(project.root)
    (project.cards / "dangling.yaml").symlink_to(project.root / "nowhere.yaml")
    for args, code, message in [
        (("Topic",), 1, "cards/topic.yaml already exists"),
        (("Other", "--path", "cards/topic.yaml"), 1, "cards/topic.yaml already exists"),
        (("Other", "--path", "cards/dangling.yaml"), 1, "cards/dangling.yaml already exists"),
        (("Other", "--path", "cards/" + "n" * 300 + ".yaml"), 1, "the file name is too long for the file system"),
        (("Other", "--path", "cards/topic.yaml/inner.yaml"), 1, "cards/topic.yaml is not a folder"),
        (("A\x01B",), 2, "'A\\x01B' is not a deck name: deck name contains the control character U+0001"),
        (("A::::B",), 2, "deck name 'A::::B' has an empty part between '::'"),
        (("Line\nbreak",), 2, "'Line\\nbreak' is not a deck name"),
    ]:
        result = project.run("new", *args)
        assert (result.exit_code, "Traceback" in result.output) == (code, False), args
        assert message in result.stderr, (args, result.stderr)
    (project.cards / "dangling.yaml").unlink()
    assert _snapshot(project.root) == before
    # A 300-character deck name gets a file name the file system takes, and the file builds.
    result = project.run("new", "Long " * 60)
    assert result.exit_code == 0, result.output
    assert project.run("build").exit_code == 0


@pytest.mark.parametrize("deck", ["Collection", "collection::Sub", "Backup 2024", "BACKUP-1", "Backups"])
def test_a_package_is_never_named_as_an_anki_collection_backup(project: Project, deck: str) -> None:
    # Anki's File > Import replaces the whole collection with collection.apkg or backup-*.apkg.
    _good(project, deck=f'"{deck}"')
    check = project.run("check")
    result = project.run("build")
    assert result.exit_code == 0, result.output
    (package,) = [p.name for p in project.build_dir.glob("*.apkg")]
    assert package != "collection.apkg" and not package.startswith("backup") and package.startswith("deck-")
    assert f"would write build/{package}" in check.stdout


def test_a_long_cjk_deck_name_gets_a_package_name_the_file_system_takes(project: Project) -> None:
    deck = "漢字" * 50
    _good(project, deck=deck)
    check = project.run("check")
    result = project.run("build")
    assert (check.exit_code, result.exit_code) == (0, 0), result.output
    (package,) = project.build_dir.glob("*.apkg")
    assert f"would write build/{package.name}" in check.stdout and len(os.fsencode(package.name)) < 200


def test_temporary_files_of_a_killed_run_are_removed_and_a_live_runs_kept(project: Project) -> None:
    _good(project)
    dead = next(pid for pid in range(4_194_304, 1, -1) if not _exists(pid))
    project.build_dir.mkdir()
    stale = [project.build_dir / f".demo.apkg.{dead}.new.deckgen-tmp", project.build_dir / f".demo.apkg.{dead}.old.deckgen-tmp",
             project.root / f".deckgen.lock.{dead}.new.deckgen-tmp",
             project.build_dir / f".demo.apkg.{dead}.tmp", project.root / f".deckgen.lock.{dead}.tmp"]  # older versions'
    live = project.build_dir / ".demo.apkg.1.new.deckgen-tmp"  # process 1 always runs
    for path in (*stale, live):
        path.write_bytes(b"half a package")
    assert project.run("build").exit_code == 0
    assert [p for p in stale if p.exists()] == [] and live.exists()


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def test_a_damaged_lock_line_and_a_same_second_edit_still_reach_anki(project: Project, collection, monkeypatch) -> None:
    from anki_helpers import import_package, notes_by_front

    monkeypatch.setattr("deckgen.pipeline.clock", lambda: 1_700_000_000.5)  # every build in one second
    _good(project)
    assert project.run("build").exit_code == 0
    import_package(collection, project.package())
    lines = project.lock.read_text(encoding="utf-8").splitlines(keepends=True)
    damaged = [line.replace("\t", " ", 1) if line.startswith("Demo/a\t") else line for line in lines]
    assert damaged != lines
    project.lock.write_text("".join(damaged), encoding="utf-8")
    (project.cards / "deck.yaml").write_text(GOOD.format(deck="Demo", id="a").replace("Answer", "Edited"), encoding="utf-8")

    result = project.run("build")

    assert result.exit_code == 0
    assert "unreadable lock entry ignored; its card will be stamped as changed (lock-damaged)" in result.stderr
    assert "0 new, 1 changed, 0 unchanged" in result.stdout
    import_package(collection, project.package())
    assert notes_by_front(collection)["Question a?"].fields[1] == "Edited"


# Found while writing the fuzz properties (tests/test_fuzz.py): lock lines that did not survive
# a build, and a comment that made an imported card file unreadable.

@pytest.mark.parametrize("deck", ["#1 Topic", "<<<<<<< Conflicted", "=======", "|||||||x", ">>>>>>> x"])
def test_a_deck_named_like_a_comment_or_conflict_marker_keeps_its_lock_lines(project: Project, deck: str) -> None:
    _good(project, deck=f'"{deck}"')
    assert project.run("build").exit_code == 0
    (project.build_dir / ".deckgen-cache").unlink()  # read the lock file itself, not what the cache remembers
    result = project.run("build")
    assert result.exit_code == 0 and result.stderr == "", result.output
    assert "0 new, 0 changed, 1 unchanged" in result.stdout


def test_a_note_type_name_with_a_tab_or_line_separator_keeps_its_lock_line(project: Project) -> None:
    definition = {"name": "Tab\there\u2028too", "id": 1600000000001, "type": 0, "flds": [{"name": "Front"}, {"name": "Back"}],
                  "tmpls": [{"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{Back}}"}], "css": ""}
    (project.root / "notetypes").mkdir()
    (project.root / "notetypes" / "odd.json").write_text(json.dumps(definition), encoding="utf-8")
    project.write("deck.yaml", 'deck: Demo\nnotetype: "Tab\\there\\u2028too"\ncards:\n'
                               "  - id: a\n    fields: {Front: Question?, Back: Answer}\n")
    assert project.run("build").exit_code == 0
    (project.build_dir / ".deckgen-cache").unlink()
    result = project.run("build")
    assert result.exit_code == 0 and result.stderr == "", result.stderr
    assert "0 new, 0 changed, 1 unchanged" in result.stdout


def test_an_import_from_a_package_with_control_characters_in_its_name_gives_readable_card_files(
        project: Project, tmp_path: Path) -> None:
    built = Project(tmp_path / "built")
    _good(built)
    assert built.run("build").exit_code == 0
    odd = tmp_path / "odd\x01\x7f\ufeff\u2028name.apkg"  # the name goes into each card file's header comment
    odd.write_bytes(built.package().read_bytes())
    result = project.run("import", str(odd))
    assert result.exit_code == 0, result.output
    (card_file,) = project.cards.glob("*.yaml")
    assert "odd\\x01\\x7f\\ufeff\\Lname.apkg" in card_file.read_text(encoding="utf-8").splitlines()[0]
    assert project.run("build").exit_code == 0


def test_the_preview_runs_no_card_script_unless_asked(project: Project) -> None:
    from browser import dump_dom

    # format: html text is what `deckgen import` makes of a stranger's package.
    project.write("deck.yaml", """\
        deck: Demo
        cards:
          - id: s
            format: html
            q: "<script>document.documentElement.setAttribute('data-ran-script', 'yes')</script>Question"
            a: "<img src='x.png' onerror=\\"document.documentElement.setAttribute('data-ran-handler', 'yes')\\">Answer"
    """)
    ran = {}
    for flag in ((), ("--run-card-scripts",)):
        assert project.run("preview", *flag).exit_code == 0
        dom = dump_dom(project.build_dir / "preview.html")
        root = dom[dom.index("<html"): dom.index(">", dom.index("<html"))]
        ran[flag] = ("data-ran-script" in root, "data-ran-handler" in root)
    assert ran == {(): (False, False), ("--run-card-scripts",): (True, True)}


@pytest.mark.parametrize("damage", ["local-header", "compression-method"])
def test_a_package_with_a_damaged_entry_is_refused(project: Project, tmp_path: Path, damage: str) -> None:
    # Found by fuzzing: zipfile raised from opening the entry, past every check, as a traceback.
    import struct

    built = Project(tmp_path / "built")
    _good(built)
    assert built.run("build").exit_code == 0
    data = bytearray(built.package().read_bytes())
    if damage == "local-header":
        data[0] = 0  # the first entry's "PK\x03\x04" signature
    else:  # a compression method zipfile does not know, in the entry and in the directory
        struct.pack_into("<H", data, 8, 99)
        struct.pack_into("<H", data, data.find(b"PK\x01\x02") + 10, 99)
    package = tmp_path / "damaged.apkg"
    package.write_bytes(bytes(data))

    result = project.run("import", str(package), "--format", "json")

    assert result.exit_code == 1
    (problem,) = json.loads(result.stdout)["problems"]
    assert "in the package is damaged" in problem["message"] and problem["code"] == "import-refused"
    assert list(project.root.rglob("*")) == [project.cards]


def test_an_imported_note_whose_tag_card_files_refuse_is_skipped_with_a_warning(project: Project, tmp_path: Path) -> None:
    # Found by fuzzing: Anki keeps a tag with a C1 control character; the import wrote it into a card
    # file that then failed its own check ("please report this as a deckgen bug").
    from anki.collection import Collection

    from anki_helpers import export_package

    col = Collection(str(tmp_path / "theirs.anki2"))
    try:
        for front, tags in (("Kept?", ["fine"]), ("Odd tag?", ["odd\x80tag"])):
            note = col.new_note(col.models.by_name("Basic"))
            note["Front"], note["Back"] = front, "Answer"
            note.tags = tags
            col.add_note(note, col.decks.id("Theirs"))
        export_package(col, tmp_path / "theirs.apkg")
    finally:
        col.close()

    result = project.run("import", str(tmp_path / "theirs.apkg"))

    assert result.exit_code == 0, result.output
    assert "tag contains the control character U+0080; a tag cannot hold control characters (import-note-skipped)" \
        in result.stderr
    (card_file,) = project.cards.glob("*.yaml")
    text = card_file.read_text(encoding="utf-8")
    assert "Kept?" in text and "Odd tag?" not in text
    assert project.run("build").exit_code == 0


def test_a_package_whose_decks_share_a_package_name_is_refused_with_what_to_do(project: Project, tmp_path: Path) -> None:
    # Found by fuzzing: top-level decks "Physics" and "Physics!" both make physics.apkg; the import's
    # staged build failed and the message blamed deckgen.
    from anki.collection import Collection

    from anki_helpers import export_package

    col = Collection(str(tmp_path / "theirs.anki2"))
    try:
        for deck in ("Physics", "Physics!"):
            note = col.new_note(col.models.by_name("Basic"))
            note["Front"], note["Back"] = f"In {deck}?", "Answer"
            col.add_note(note, col.decks.id(deck))
        export_package(col, tmp_path / "theirs.apkg")
    finally:
        col.close()

    result = project.run("import", str(tmp_path / "theirs.apkg"))

    assert result.exit_code == 1
    assert ("the package's decks 'Physics' and 'Physics!' would both be written to physics.apkg: deckgen builds one "
            "package per top-level deck, named after it; rename one of those decks in Anki and export again") in result.stderr
    assert "deckgen bug" not in result.stderr
    assert list(project.root.rglob("*")) == [project.cards]


def test_an_imported_note_with_more_fields_than_its_note_type_is_skipped_with_a_warning(project: Project,
                                                                                         tmp_path: Path) -> None:
    # Found by fuzzing: a package written past Anki's editor can hold a field separator inside a
    # field; the note then has one field too many and the import blamed deckgen.
    from anki.collection import Collection

    from anki_helpers import export_package

    col = Collection(str(tmp_path / "theirs.anki2"))
    try:
        ids = []
        for front in ("Kept?", "Damaged?"):
            note = col.new_note(col.models.by_name("Basic"))
            note["Front"], note["Back"] = front, "Answer"
            col.add_note(note, col.decks.id("Theirs"))
            ids.append(note.id)
        col.db.execute("UPDATE notes SET flds = ? WHERE id = ?", "Damaged?\x1fAn\x1fswer", ids[1])
        export_package(col, tmp_path / "theirs.apkg")
    finally:
        col.close()

    result = project.run("import", str(tmp_path / "theirs.apkg"))

    assert result.exit_code == 0, result.output
    assert f"skipped note {ids[1]} (Basic): it has 3 fields, its note type 2 (import-note-skipped)" in result.stderr
    (card_file,) = project.cards.glob("*.yaml")
    assert "Kept?" in card_file.read_text(encoding="utf-8") and "Damaged?" not in card_file.read_text(encoding="utf-8")
    assert project.run("build").exit_code == 0
