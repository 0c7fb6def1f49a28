"""deckgen.anki.collection and deckgen.anki.profiles against real collection files.

The packages are built with genanki, whose `timestamp` sets every note's modification time,
so a test chooses exactly which notes the importer sees as newer. Times lie in the past:
anything the backend stamps with "now" is later than all of them.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath, PureWindowsPath

import genanki
import pytest
from anki.collection import Collection
from anki.import_export_pb2 import (
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
    ImportAnkiPackageUpdateCondition,
)
from anki_helpers import study

import deckgen.anki.collection as collection_module
from deckgen.anki.collection import (
    LOCKED_MESSAGE,
    BackendMissing,
    CollectionError,
    CollectionLocked,
    CollectionMissing,
    ImportCounts,
    ReadOnlyCollection,
    check_tag,
    open_collection,
)
from deckgen.anki.profiles import ProfileError, anki_base, choose_profile, find_collection, find_profiles

T = 1_600_000_000  # a package time well before any "now"
MODEL = genanki.Model(
    1_607_392_319,
    "deckgen test basic",
    fields=[{"name": "Front"}, {"name": "Back"}],
    templates=[{"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{FrontSide}}<hr id=answer>{{Back}}"}],
)
DECKS = {"Deck A": 2_059_400_110, "Deck B": 2_059_400_111}


def make_package(path: Path, notes, mod: int, deck: str = "Deck A") -> Path:
    """A package of (guid, front, back, tags) notes, every note modified at `mod`."""
    package_deck = genanki.Deck(DECKS[deck], deck)
    for guid, front, back, tags in notes:
        package_deck.add_note(genanki.Note(model=MODEL, fields=[front, back], guid=guid, tags=list(tags)))
    genanki.Package(package_deck).write_to_file(str(path), timestamp=mod)
    return path


BASIC = [("g1", "capital of Peru?", "Lima", ["geo"]), ("g2", "capital of Chile?", "Santiago", [])]


def new_collection(folder: Path, notes=BASIC, mod: int = T) -> Path:
    """A closed collection file holding the notes of one package."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "collection.anki2"
    with open_collection(_create(path)) as col:
        col.import_package(make_package(folder / "first.apkg", notes, mod))
    return path


def _create(path: Path) -> Path:
    Collection(str(path)).close()
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def scheduling(col: Collection, card_id: int) -> tuple:
    card = col.get_card(card_id)
    revlog = col.db.all("select id, ease, ivl, lastIvl, factor, type from revlog where cid = ? order by id", card_id)
    return (card.ivl, card.due, card.reps, card.lapses, card.factor, card.type, card.queue, card.left, revlog)


# Opening


def test_a_collection_held_by_another_backend_is_refused_and_left_alone(tmp_path) -> None:
    path = new_collection(tmp_path)
    before = digest(path)
    holder = Collection(str(path))
    try:
        for read_only in (False, True):
            with pytest.raises(CollectionLocked) as refused:
                open_collection(path, read_only=read_only)
            assert str(refused.value) == LOCKED_MESSAGE
        assert holder.note_count() == 2  # the holder is undisturbed
    finally:
        holder.close()
    assert digest(path) == before


HOLD = """
import sys
from anki.collection import Collection
col = Collection(sys.argv[1])
print("open", flush=True)
sys.stdin.readline()
col.close()
"""


def test_a_collection_held_by_another_process_is_refused(tmp_path) -> None:
    path = new_collection(tmp_path)
    before = digest(path)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        for read_only in (False, True):
            with pytest.raises(CollectionLocked, match="close Anki, or use --ankiconnect"):
                open_collection(path, read_only=read_only)
    finally:
        holder.communicate("\n", timeout=60)
    assert holder.returncode == 0
    assert digest(path) == before
    with open_collection(path) as col:  # free again once the other one closed it
        assert len(col.notes_by_guid({"g1": 0})) == 1


def test_a_missing_collection_is_an_error_and_never_created(tmp_path) -> None:
    for path in (tmp_path / "collection.anki2", tmp_path / "no-such-profile" / "collection.anki2"):
        with pytest.raises(CollectionMissing, match="no Anki collection at"):
            open_collection(path)
        assert not path.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_file_that_is_no_collection_is_an_error_but_not_a_lock(tmp_path) -> None:
    path = tmp_path / "collection.anki2"
    path.write_bytes(b"not a database" * 100)
    with pytest.raises(CollectionError, match="cannot open the collection") as raised:
        open_collection(path)
    assert not isinstance(raised.value, CollectionLocked)


