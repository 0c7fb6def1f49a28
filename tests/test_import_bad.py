"""Untrusted packages: each is refused with a clear message, exit 1, and nothing written anywhere."""

from __future__ import annotations

import io
import json
import sqlite3
import tempfile
import sys
import zipfile
from pathlib import Path

import pytest

from deckgen.anki.apkg import Limits
from deckgen.commands.importing import run_import

from test_import_roundtrip import export, make_collection


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def _sqlite_bytes() -> bytes:
    """An SQLite database that is not an Anki collection (written to a file: Python 3.10 has no serialize)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "not-anki.db"
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE t (x)")
        db.commit()
        db.close()
        return path.read_bytes()


@pytest.fixture
def genuine(tmp_path) -> Path:
    """A real legacy package (plain collection, JSON media list) to tamper with."""
    col, _ = make_collection(tmp_path / "user.anki2")
    try:
        return export(col, tmp_path / "genuine.apkg", legacy=True)
    finally:
        col.close()


def _tampered(genuine: Path, out: Path, media_names: list[str]) -> Path:
    with zipfile.ZipFile(genuine) as source:
        entries = {name: source.read(name) for name in source.namelist() if not name.isdigit() and name != "media"}
    entries["media"] = json.dumps({str(i): name for i, name in enumerate(media_names)}).encode()
    entries.update({str(i): b"evil" for i in range(len(media_names))})
    return _zip(out, entries)


def _files(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


CASES = {
    "not-a-zip": (lambda tmp, genuine: tmp.joinpath("x.apkg").write_bytes(b"hello") and tmp / "x.apkg",
                  "not an Anki package (not a zip file)"),
    "no-collection": (lambda tmp, genuine: _zip(tmp / "x.apkg", {"readme.txt": b"hi"}),
                      "holds no Anki collection"),
    "corrupt-collection": (lambda tmp, genuine: _zip(tmp / "x.apkg", {"collection.anki2": b"SQLite format 3\x00garbage" * 50}),
                           "damaged or not an Anki collection"),
    "not-a-collection": (lambda tmp, genuine: _zip(tmp / "x.apkg", {"collection.anki2": _sqlite_bytes()}),
                         "damaged or not an Anki collection"),
    "corrupt-zstd": (lambda tmp, genuine: _zip(tmp / "x.apkg", {"meta": b"\x08\x03", "collection.anki21b": b"\x28\xb5\x2f\xfd garbage"}),
                     "the collection in the package is damaged"),
    "newer-version": (lambda tmp, genuine: _zip(tmp / "x.apkg", {"meta": b"\x08\x07", "collection.anki21b": b""}),
                      "made by a newer Anki"),
    "parent-media-name": (lambda tmp, genuine: _tampered(genuine, tmp / "x.apkg", ["ok.png", "../evil.png"]),
                          "'../evil.png' contains a path separator"),
    "absolute-media-name": (lambda tmp, genuine: _tampered(genuine, tmp / "x.apkg", ["/tmp/evil.png"]),
                            "'/tmp/evil.png' contains a path separator"),
    "drive-media-name": (lambda tmp, genuine: _tampered(genuine, tmp / "x.apkg", ["C:evil.png"]),
                         "'C:evil.png' contains a drive letter"),
    "backslash-media-name": (lambda tmp, genuine: _tampered(genuine, tmp / "x.apkg", ["..\\evil.png"]),
                             "contains a path separator"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_package_is_refused_and_nothing_is_written(case, project, genuine, tmp_path) -> None:
    make, message = CASES[case]
    package = make(tmp_path, genuine)
    outside = _files(tmp_path)

    result = project.run("import", str(package))

    assert result.exit_code == 1
    assert ": error: " in result.stderr and message in result.stderr and "Traceback" not in result.output, result.stderr
    assert "Traceback" not in result.output
    assert _files(tmp_path) == outside  # nothing in the project, nothing beside it
    assert not (tmp_path / "evil.png").exists() and not Path("/tmp/evil.png").exists()


def test_oversized_media_entry_is_refused_before_unpacking(project, genuine, tmp_path) -> None:
    with zipfile.ZipFile(genuine) as source:
        entries = {n: source.read(n) for n in source.namelist() if not n.isdigit() and n != "media"}
    package = tmp_path / "big.apkg"
    with zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        archive.writestr("media", b'{"0": "big.png"}')
        with archive.open("0", "w", force_zip64=True) as entry:
            for _ in range(257):
                entry.write(bytes(1 << 20))
    outside = _files(tmp_path)

    result = project.run("import", str(package))

    assert result.exit_code == 1
    assert "media file 'big.png' is 269,484,032 bytes unpacked, more than the 268,435,456 allowed" in result.stderr
    assert _files(tmp_path) == outside


def test_zip_bomb_ratio_and_lying_sizes_are_refused(project, genuine, tmp_path) -> None:
    with zipfile.ZipFile(genuine) as source:
        entries = {n: source.read(n) for n in source.namelist() if not n.isdigit() and n != "media"}
    package = _zip(tmp_path / "bomb.apkg", {**entries, "media": b'{"0": "zeros.png"}', "0": bytes(4 << 20)})
    ratio = run_import(package, project.cards, limits=Limits(max_ratio=100, ratio_from_bytes=1 << 20))
    assert ratio.failed and "looks like a zip bomb" in _error(ratio)
    small = run_import(package, project.cards, limits=Limits(collection_bytes=1000))
    assert small.failed and "the collection is" in _error(small) and "more than the 1,000 allowed" in _error(small)
    assert _files(project.root) == {}


def test_media_name_collision_with_a_different_file_is_refused(project, genuine) -> None:
    assert project.run("import", str(genuine)).exit_code == 0
    (project.cards / "media" / "flag of spain.png").write_bytes(b"edited by hand")
    for path in project.cards.glob("*.yaml"):
        path.rename(path.with_suffix(".yaml.bak"))
    before = _files(project.root)
    result = project.run("import", "--merge", str(genuine))
    assert result.exit_code == 1 and "exist and differ" in result.stderr and "flag of spain.png" in result.stderr
    assert _files(project.root) == before


def _error(report) -> str:
    """The message of a failed import's one error."""
    (problem,) = report.problems
    assert problem.severity == "error"
    return problem.message


