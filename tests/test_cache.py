"""The build cache: rebuilds redo only what changed, and a bad or stale cache changes nothing."""

from __future__ import annotations

import dataclasses
import gc
import shutil
from pathlib import Path

import pytest
from conftest import Project

import deckgen.anki.package
import deckgen.compiler.read
from deckgen.commands.build import run_build
from deckgen.project.cache import CACHE_NAME

NOW = 1_700_000_000
DECKS = {
    "a.yaml": (
        "deck: Alpha::One\ncards:\n  - id: a1\n    q: First?\n    a: One\n"
        "  - id: a2\n    cloze: \"{{c1::Two}} and {{c2::three}}\"\n"
    ),
    "b.yaml": "deck: Alpha::Two\ntags: [alpha]\ncards:\n  - id: b1\n    q: Second?\n    a: Two\n    reverse: true\n",
    "c.yaml": "deck: Beta\nsource: Notes\ncards:\n  - id: c1\n    q: Third?\n    a: 三\n",
}


@pytest.fixture
def counted(monkeypatch) -> dict[str, int]:
    """Count how often card files are parsed, cards rendered and packages built."""
    counts = {"parsed": 0, "rendered": 0, "packaged": 0}
    parse, render, package = deckgen.compiler.read.parse_yaml, deckgen.compiler.read.render_card, deckgen.anki.package.package_bytes

    def counting_parse(*args, **kwargs):
        counts["parsed"] += 1
        return parse(*args, **kwargs)

    def counting_render(*args, **kwargs):
        counts["rendered"] += 1
        return render(*args, **kwargs)

    def counting_package(*args, **kwargs):
        counts["packaged"] += 1
        return package(*args, **kwargs)

    monkeypatch.setattr(deckgen.compiler.read, "parse_yaml", counting_parse)
    monkeypatch.setattr(deckgen.compiler.read, "render_card", counting_render)
    # run_build imports package_bytes when it runs, so it picks this up.
    monkeypatch.setattr(deckgen.anki.package, "package_bytes", counting_package)
    return counts


@pytest.fixture
def decks(project):
    for name, text in DECKS.items():
        project.write(name, text)
    return project


def _outputs(project) -> dict[str, bytes]:
    files = sorted(project.build_dir.glob("*.apkg")) + [project.lock]
    return {p.name: p.read_bytes() for p in files}


def _build(project, now: float = NOW):
    report = run_build(project.cards, project.build_dir, project.lock, now=now)
    assert not report.failed, report.problems
    return report


def _reset(counts: dict[str, int]) -> None:
    counts.update(parsed=0, rendered=0, packaged=0)


def _uncached_build(project, tmp_path: Path, lock: bytes, now: float):
    """Build the same cards from the given lock file in a fresh folder, without any cache."""
    other = Project(tmp_path / "uncached")
    shutil.copytree(project.cards, other.cards, dirs_exist_ok=True)
    other.lock.write_bytes(lock)
    other.report = _build(other, now)
    return other


def test_no_op_rebuild_parses_and_packages_nothing(decks, counted) -> None:
    first = _build(decks)
    before = _outputs(decks)
    _reset(counted)

    again = _build(decks, now=NOW + 100)

    assert counted == {"parsed": 0, "rendered": 0, "packaged": 0}
    assert _outputs(decks) == before
    assert [(p.path, p.notes, p.cards, p.new, p.changed, p.unchanged) for p in again.packages] == [
        (p.path, p.notes, p.cards, 0, 0, p.notes) for p in first.packages
    ]
    assert again.wrote and again.lock_found and not again.removed and not again.problems


def test_no_op_report_matches_a_rebuild_without_cache(decks, tmp_path, counted) -> None:
    _build(decks)
    _reset(counted)
    cached = _build(decks, now=NOW + 100)
    assert counted["parsed"] == 0  # the report came from the cache alone
    fresh = _uncached_build(decks, tmp_path, decks.lock.read_bytes(), NOW + 100).report
    assert counted["parsed"] == 3
    assert [dataclasses.replace(p, path="") for p in cached.packages] == [
        dataclasses.replace(p, path="") for p in fresh.packages
    ]
    assert (cached.problems, cached.removed, cached.lock_found) == (fresh.problems, fresh.removed, fresh.lock_found)