def test_without_the_backend_the_error_names_the_install_command(tmp_path, monkeypatch) -> None:
    path = new_collection(tmp_path)
    monkeypatch.setitem(sys.modules, "anki.collection", None)  # makes the import fail
    with pytest.raises(BackendMissing) as raised:
        open_collection(path)
    assert str(raised.value) == collection_module.INSTALL_HINT
    with pytest.raises(BackendMissing, match=r"^pipx inject deckgen anki$"):
        open_collection(path, install_hint="pipx inject deckgen anki")
    monkeypatch.setattr(collection_module, "INSTALL_HINT", "install it like this")
    with pytest.raises(BackendMissing, match=r"^install it like this$"):
        open_collection(path)


# Reading


def test_notes_by_guid_gives_only_the_notes_present(tmp_path) -> None:
    path = new_collection(tmp_path)
    with open_collection(path) as col:
        notes = col.notes_by_guid({"g1": 1, "g2": 2, "nope": 3})
        assert sorted(notes) == ["g1", "g2"]
        g1 = notes["g1"]
        assert (g1.guid, g1.fields, g1.tags, g1.mod, g1.notetype_id) == ("g1", ("capital of Peru?", "Lima"), ("geo",), T, MODEL.model_id)
        assert [(c.ordinal, c.deck, c.suspended, c.filtered) for c in g1.cards] == [(0, "Deck A", False, False)]
        assert col.notes_by_id([g1.id, 12345]) == {g1.id: g1}
        assert col.notes_by_guid([]) == {}


def test_a_card_in_a_filtered_deck_reports_its_home_deck(tmp_path) -> None:
    path = new_collection(tmp_path)
    with open_collection(path) as col:
        fid = col.col.decks.new_filtered("Cram")
        cram = col.col.decks.get(fid)
        cram["terms"] = [['deck:"Deck A" Peru', 100, 0]]
        col.col.decks.save(cram)
        col.col.sched.rebuild_filtered_deck(fid)
        card = col.notes_by_guid({"g1": 0})["g1"].cards[0]
        assert col.col.get_card(card.id).did == fid
        assert (card.deck, card.filtered) == ("Deck A", True)
        col.move_cards([card.id], "Elsewhere")  # moving takes it out of the filtered deck
        moved = col.notes_by_guid({"g1": 0})["g1"].cards[0]
        assert (moved.deck, moved.filtered) == ("Elsewhere", False)
        assert col.col.get_card(card.id).odid == 0


def test_read_only_leaves_the_file_byte_identical_and_refuses_changes(tmp_path) -> None:
    path = new_collection(tmp_path)
    before, listing = digest(path), sorted(p.name for p in tmp_path.iterdir())
    with open_collection(path, read_only=True) as col:
        assert col.notes_by_guid({"g1": 0})["g1"].fields[1] == "Lima"
        for change in (
            lambda: col.import_package(tmp_path / "first.apkg"),
            lambda: col.add_tag([1], "x"),
            lambda: col.move_cards([1], "X"),
            lambda: col.backup(),
        ):
            with pytest.raises(ReadOnlyCollection):
                change()
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == listing


def test_opening_an_old_schema_changes_its_bytes_but_read_only_does_not(tmp_path) -> None:
    path = new_collection(tmp_path)
    col = Collection(str(path))
    col.close(downgrade=True)  # schema 11, as Anki 2.1.2x left collections
    old = digest(path)
    with open_collection(path, read_only=True) as read:
        assert len(read.notes_by_guid({"g1": 0, "g2": 0})) == 2
    assert digest(path) == old
    open_collection(path).close()  # the backend upgrades the schema on open
    assert digest(path) != old
    upgraded = digest(path)
    open_collection(path).close()  # an up-to-date collection is left alone
    assert digest(path) == upgraded


# Importing


def test_import_counts_follow_the_importer_log(tmp_path) -> None:
    path = _create(tmp_path / "collection.anki2")
    first = make_package(tmp_path / "1.apkg", BASIC, T)
    with open_collection(path) as col:
        assert col.import_package(first) == ImportCounts(new=2, updated=0, unchanged=0, conflicting=0, found=2)
        assert col.import_package(first) == ImportCounts(new=0, updated=0, unchanged=2, conflicting=0, found=2)
        edited = [("g1", "capital of Peru?", "Lima (Rímac)", ["geo"]), BASIC[1], ("g3", "capital of Bolivia?", "Sucre", [])]
        counts = col.import_package(make_package(tmp_path / "2.apkg", edited, T + 10))
        # "updated" means newer, not different: g2 is counted although its content is the same.
        assert counts == ImportCounts(new=1, updated=2, unchanged=0, conflicting=0, found=3)
        notes = col.notes_by_guid({"g1": 0, "g2": 0, "g3": 0})
        assert notes["g1"].fields[1] == "Lima (Rímac)"
        assert {note.mod for note in notes.values()} == {T + 10}  # the package's time, not now
        older = col.import_package(make_package(tmp_path / "3.apkg", [("g1", "old", "old", [])], T + 5))
        assert older == ImportCounts(new=0, updated=0, unchanged=1, conflicting=0, found=1)
        assert col.notes_by_guid({"g1": 0})["g1"].fields[0] == "capital of Peru?"


