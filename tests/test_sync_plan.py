"""The sync plan as a pure function: an edit made in Anki is never planned over, whatever the inputs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from deckgen.anki.collection import CollectionCard, CollectionNote
from deckgen.compiler.notes import note_hash
from deckgen.model import Card, LockEntry, Note, StampedNote
from deckgen.problems import Location
from deckgen.sync.compare import fields_hash, same_fields, tag_set
from deckgen.sync.plan import note_plan
from deckgen.sync.state import NoteRecord

TEXTS = st.sampled_from(["one", "two", "<b>two</b>", "<strong>two</strong>", "three"])
TAGS = st.lists(st.sampled_from(["a", "A", "b", "deckgen::removed"]), max_size=3).map(tuple)


def _stamped(fields: tuple[str, ...], tags: tuple[str, ...], status: str) -> StampedNote:
    card = Card("x", "basic", "D", Location("c.yaml", 3, 5), tags=tags)
    note = Note(card, 7, fields, fields[0], (0,), note_hash(card, 7, fields), (), "D/x", "g")
    return StampedNote(note, "g", 1, 100, status)  # type: ignore[arg-type]


@given(built=st.tuples(TEXTS, TEXTS), built_tags=TAGS, anki=st.tuples(TEXTS, TEXTS), anki_tags=TAGS,
       written=st.none() | st.tuples(TEXTS, TEXTS), lock=st.none() | st.tuples(TEXTS, TEXTS),
       status=st.sampled_from(["changed", "unchanged"]), mod=st.none() | st.integers(50, 150), force=st.booleans())
def test_a_note_edited_in_anki_is_never_overwritten_unless_forced(built, built_tags, anki, anki_tags, written, lock,
                                                                   status, mod, force) -> None:
    stamped = _stamped(built, built_tags, status)
    note = CollectionNote(1, "g", 7, mod, anki, anki_tags, (CollectionCard(5, 0, "D", False, False),))
    record = None if written is None else NoteRecord("g", 1, fields_hash(written), tuple(sorted(tag_set(built_tags))), "D")
    entry = None if lock is None else LockEntry("D/x", note_hash(stamped.note.card, 7, lock), 100, 1, "basic", "D")
    plan = note_plan(stamped, note, record, entry, force)
    same = same_fields(anki, built) and tag_set(anki_tags) == tag_set(built_tags)
    edited_in_anki = (fields_hash(anki) != record.fields or tuple(sorted(tag_set(anki_tags))) != record.tags
                      if record is not None else
                      lock is None or note_hash(stamped.note.card, 7, anki) != entry.hash)  # type: ignore[union-attr]
    if same:
        assert plan.action == "unchanged"
    elif edited_in_anki and not force:
        assert plan.action in ("edited", "conflict")
    if plan.action == "update" and not force:
        assert not edited_in_anki or same