def test_editing_one_file_reparses_it_and_repackages_only_its_deck(decks, counted, tmp_path) -> None:
    _build(decks)
    lock_before = decks.lock.read_bytes()
    beta = (decks.build_dir / "beta.apkg").read_bytes()
    decks.write("a.yaml", DECKS["a.yaml"].replace("a: One", "a: One, edited"))
    _reset(counted)

    report = _build(decks, now=NOW + 100)

    assert counted == {"parsed": 1, "rendered": 2, "packaged": 1}  # only the edited file's two cards are rendered
    assert [(p.deck, p.changed, p.unchanged) for p in report.packages] == [("Alpha", 1, 2), ("Beta", 0, 1)]
    assert (decks.build_dir / "beta.apkg").read_bytes() == beta
    assert _outputs(_uncached_build(decks, tmp_path, lock_before, NOW + 100)) == _outputs(decks)


def _edit_text(project, name: str, old: str, new: str) -> None:
    path = project.cards / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _duplicate_a_note_id(project) -> None:
    lines = project.lock.read_text(encoding="utf-8").splitlines(keepends=True)
    rows = [line.split("\t") for line in lines]
    cards = [i for i, row in enumerate(rows) if len(row) == 6 and row[4] != "notetype"]
    rows[cards[-1]][3] = rows[cards[0]][3]  # as a careless merge could leave it
    project.lock.write_text("".join("\t".join(row) for row in rows), encoding="utf-8")


def _edit_lock_line(project, key: str, column: int, value: str) -> None:
    """Change one column of a card's lock line, as a hand edit would."""
    lines = project.lock.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.startswith(key + "\t"))
    row = lines[index].rstrip("\n").split("\t")
    row[column] = value
    lines[index] = "\t".join(row) + "\n"
    project.lock.write_text("".join(lines), encoding="utf-8")


def _conflict_in_lock(project) -> None:
    """Leave merge conflict markers around Beta's line, the later side with a later time."""
    lines = project.lock.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.startswith("Beta/c1\t"))
    row = lines[index].rstrip("\n").split("\t")
    later = "\t".join([*row[:2], str(int(row[2]) + 7), *row[3:]]) + "\n"
    lines[index:index + 1] = ["<<<<<<< ours\n", lines[index], "=======\n", later, ">>>>>>> theirs\n"]
    project.lock.write_text("".join(lines), encoding="utf-8")


EDITS = {
    "edit a card": lambda p: _edit_text(p, "b.yaml", "a: Two", "a: Two!"),
    "edit cards in two decks": lambda p: (
        _edit_text(p, "b.yaml", "a: Two", "a: Two!"), _edit_text(p, "c.yaml", "a: 三", "a: 三!"),
    ),
    "add a file to an unchanged deck": lambda p: p.write("f.yaml", "deck: Beta::More\ncards:\n  - id: f1\n    q: F?\n    a: F\n"),
    "reuse an unchanged deck's id through a namespace": lambda p: (
        _edit_text(p, "b.yaml", "a: Two", "a: Two!"),
        p.write("g.yaml", "deck: Gamma\nnamespace: Beta\ncards:\n  - id: c1\n    q: G?\n    a: G\n"),
    ),
    "hand-edited lock line of an unchanged deck": lambda p: (
        _edit_text(p, "b.yaml", "a: Two", "a: Two!"), _edit_lock_line(p, "Beta/c1", 2, "1600000000"),
    ),
    "lock line of an unchanged deck moved": lambda p: (
        _edit_text(p, "b.yaml", "a: Two", "a: Two!"), _edit_lock_line(p, "Beta/c1", 5, "Elsewhere"),
    ),
    "conflict markers in the lock": lambda p: (_edit_text(p, "b.yaml", "a: Two", "a: Two!"), _conflict_in_lock(p)),
    "unchanged deck's package deleted": lambda p: (
        _edit_text(p, "b.yaml", "a: Two", "a: Two!"), (p.build_dir / "beta.apkg").unlink(),
    ),
    "unchanged deck's package damaged": lambda p: (
        _edit_text(p, "b.yaml", "a: Two", "a: Two!"), (p.build_dir / "beta.apkg").write_bytes(b"PK damaged"),
    ),
    "add a card": lambda p: _edit_text(p, "c.yaml", "    a: 三\n", "    a: 三\n  - id: c2\n    q: More?\n    a: Yes\n"),
    "remove a card": lambda p: _edit_text(p, "a.yaml", "  - id: a2\n    cloze: \"{{c1::Two}} and {{c2::three}}\"\n", ""),
    "remove a deck": lambda p: (p.cards / "c.yaml").unlink(),
    "add a deck": lambda p: p.write("d.yaml", "deck: Gamma\ncards:\n  - id: d1\n    q: New?\n    a: Yes\n"),
    "move a card to another deck": lambda p: (
        _edit_text(p, "a.yaml", "  - id: a1\n    q: First?\n    a: One\n", ""),
        _edit_text(p, "c.yaml", "    a: 三\n", "    a: 三\n  - id: a1\n    q: First?\n    a: One\n"),
    ),
    "move a card to a sub-deck": lambda p: _edit_text(p, "b.yaml", "Alpha::Two", "Alpha::Three"),
    "rename a file": lambda p: (p.cards / "c.yaml").rename(p.cards / "z.yaml"),
    "clash of explicit guids": lambda p: (
        _edit_text(p, "c.yaml", "    a: 三\n", "    a: 三\n    guid: shared-guid\n"),
        _edit_text(p, "a.yaml", "    a: One\n", "    a: One\n    guid: shared-guid\n"),
    ),
    "new deck with a clashing file name": lambda p: p.write("e.yaml", "deck: BETA\ncards:\n  - id: e1\n    q: Q?\n    a: A\n"),
    "card kind changed": lambda p: _edit_text(p, "c.yaml", "    q: Third?\n    a: 三\n", "    cloze: \"{{c1::三}}\"\n"),
    "lock with a repeated note id": _duplicate_a_note_id,
    "lock file removed": lambda p: p.lock.unlink(),
}