def test_the_importer_skips_a_note_as_old_as_the_collections_even_with_always(tmp_path) -> None:
    path = new_collection(tmp_path)
    same_time = make_package(tmp_path / "same.apkg", [("g1", "capital of Peru?", "LIMA", ["geo"])], T)
    always = ImportAnkiPackageUpdateCondition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_ALWAYS
    with open_collection(path) as col:
        request = ImportAnkiPackageRequest(package_path=str(same_time), options=ImportAnkiPackageOptions(update_notes=always))
        log = col.col.import_anki_package(request).log
        assert ImportCounts.from_log(log) == ImportCounts(new=0, updated=0, unchanged=1, conflicting=0, found=1)
        note = col.notes_by_guid({"g1": 0})["g1"]
        assert note.fields[1] == "Lima"
        # Writing the fields directly does it, keeping the card's scheduling.
        studied = study(col.col, "Deck A")
        kept = scheduling(col.col, studied.id)
        col.update_fields(studied.nid, col.notes_by_id([studied.nid])[studied.nid].fields[:1] + ("changed",))
        after = col.notes_by_id([studied.nid])[studied.nid]
        assert after.fields[1] == "changed" and after.mod > T
        assert scheduling(col.col, studied.id) == kept
        with pytest.raises(ValueError, match="has 2 fields"):
            col.update_fields(note.id, ["one"])


def test_import_never_moves_or_reschedules_existing_cards(tmp_path) -> None:
    path = new_collection(tmp_path)
    with open_collection(path) as col:
        studied = study(col.col, "Deck A")
        kept = scheduling(col.col, studied.id)
        moved = make_package(tmp_path / "b.apkg", [(g, f"{front} (v2)", back, tags) for g, front, back, tags in BASIC], T + 10, deck="Deck B")
        assert col.import_package(moved).updated == 2
        note = col.notes_by_id([studied.nid])[studied.nid]
        assert note.fields[0].endswith("(v2)")
        assert [c.deck for c in note.cards] == ["Deck A"]
        assert scheduling(col.col, studied.id) == kept


def test_imported_tags_take_the_case_of_existing_ones(tmp_path) -> None:
    path = new_collection(tmp_path, notes=[("g1", "q", "a", ["Geo"]), ("g2", "q2", "a2", ["keep"])])
    with open_collection(path) as col:
        col.import_package(make_package(tmp_path / "2.apkg", [("g2", "q2", "a2", ["GEO", "Keep"]), ("g3", "q3", "a3", ["geo"])], T + 10))
        notes = col.notes_by_guid({"g2": 0, "g3": 0})
        assert notes["g2"].tags == ("Geo", "keep")
        assert notes["g3"].tags == ("Geo",)


FUTURE = 4_000_000_000  # later than any "now" these tests will see


def test_tagging_makes_a_note_newer_and_an_update_replaces_its_tags(tmp_path) -> None:
    path = new_collection(tmp_path)
    with open_collection(path) as col:
        g2 = col.notes_by_guid({"g2": 0})["g2"]
        col.add_tag([g2.id], "mine")
        tagged = col.notes_by_id([g2.id])[g2.id]
        assert tagged.mod > T  # stamped now, so an edit at the package's old time no longer applies
        edited = [("g2", "capital of Chile?", "Santiago de Chile", ["geo"])]
        assert col.import_package(make_package(tmp_path / "2.apkg", edited, T + 10)).unchanged == 1
        assert col.import_package(make_package(tmp_path / "3.apkg", edited, FUTURE)).updated == 1
        updated = col.notes_by_id([g2.id])[g2.id]
        assert updated.fields[1] == "Santiago de Chile"
        assert updated.tags == ("geo",)  # the package's tags replace the note's: "mine" is gone
        assert updated.mod == FUTURE


