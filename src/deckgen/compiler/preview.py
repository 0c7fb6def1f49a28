"""The compile `deckgen preview` needs when the cards are as the last build left them.

A build stamps every note, plans every package and digests each plan; the preview page shows
none of that, only each note with its media linked and how it compares with the lock file.
When the build cache shows that the last build read exactly these inputs (cards, lock file,
note types, media), that build's problems are the ones a compile would find again, so this
compile links and compares the notes and takes the problems from the cache.
"""

from __future__ import annotations

from typing import Iterator, Mapping, NamedTuple

from deckgen.compiler.notes import link_media
from deckgen.compiler.stamp import compare
from deckgen.model import LockEntry, MediaFile, MediaIndex, MediaRef, Note
from deckgen.problems import Problem
from deckgen.project.loader import Project


class PreviewCompilation(NamedTuple):
    """What the preview page is drawn from: linked notes, each note's status, the media they show."""

    notes: tuple[Note, ...]
    statuses: dict[str, str]  # by note key: new, changed or unchanged
    media: dict[str, bytes]  # by the name the fields use
    problems: tuple[Problem, ...]  # every problem a build would report


def _found(refs: tuple[MediaRef, ...], media: MediaIndex, files: dict[str, bytes]) -> dict[tuple[str, str, str], MediaFile]:
    found: dict[tuple[str, str, str], MediaFile] = {}
    for ref in refs:
        loaded = media.get(ref.key)
        if isinstance(loaded, MediaFile):
            found[ref.key] = loaded
            files[loaded.name] = loaded.data
    return found


def _linked(notes: Iterator[Note], media: MediaIndex, files: dict[str, bytes]) -> Iterator[Note]:
    for note in notes:
        yield link_media(note, _found(note.media, media, files)) if note.media else note


def compile_preview(project: Project) -> PreviewCompilation | None:
    """Compile a loaded project for its preview page, or None when the cache cannot vouch for its problems."""
    cache = project.cache
    cached = cache.unchanged(project.inputs)
    # The media the load looked at must be exactly what the last build found (same paths, same bytes).
    if cached is None or project.kept or dict(project.media_seen) != cache.media():
        return None
    entries: Mapping[str, LockEntry] = project.lock.entries
    files: dict[str, bytes] = {}
    notes = tuple(_linked(project.notes, project.media, files))
    for notetype in project.notetypes.project:  # a template may show the note type's own images
        _found(notetype.media_refs, project.media, files)
    if project.reused is not None:  # the lock file is the one the last build wrote for these very notes
        statuses = dict.fromkeys((note.key for note in notes), "unchanged")
    else:
        statuses = {note.key: compare(entries.get(note.key), note.content_hash) for note in notes}
    return PreviewCompilation(notes, statuses, files, cached.problems)