@pytest.mark.parametrize("module", ["anki.collection", "zstandard"])
def test_missing_backend_says_what_to_install(project, genuine, monkeypatch, module) -> None:
    monkeypatch.setitem(sys.modules, module, None)
    report = run_import(genuine, project.cards)
    assert _error(report) == "reading Anki packages needs Anki's backend: pip install 'deckgen-anki[import]'"
    assert _files(project.root) == {}


def test_empty_package_is_refused(project, tmp_path) -> None:
    from anki.collection import Collection

    col = Collection(str(tmp_path / "empty.anki2"))
    try:
        package = export(col, tmp_path / "empty.apkg")
    finally:
        col.close()
    result = project.run("import", str(package))
    assert result.exit_code == 1 and "no notes to import" in result.stderr


def test_zip_is_read_not_trusted_for_small_entries(tmp_path) -> None:
    """A media list that is not JSON, or names a missing entry, is a clear error."""
    from deckgen.anki.apkg import PackageError, open_package, read_layout

    bad_list = _zip(tmp_path / "a.apkg", {"collection.anki2": _sqlite_bytes(), "media": b"{not json"})
    missing = _zip(tmp_path / "b.apkg", {"collection.anki2": _sqlite_bytes(), "media": b'{"0": "a.png"}'})
    for package, message in ((bad_list, "media list is damaged"), (missing, "listed but missing")):
        with open_package(package) as archive, pytest.raises(PackageError, match=message):
            read_layout(archive, Limits())


def test_current_format_media_list_is_read(tmp_path) -> None:
    col, _ = make_collection(tmp_path / "user.anki2")
    try:
        package = export(col, tmp_path / "user.apkg")
    finally:
        col.close()
    from deckgen.anki.apkg import extract_media, open_package, read_layout

    with open_package(package) as archive:
        layout = read_layout(archive, Limits())
        assert layout.version == 3 and layout.collection_entry == "collection.anki21b"
        folder = tmp_path / "media"
        folder.mkdir()
        assert set(extract_media(archive, layout, folder, Limits())) == {"_deck.css", "flag of spain.png"}
    assert (folder / "flag of spain.png").read_bytes().startswith(b"\x89PNG")
    assert io.BytesIO((folder / "flag of spain.png").read_bytes()).read(4) == b"\x89PNG"
