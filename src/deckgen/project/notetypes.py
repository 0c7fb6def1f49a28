"""Read the project's note types, `notetypes/*.json` beside the card folder (see anki/notetype_json.py)."""

from __future__ import annotations

from pathlib import Path

from deckgen.anki.notetype_json import clashes, parse_notetype
from deckgen.anki.notetypes import OWN_TYPES, NoteType, NoteTypes, ProjectNoteType
from deckgen.problems import Problem, error
from deckgen.project.files import LIMITS, read_text
from deckgen.project.paths import display_path


def read_notetypes(folder: Path, root: Path, own: tuple[NoteType, NoteType] = OWN_TYPES) -> tuple[NoteTypes, list[Problem]]:
    """Read every `*.json` note type in a folder (none when it does not exist) beside deckgen's own."""
    if not folder.is_dir():
        return NoteTypes(own), []
    types: list[ProjectNoteType] = []
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.json")):
        shown = display_path(path)
        text, found = read_text(path, shown, LIMITS.notetype, root)
        problems.extend(error(p.location, "notetype-unreadable", f"cannot read note type: {p.message}") for p in found)
        if text is None:
            continue
        notetype, found = parse_notetype(text, shown)
        problems.extend(found)
        if notetype is not None:
            types.append(notetype)
    problems.extend(clashes(types))
    return NoteTypes(own, tuple(types)), problems