# The packages each successful edit leaves as they were: their plans are what the last build
# packaged, so they are not packaged again.
KEPT = {
    "edit a card": {"beta.apkg"},
    "edit cards in two decks": set(),
    "add a file to an unchanged deck": {"alpha.apkg"},
    "hand-edited lock line of an unchanged deck": set(),  # Beta's package holds the time set by hand
    "lock line of an unchanged deck moved": {"beta.apkg"},
    "conflict markers in the lock": set(),  # Beta's later entry wins: a later time
    "unchanged deck's package deleted": set(),
    "unchanged deck's package damaged": set(),
    "add a card": {"alpha.apkg"},
    "remove a card": {"beta.apkg"},
    "remove a deck": {"alpha.apkg"},
    "add a deck": {"alpha.apkg", "beta.apkg"},
    "move a card to another deck": set(),
    "move a card to a sub-deck": {"beta.apkg"},
    "rename a file": {"alpha.apkg", "beta.apkg"},  # a card's file is not in its package
    "lock with a repeated note id": {"alpha.apkg"},  # Beta's card gets a new note id
    "lock file removed": set(),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_cached_builds_write_and_report_exactly_what_uncached_builds_do(decks, edit, tmp_path, counted) -> None:
    _build(decks)
    _build(decks, now=NOW + 50)  # a second build, so the cache holds what a no-op leaves
    EDITS[edit](decks)
    lock_before = decks.lock.read_bytes() if decks.lock.exists() else None
    other = Project(tmp_path / "uncached")
    if lock_before is None:  # a lost lock is recovered from the packages in build/: copy those
        other.build_dir.mkdir()
        for package in decks.build_dir.glob("*.apkg"):
            shutil.copyfile(package, other.build_dir / package.name)
    _reset(counted)

    cached = run_build(decks.cards, decks.build_dir, decks.lock, now=NOW + 100)
    packaged = counted["packaged"]

    shutil.copytree(decks.cards, other.cards, dirs_exist_ok=True)
    if lock_before is not None:
        other.lock.write_bytes(lock_before)
    uncached = run_build(other.cards, other.build_dir, other.lock, now=NOW + 100)
    assert [str(p).replace(str(decks.root), "") for p in cached.problems] == [
        str(p).replace(str(other.root), "") for p in uncached.problems
    ]
    assert [dataclasses.replace(p, path="") for p in cached.packages] == [dataclasses.replace(p, path="") for p in uncached.packages]
    assert (cached.removed, cached.lock_found, cached.failed) == (uncached.removed, uncached.lock_found, uncached.failed)
    assert cached.failed == (edit not in KEPT)
    if not cached.failed:
        written = {p.name for p in other.build_dir.glob("*.apkg")} | {"deckgen.lock"}
        assert {k: v for k, v in _outputs(decks).items() if k in written} == _outputs(other)
        assert packaged == len(cached.packages) - len(KEPT[edit])


def _stats_without_cache(project, tmp_path: Path, name: str):
    """Run stats on a copy of the project's cards, lock file and packages, without the build cache."""
    from deckgen.commands.stats import run_stats

    other = Project(tmp_path / name)
    shutil.copytree(project.cards, other.cards, dirs_exist_ok=True)
    if project.lock.exists():
        other.lock.write_bytes(project.lock.read_bytes())
    other.build_dir.mkdir()
    for package in project.build_dir.glob("*.apkg"):  # a lost lock is recovered from these
        shutil.copyfile(package, other.build_dir / package.name)
    return other, run_stats(other.cards, other.build_dir, other.lock, now=NOW + 100)


def _stats_view(report, root: Path) -> tuple:
    return ([str(p).replace(str(root), "") for p in report.problems], report.decks, report.tags,
            [dataclasses.replace(p, path="") for p in report.packages], report.removed, report.lock_found)


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_cached_stats_count_and_report_exactly_what_uncached_stats_do(decks, edit, tmp_path, counted,
                                                                     monkeypatch) -> None:
    from deckgen.commands.stats import run_stats
    from deckgen.project.cache import BuildCache

    read = BuildCache.parsed

    def counting_read(self, *args):
        counted["read from cache"] = counted.get("read from cache", 0) + 1
        return read(self, *args)

    monkeypatch.setattr(BuildCache, "parsed", counting_read)
    _build(decks)
    _build(decks, now=NOW + 50)
    EDITS[edit](decks)
    # Right after the edit (the cache is a build behind), then after building it (nothing to read).
    for stage in ("edited", "built"):
        if stage == "built" and run_build(decks.cards, decks.build_dir, decks.lock, now=NOW + 100).failed:
            break
        _reset(counted)
        counted.pop("read from cache", None)
        cached = run_stats(decks.cards, decks.build_dir, decks.lock, now=NOW + 100)
        if stage == "built":  # counted from the cache's totals, without reading a card
            assert counted["parsed"] == 0 and counted.get("read from cache", 0) == 0
        other, uncached = _stats_without_cache(decks, tmp_path, stage)
        assert _stats_view(cached, decks.root) == _stats_view(uncached, other.root)
        assert cached.decks and cached.packages


def test_a_changed_lock_file_is_honoured(decks, counted, tmp_path) -> None:
    _build(decks)
    text = decks.lock.read_text(encoding="utf-8")
    decks.lock.write_text(text.replace(f"\t{NOW}\t", f"\t{NOW + 5}\t"), encoding="utf-8")
    edited = decks.lock.read_bytes()
    _reset(counted)

    _build(decks, now=NOW + 100)

    # Every package depends on the lock file; the cards themselves come from the cache.
    assert counted == {"parsed": 0, "rendered": 0, "packaged": 2}
    assert _outputs(decks) == _outputs(_uncached_build(decks, tmp_path, edited, NOW + 100))


def test_a_damaged_or_missing_package_is_rebuilt(decks, counted) -> None:
    _build(decks)
    before = _outputs(decks)
    (decks.build_dir / "alpha.apkg").write_bytes(b"damaged")
    (decks.build_dir / "beta.apkg").unlink()
    _reset(counted)

    _build(decks, now=NOW + 100)

    assert counted == {"parsed": 0, "rendered": 0, "packaged": 2}
    assert _outputs(decks) == before


@pytest.mark.parametrize("damage", ["garbage", "cut header", "empty", "directory", "other deckgen"])
def test_an_unreadable_or_stale_cache_is_ignored(decks, counted, damage, monkeypatch) -> None:
    _build(decks)
    before = _outputs(decks)
    cache = decks.build_dir / CACHE_NAME
    if damage == "garbage":
        cache.write_bytes(b"\x00\xff not a cache \n" * 50)
    elif damage == "cut header":
        cache.write_bytes(cache.read_bytes()[:40])
    elif damage == "empty":
        cache.write_bytes(b"")
    elif damage == "directory":
        cache.unlink()
        cache.mkdir()
    else:
        monkeypatch.setattr("deckgen.project.cache.code_fingerprint", lambda: "another deckgen")
    _reset(counted)

    _build(decks, now=NOW + 100)

    assert counted == {"parsed": 3, "rendered": 4, "packaged": 2}
    assert _outputs(decks) == before
    _reset(counted)
    _build(decks, now=NOW + 200)
    if damage == "directory":  # a cache that cannot be written costs time, never the build
        assert counted == {"parsed": 3, "rendered": 4, "packaged": 2}
    else:  # the rewritten cache serves the next build
        assert counted == {"parsed": 0, "rendered": 0, "packaged": 0}


@pytest.mark.parametrize("damage", ["cut short", "flipped byte"])
def test_a_damaged_record_is_dropped_and_its_file_read_again(decks, counted, damage, tmp_path) -> None:
    _build(decks)
    lock_before = decks.lock.read_bytes()
    cache = decks.build_dir / CACHE_NAME
    data = cache.read_bytes()  # records are sorted by path: the last one is c.yaml's
    cache.write_bytes(data[:-20] if damage == "cut short" else data[:-20] + bytes([data[-20] ^ 1]) + data[-19:])
    decks.write("a.yaml", DECKS["a.yaml"].replace("First?", "First, edited?"))
    _reset(counted)

    _build(decks, now=NOW + 100)

    assert counted["parsed"] == 2  # the edited file and the one whose record was damaged
    assert _outputs(decks) == _outputs(_uncached_build(decks, tmp_path, lock_before, NOW + 100))


def test_restyled_note_types_are_not_served_from_the_cache(decks, counted, monkeypatch) -> None:
    import dataclasses

    from deckgen.anki import notetypes

    _build(decks)
    restyled = dataclasses.replace(notetypes.BASIC, css=notetypes.BASIC.css + "\n.x { color: red; }\n")
    monkeypatch.setattr(notetypes, "OWN_TYPES", (restyled, notetypes.CLOZE))
    _reset(counted)

    _build(decks, now=NOW + 100)

    assert counted["packaged"] == 2


def test_check_uses_the_cache_but_never_writes_it(decks, counted) -> None:
    _build(decks)
    cache = decks.build_dir / CACHE_NAME
    before = cache.read_bytes()
    decks.write("c.yaml", DECKS["c.yaml"].replace("Third?", "Third, edited?"))
    _reset(counted)

    report = run_build(decks.cards, decks.build_dir, decks.lock, write=False, now=NOW + 100)

    assert not report.failed and not report.wrote
    assert counted == {"parsed": 1, "rendered": 1, "packaged": 0}
    assert cache.read_bytes() == before


def test_a_failed_build_leaves_the_cache_alone(decks) -> None:
    _build(decks)
    cache = decks.build_dir / CACHE_NAME
    before = cache.read_bytes()
    decks.write("c.yaml", "deck: Beta\ncards:\n  - id: c1\n    q: [broken\n")

    report = run_build(decks.cards, decks.build_dir, decks.lock, now=NOW + 100)

    assert report.failed
    assert cache.read_bytes() == before


def test_problems_from_cached_files_are_reported_again(decks, counted) -> None:
    # A duplicate id across two unchanged files is found from cached cards alone.
    _build(decks)
    decks.write("e.yaml", "deck: Beta\ncards:\n  - id: c1\n    q: Again?\n    a: Yes\n")
    _reset(counted)

    report = run_build(decks.cards, decks.build_dir, decks.lock, now=NOW + 100)

    assert counted["parsed"] == 1
    assert [p.code for p in report.problems] == ["duplicate-id"]


def test_the_garbage_collector_is_back_on_after_a_build(decks) -> None:
    assert gc.isenabled()
    _build(decks)
    assert gc.isenabled()


def test_every_card_and_note_field_round_trips_through_the_cache(tmp_path) -> None:
    from deckgen.compiler.read import ParsedFile
    from deckgen.model import Card, MediaRef, Note
    from deckgen.problems import Location, warning
    from deckgen.project import cache

    at = Location("cards/x.yaml", 3, 5)
    # Every field differs from its default, so a field the cache forgot would show.
    card = Card("id-1", "cloze", "Deck::Sub", at, "/p/cards/x.yaml", "front", "back", "text", "extra", "source", True,
                ("t1", "t2::x"), "guid-1", "My type", (("Front", "F"), ("Back", "B")), True,
                (("front", 4, 8), ("field:Back", 5, 9)), "Space", (("answer-too-long", 6, 11),))
    assert all(value != default for value, default in zip(card, Card("", "basic", "", Location("", 0, 0))))
    ref = MediaRef("image", "a b.png", card.file, Location(at.path, 4, 8), None, True)
    note = Note(card._replace(kind="basic"), 42, ("<b>F</b>", "B"), "F", (0, 2), "hash", (ref,), card.key, "g")
    file = ParsedFile(at.path, card.file, "digest", (card,), (note,), (warning(at, "w", "message"),))
    raw = cache.cache_contents(cache.BuildCache(tmp_path / "c"), [file], "nt", "inputs", [], [], {})
    read = cache.BuildCache.from_bytes(tmp_path / "c", raw, "nt").parsed(at.path, card.file, "digest")
    assert read == file


def test_an_edit_reads_only_the_edited_file_whatever_its_cards_hold(decks, counted) -> None:
    decks.write("d.yaml", "deck: Gamma\nformat: html\ncards:\n  - id: d1\n    q: <b>Q</b>\n    a: A\n")
    _build(decks)
    decks.write("c.yaml", DECKS["c.yaml"].replace("三", "四"))
    _reset(counted)
    _build(decks, NOW + 10)
    assert counted["parsed"] == 1


def test_a_changed_image_is_not_served_from_the_cache(project, counted) -> None:
    from rich_project import png

    project.write("pics.yaml", "deck: Pics\ncards:\n  - id: p1\n    q: '![chip](chip.png)'\n    a: A chip\n")
    (project.cards / "chip.png").write_bytes(png(2, 2, (0, 0, 0)))
    _build(project)
    first = project.package("pics.apkg").read_bytes()
    (project.cards / "chip.png").write_bytes(png(2, 2, (255, 0, 0)))
    _reset(counted)
    report = _build(project, NOW + 10)
    assert counted["packaged"] == 1
    assert (report.packages[0].changed, project.package("pics.apkg").read_bytes() != first) == (1, True)


def test_a_media_file_that_appears_is_picked_up(project, counted) -> None:
    # HTML text may name a media file that is missing (a warning): adding it must rebuild.
    project.write("html.yaml", "deck: Html\nformat: html\ncards:\n  - id: h1\n    q: '<img src=\"late.png\">'\n    a: A\n")
    report = _build(project)
    assert [p.code for p in report.problems] == ["media-missing"]
    (project.cards / "media").mkdir()
    (project.cards / "media" / "late.png").write_bytes(b"\x89PNG late")
    _reset(counted)
    report = _build(project, NOW + 10)
    assert counted["packaged"] == 1 and report.problems == ()


def test_an_edited_project_note_type_is_not_served_from_the_cache(decks, counted) -> None:
    import json

    notetype = {"name": "Plain", "id": 1600000000001, "type": 0, "css": ".card {}",
                "flds": [{"name": "Front"}, {"name": "Back"}],
                "tmpls": [{"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{Back}}"}]}
    (decks.root / "notetypes").mkdir()
    path = decks.root / "notetypes" / "plain.json"
    path.write_text(json.dumps(notetype), encoding="utf-8")
    decks.write("p.yaml", "deck: Plain deck\nnotetype: Plain\ncards:\n  - id: p1\n    q: Q?\n    a: A\n")
    _build(decks)
    path.write_text(json.dumps({**notetype, "css": ".card { color: teal; }"}), encoding="utf-8")
    _reset(counted)
    _build(decks, NOW + 10)
    assert counted["rendered"] > 0 and counted["packaged"] > 0  # not the no-op path
    assert b"color: teal" in collection_bytes(decks.package("plain-deck.apkg"))


def collection_bytes(package: Path) -> bytes:
    """Return the SQLite collection inside a package."""
    import zipfile

    with zipfile.ZipFile(package) as archive:
        return archive.read("collection.anki2")


def test_an_edit_leaves_unchanged_decks_unread_and_writes_what_a_fresh_build_does(decks, counted, tmp_path,
                                                                                  monkeypatch) -> None:
    from deckgen.project.cache import BuildCache

    read: list[str] = []
    parsed = BuildCache.parsed
    monkeypatch.setattr(BuildCache, "parsed", lambda self, path, *rest: read.append(path) or parsed(self, path, *rest))
    _build(decks)
    for number, answer in enumerate(("Two!", "Two!!", "Two!!!"), start=1):  # each build keeps Beta from the last
        lock_before = decks.lock.read_bytes()
        _edit_text(decks, "b.yaml", f"a: {answer[:-1]}\n", f"a: {answer}\n")
        read.clear()
        _reset(counted)
        report = _build(decks, now=NOW + 100 * number)
        assert sorted(Path(p).name for p in read) == ["a.yaml", "b.yaml"] and counted["parsed"] == 1  # not c.yaml
        assert [(p.deck, p.changed, p.unchanged) for p in report.packages] == [("Alpha", 1, 2), ("Beta", 0, 1)]
        fresh = _uncached_build(decks, tmp_path / str(number), lock_before, NOW + 100 * number)
        assert _outputs(fresh) == _outputs(decks)
    from deckgen.commands.stats import run_stats

    cached = run_stats(decks.cards, decks.build_dir, decks.lock, now=NOW + 100)  # its counts include Beta's
    other, uncached = _stats_without_cache(decks, tmp_path, "stats")
    assert _stats_view(cached, decks.root) == _stats_view(uncached, other.root)


def test_a_new_card_sharing_an_unchanged_decks_guid_is_found(decks, tmp_path) -> None:
    _edit_text(decks, "c.yaml", "    a: 三\n", "    a: 三\n    guid: shared-guid\n")
    _build(decks)
    _build(decks, now=NOW + 50)
    decks.write("d.yaml", "deck: Gamma\ncards:\n  - id: d1\n    q: New?\n    a: Yes\n    guid: shared-guid\n")
    cached = run_build(decks.cards, decks.build_dir, decks.lock, now=NOW + 100)
    assert [p.code for p in cached.problems] == ["duplicate-guid"]
    assert Path(cached.problems[0].location.path).name == "d.yaml"
    assert "c.yaml" in cached.problems[0].message


def test_counts_added_up_per_deck_equal_counts_of_all_notes(project) -> None:
    from deckgen.pipeline import load_project
    from deckgen.project.counts import note_counts
    from deckgen.project.paths import ProjectPaths

    # Tags differing only in case, with equal counts, in two top-level decks: a tie to break.
    project.write("a.yaml", "deck: A::x\ntags: [Tag]\ncards:\n  - id: a1\n    q: Q1?\n    a: A\n")
    project.write("b.yaml", "deck: A::X\ntags: [tag, other]\ncards:\n  - id: b1\n    q: Q2?\n    a: A\n")
    project.write("c.yaml", "deck: B\ntags: [TAG]\ncards:\n  - id: c1\n    q: Q3?\n    a: A\n    reverse: true\n")
    notes = list(load_project(ProjectPaths.of(project.cards, project.build_dir)).notes)
    whole = note_counts(notes)
    for order in (notes, notes[::-1]):
        parts = [note_counts([n for n in order if n.card.top_deck == top]) for top in ("B", "A")]
        assert note_counts((), parts) == whole == note_counts(order)
    assert [t for t, _ in whole.tags] == ["TAG", "other", "Tag", "tag"]


@pytest.mark.parametrize("image_changes", [False, True])
def test_a_deck_with_media_is_kept_only_while_its_media_is_unchanged(decks, counted, tmp_path, image_changes) -> None:
    from rich_project import png

    decks.write("pics.yaml", "deck: Pics\ncards:\n  - id: p1\n    q: '![chip](chip.png)'\n    a: A chip\n")
    (decks.cards / "chip.png").write_bytes(png(2, 2, (0, 0, 0)))
    _build(decks)
    _build(decks, NOW + 10)
    lock_before = decks.lock.read_bytes()
    pics = decks.package("pics.apkg").read_bytes()
    _edit_text(decks, "c.yaml", "a: 三", "a: 三!")
    if image_changes:
        (decks.cards / "chip.png").write_bytes(png(2, 2, (255, 0, 0)))
    _reset(counted)
    report = _build(decks, NOW + 100)
    assert counted["packaged"] == (2 if image_changes else 1)  # Beta, and Pics when its image changed
    assert [(p.deck, p.changed) for p in report.packages] == [("Alpha", 0), ("Beta", 1), ("Pics", int(image_changes))]
    assert (decks.package("pics.apkg").read_bytes() == pics) == (not image_changes)
    fresh = _uncached_build(decks, tmp_path, lock_before, NOW + 100)
    assert _outputs(fresh) == _outputs(decks)


def test_a_kept_deck_still_reports_its_missing_media(decks, tmp_path) -> None:
    decks.write("html.yaml", "deck: Html\nformat: html\ncards:\n  - id: h1\n    q: '<img src=\"gone.png\">'\n    a: A\n")
    _build(decks)
    _build(decks, NOW + 10)
    lock_before = decks.lock.read_bytes()
    _edit_text(decks, "c.yaml", "a: 三", "a: 三!")
    report = _build(decks, NOW + 100)
    again = _build(decks, NOW + 200)  # the no-op reports what the edit's build recorded
    fresh = _uncached_build(decks, tmp_path, lock_before, NOW + 100).report
    assert [p.code for p in fresh.problems] == ["media-missing"]
    shown = [str(p).replace(str(decks.root), "") for p in report.problems]
    assert shown == [str(p).replace(str(tmp_path / "uncached"), "") for p in fresh.problems]
    assert [str(p).replace(str(decks.root), "") for p in again.problems] == shown


def test_a_damaged_deck_record_keeps_nothing(decks, tmp_path, monkeypatch) -> None:
    from deckgen.project.cache import BuildCache

    _build(decks)
    _build(decks, NOW + 10)
    cache = decks.build_dir / CACHE_NAME
    data = bytearray(cache.read_bytes())
    start = data.index(b"deck\0Alpha\t")
    body = data.index(b"\n", start) + 1
    data[body + 5] ^= 1  # the record's checksum no longer holds: it is dropped
    cache.write_bytes(bytes(data))
    lock_before = decks.lock.read_bytes()
    _edit_text(decks, "c.yaml", "a: 三", "a: 三!")
    read: list[str] = []
    parsed = BuildCache.parsed
    monkeypatch.setattr(BuildCache, "parsed", lambda self, path, *rest: read.append(path) or parsed(self, path, *rest))
    _build(decks, NOW + 100)
    assert sorted(Path(p).name for p in read) == ["a.yaml", "b.yaml", "c.yaml"]  # Alpha read: its record is gone
    assert _outputs(_uncached_build(decks, tmp_path, lock_before, NOW + 100)) == _outputs(decks)


def test_cards_written_alike_share_positions_and_still_locate_their_text(tmp_path) -> None:
    """Positions are kept relative to each card's line, so cards written alike share one tuple."""
    from deckgen.anki.notetypes import NoteTypes
    from deckgen.compiler.read import read_card_file
    from deckgen.project import cache

    body = "".join(f"  - id: c{i}\n    q: Question {i}\n    a: Answer {i}\n" for i in range(3))
    text = "deck: D\nsource: Book\ncards:\n" + body + "  - id: odd\n    a: |\n      Answer\n    q: Question\n"
    fresh = read_card_file(text, "cards/d.yaml", str(tmp_path / "d.yaml"), "digest", NoteTypes())
    raw = cache.cache_contents(cache.BuildCache(tmp_path / "c"), [fresh], "nt", "inputs", [], [], {})
    cached = cache.BuildCache.from_bytes(tmp_path / "c", raw, "nt").parsed("cards/d.yaml", fresh.file, "digest")
    assert cached == fresh
    for file in (fresh, cached):
        first, second, third, odd = file.cards
        assert first.field_positions is second.field_positions is third.field_positions
        assert odd.field_positions != first.field_positions
        assert [str(third.field_location(name)) for name in ("front", "back", "source")] == \
            ["cards/d.yaml:11:8", "cards/d.yaml:12:8", "cards/d.yaml:2:9"]
        assert [str(odd.field_location(name)) for name in ("front", "back")] == ["cards/d.yaml:16:8", "cards/d.yaml:14:8"]
        assert str(odd.field_location("extra")) == str(odd.location) == "cards/d.yaml:13:5"