def test_the_importer_renumbers_ids_more_than_a_day_ahead(tmp_path) -> None:
    """Anki's importer gives notes and cards whose ids lie over a day ahead new ids (now)."""
    path = _create(tmp_path / "collection.anki2")
    package = make_package(tmp_path / "p.apkg", [BASIC[0]], T)
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(package) as archive:
        archive.extractall(unpacked)
    db = sqlite3.connect(unpacked / "collection.anki2")
    (note_id, card_id), = db.execute("select nid, id from cards").fetchall()
    ahead = card_id + 10 ** 12  # centuries ahead; a day and a millisecond would do
    db.execute("update cards set id = ?", (ahead,))
    db.commit()
    db.close()
    with zipfile.ZipFile(package, "w") as archive:
        for entry in sorted(unpacked.iterdir()):
            archive.write(entry, entry.name)
    with open_collection(path) as col:
        col.import_package(package)
        note = col.notes_by_guid({"g1": note_id})["g1"]
        assert note.id == note_id  # a past id is kept
        assert note.cards[0].id not in (ahead, card_id)


# Changing


def test_moving_cards_keeps_their_scheduling_and_review_log(tmp_path) -> None:
    path = new_collection(tmp_path)
    with open_collection(path) as col:
        studied = study(col.col, "Deck A")
        kept = scheduling(col.col, studied.id)
        assert kept[2] >= 1 and kept[-1], "the card was studied"
        col.move_cards([studied.id], "Target::Sub")
        note = col.notes_by_id([studied.nid])[studied.nid]
        assert [c.deck for c in note.cards] == ["Target::Sub"]
        assert scheduling(col.col, studied.id) == kept


def test_suspending_and_tagging_and_back(tmp_path) -> None:
    path = new_collection(tmp_path)
    with open_collection(path) as col:
        note = col.notes_by_guid({"g1": 0})["g1"]
        card = note.cards[0].id
        queue = col.col.get_card(card).queue
        col.suspend([card])
        col.add_tag([note.id], "deckgen::removed")
        changed = col.notes_by_id([note.id])[note.id]
        assert changed.cards[0].suspended and col.col.get_card(card).queue == -1
        assert changed.tags == ("deckgen::removed", "geo")
        col.unsuspend([card])
        col.remove_tag([note.id], "deckgen::removed")
        back = col.notes_by_id([note.id])[note.id]
        assert not back.cards[0].suspended and col.col.get_card(card).queue == queue
        assert back.tags == ("geo",)
        col.add_tag([note.id], "Geo")  # same tag, other case: nothing to add
        col.remove_tag([note.id], "GEO")  # and removing ignores case
        assert col.notes_by_id([note.id])[note.id].tags == ()
        with pytest.raises(ValueError, match="not a single Anki tag"):
            col.add_tag([note.id], "two words")
    assert check_tag("a::b") == "a::b"


def test_deleting_notes_removes_them_with_their_cards(tmp_path) -> None:
    path = new_collection(tmp_path)
    with open_collection(path) as col:
        notes = col.notes_by_guid({"g1": 0, "g2": 0})
        col.delete_notes([notes["g1"].id])
        assert sorted(col.notes_by_guid({"g1": 0, "g2": 0})) == ["g2"]
        assert col.col.db.scalar("select count() from cards where nid = ?", notes["g1"].id) == 0
    with open_collection(path) as col:  # and the deletion was written out
        assert sorted(col.notes_by_guid({"g1": 0, "g2": 0})) == ["g2"]


def test_backup_goes_to_the_profiles_backups_folder_and_restores(tmp_path) -> None:
    profile = tmp_path / "User 1"
    path = new_collection(profile)
    with open_collection(path) as col:
        backup = col.backup()
        assert backup is not None and backup.parent == profile / "backups" and backup.suffix == ".colpkg"
        assert col.backup() is None  # nothing changed since
    from anki._backend import RustBackend

    restored = tmp_path / "restored"
    restored.mkdir()
    RustBackend().import_collection_package(
        col_path=str(restored / "collection.anki2"),
        backup_path=str(backup),
        media_folder=str(restored / "collection.media"),
        media_db=str(restored / "collection.media.db2"),
    )
    with open_collection(restored / "collection.anki2") as copy:
        assert copy.notes_by_guid({"g1": 0})["g1"].fields == ("capital of Peru?", "Lima")


# Profiles


def test_anki_base_per_platform() -> None:
    assert anki_base(platform="linux", env={}, home="/home/u") == PurePosixPath("/home/u/.local/share/Anki2")
    assert anki_base(platform="linux", env={"XDG_DATA_HOME": "/data"}, home="/home/u") == PurePosixPath("/data/Anki2")
    assert anki_base(platform="darwin", env={}, home="/Users/u") == PurePosixPath("/Users/u/Library/Application Support/Anki2")
    appdata = {"APPDATA": r"C:\Users\u\AppData\Roaming"}
    assert anki_base(platform="win32", env=appdata, home=r"C:\Users\u") == PureWindowsPath(r"C:\Users\u\AppData\Roaming\Anki2")
    assert anki_base(platform="win32", env={}, home=r"C:\Users\u") == PureWindowsPath(r"C:\Users\u\AppData\Roaming\Anki2")
    env = {"ANKI_BASE": "/srv/anki", "XDG_DATA_HOME": "/data"}
    assert anki_base(platform="linux", env=env, home="/home/u") == PurePosixPath("/srv/anki")
    assert anki_base(platform="linux", env=env, home="/home/u", override="/elsewhere") == PurePosixPath("/elsewhere")


def _profile(base: Path, name: str, collection: bool = True) -> Path:
    folder = base / name
    folder.mkdir(parents=True)
    if collection:
        (folder / "collection.anki2").write_bytes(b"")
    return folder


def _prefs(base: Path, *names: str) -> None:
    db = sqlite3.connect(base / "prefs21.db")
    db.execute("create table profiles (name text primary key, data blob not null)")
    db.executemany("insert into profiles values (?, ?)", [(name, b"") for name in ("_global", *names)])
    db.commit()
    db.close()


def test_the_only_profile_is_chosen(tmp_path) -> None:
    _profile(tmp_path, "User 1")
    (tmp_path / "addons21").mkdir()  # Anki's other folders are no profiles
    assert find_collection(tmp_path) == tmp_path / "User 1" / "collection.anki2"
    assert find_collection(tmp_path, "User 1") == tmp_path / "User 1" / "collection.anki2"


def test_several_profiles_need_a_name(tmp_path) -> None:
    _profile(tmp_path, "Alice")
    _profile(tmp_path, "Bob")
    with pytest.raises(ProfileError, match="several Anki profiles .* --profile: Alice, Bob"):
        find_collection(tmp_path)
    assert find_collection(tmp_path, "Bob") == tmp_path / "Bob" / "collection.anki2"
    with pytest.raises(ProfileError, match="no Anki profile 'Carol' .*; profiles: Alice, Bob$"):
        find_collection(tmp_path, "Carol")


def test_no_profile_or_no_folder_is_an_error_saying_what_was_found(tmp_path) -> None:
    with pytest.raises(ProfileError, match="no Anki folder at"):
        find_collection(tmp_path / "missing")
    with pytest.raises(ProfileError, match="no Anki collection in .*; no profiles"):
        find_collection(tmp_path)


def test_prefs21_lists_profiles_and_folders_add_unlisted_ones(tmp_path) -> None:
    _prefs(tmp_path, "Main", "Fresh")
    _profile(tmp_path, "Main")
    _profile(tmp_path, "Copied")  # a folder Anki does not list
    found = {p.name: (p.listed, p.has_collection) for p in find_profiles(tmp_path)}
    assert found == {"Main": (True, True), "Fresh": (True, False), "Copied": (False, True)}
    with pytest.raises(ProfileError, match="several Anki profiles .* --profile: Main, Copied$"):
        find_collection(tmp_path)
    with pytest.raises(ProfileError, match=r"profiles: Fresh \(no collection yet\), Main, Copied \(not in prefs21.db\)$"):
        find_collection(tmp_path, "Other")
    assert find_collection(tmp_path, "Copied") == tmp_path / "Copied" / "collection.anki2"
    with pytest.raises(ProfileError, match="'Fresh' has no collection yet"):
        find_collection(tmp_path, "Fresh")
    shutil.rmtree(tmp_path / "Copied")
    assert choose_profile(tmp_path).name == "Main"  # the only one with a collection


def test_an_unreadable_prefs21_falls_back_to_the_folders(tmp_path) -> None:
    (tmp_path / "prefs21.db").write_bytes(b"garbage" * 1000)
    _profile(tmp_path, "User 1")
    assert find_collection(tmp_path) == tmp_path / "User 1" / "collection.anki2"


def test_anki_base_from_the_environment_finds_the_profile(tmp_path) -> None:
    _profile(tmp_path, "User 1")
    base = anki_base(platform="linux", env={"ANKI_BASE": str(tmp_path)}, home="/nonexistent")
    assert find_collection(Path(base)) == tmp_path / "User 1" / "collection.anki2"
