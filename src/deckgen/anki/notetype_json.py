"""Anki's note-type JSON: deckgen's own types as packaged, and the project's `notetypes/*.json` files.

A note-type file is Anki's own note-type JSON, with what deckgen manages itself left out: `mod`
and `usn` (the lock file stamps the modification time) and each field's and template's `ord`
(their order in the file is their order). Everything else, ids included, is kept exactly, so
Anki recognises the type as its own.
"""

from __future__ import annotations

import json

from deckgen.anki.notetypes import OWN_TYPES, NoteType, ProjectNoteType
from deckgen.problems import Location, Problem, error

_MANAGED = ("mod", "usn")
_FIRST_KEYS = ("name", "id", "type", "sortf", "flds", "tmpls", "css")
_ITEM_FIRST_KEYS = ("name", "id", "qfmt", "afmt")


# What Anki's backend needs in every field, template and note type of a package: it refuses a
# package whose note type lacks any of these ("missing field `sticky`"). A project's file may leave
# them out; packaging fills in Anki's own defaults (what a new note type in Anki 26.9 has).
FIELD_DEFAULTS = {
    "sticky": False, "rtl": False, "font": "Arial", "size": 20, "media": [], "description": "",
    "plainText": False, "collapsed": False, "excludeFromSearch": False,
}
TEMPLATE_DEFAULTS = {"bqfmt": "", "bafmt": "", "bfont": "", "bsize": 0, "did": None}
TYPE_DEFAULTS = {
    "sortf": 0,
    "css": "",
    "latexPre": "\\documentclass[12pt]{article}\n\\special{papersize=3in,5in}\n"
    "\\usepackage[utf8]{inputenc}\n\\usepackage{amssymb,amsmath}\n\\pagestyle{empty}\n"
    "\\setlength{\\parindent}{0in}\n\\begin{document}\n",
    "latexPost": "\\end{document}",
    "latexsvg": False,
    "tags": [],
    "vers": [],
}


def _completed(data: dict, mod: int, default_deck: int) -> dict:
    """Number the fields and templates, stamp the time, and fill every key Anki requires."""
    for key, defaults in (("flds", FIELD_DEFAULTS), ("tmpls", TEMPLATE_DEFAULTS)):
        data[key] = [{**defaults, **item, "ord": ordinal} for ordinal, item in enumerate(data[key])]
    data = {**TYPE_DEFAULTS, "did": default_deck, **data, "mod": mod, "usn": -1}
    data.setdefault("req", [[i, "any", [0]] for i in range(len(data["tmpls"]))])
    return data


def own_type_json(notetype: NoteType, mod: int, default_deck: int) -> dict:
    """Return Anki's JSON for one of deckgen's own note types, as packaged."""
    return _completed({
        "id": notetype.id,
        "name": notetype.name,
        "type": notetype.anki_type,
        "tmpls": [{"name": t.name, "id": t.id, "qfmt": t.front, "afmt": t.back} for t in notetype.templates],
        "flds": [{"name": f.name, "id": f.id} for f in notetype.fields],
        "css": notetype.css,
    }, mod, default_deck)


def project_type_json(notetype: ProjectNoteType, mod: int, default_deck: int) -> dict:
    """Return Anki's JSON for a project's note type: its file, completed with Anki's defaults."""
    return _completed(json.loads(notetype.definition), mod, default_deck)


def _ordered(item: dict, first: tuple[str, ...]) -> dict:
    head = {k: item[k] for k in first if k in item}
    return {**head, **{k: item[k] for k in sorted(item) if k not in head}}


def definition_from_anki(anki_json: str) -> dict:
    """Turn Anki's note-type JSON into the project file's content (deckgen-managed keys out)."""
    data = {k: v for k, v in json.loads(anki_json).items() if k not in _MANAGED}
    for key in ("flds", "tmpls"):
        data[key] = [_ordered({k: v for k, v in item.items() if k != "ord"}, _ITEM_FIRST_KEYS)
                     for item in data.get(key, [])]
    return _ordered(data, _FIRST_KEYS)


def format_definition(definition: dict) -> str:
    """Write a note-type file's text: stable key order, two-space indent, UTF-8 as is."""
    return json.dumps(definition, ensure_ascii=False, indent=2) + "\n"


class _Checker:
    def __init__(self, location: Location) -> None:
        self.location = location
        self.problems: list[Problem] = []

    def fail(self, message: str) -> None:
        self.problems.append(error(self.location, "notetype-invalid", message))

    def text(self, item: dict, key: str, where: str, required: bool = True) -> str:
        value = item.get(key)
        if isinstance(value, str) and (value.strip() or not required):
            return value
        if required or key in item:
            self.fail(f"{where}'{key}' must be {'non-empty ' if required else ''}text")
        return ""

    def number(self, item: dict, key: str, where: str, optional: bool = False) -> int | None:
        value = item.get(key)
        if optional and value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not -(2**63) <= value < 2**63:
            self.fail(f"{where}'{key}' must be a whole number")
            return None
        return value

    def items(self, data: dict, key: str, what: str) -> list[dict]:
        value = data.get(key)
        if not isinstance(value, list) or not value or not all(isinstance(i, dict) for i in value):
            self.fail(f"'{key}' must be a non-empty list of {what}")
            return []
        return value


def _build(data: dict, checker: _Checker, location: Location) -> ProjectNoteType | None:
    name = checker.text(data, "name", "")
    nt_id = checker.number(data, "id", "")
    kind = data.get("type", 0)
    if kind not in (0, 1) or isinstance(kind, bool):
        checker.fail("'type' must be 0 (standard) or 1 (cloze)")
    fields = [checker.text(f, "name", f"field {i + 1}: ") for i, f in enumerate(checker.items(data, "flds", "fields"))]
    templates = []
    for i, item in enumerate(checker.items(data, "tmpls", "templates")):
        where = f"template {i + 1}: "
        templates.append((checker.text(item, "name", where), checker.text(item, "qfmt", where), checker.text(item, "afmt", where, False)))
        checker.number(item, "id", where, optional=True)
    for i, item in enumerate(data.get("flds") or []):
        if isinstance(item, dict):
            checker.number(item, "id", f"field {i + 1}: ", optional=True)
    if len(set(fields)) != len(fields):
        checker.fail("two fields have the same name")
    sort_field = checker.number(data, "sortf", "") if "sortf" in data else 0
    if sort_field is not None and fields and not 0 <= sort_field < len(fields):
        checker.fail(f"'sortf' must name a field: 0 to {len(fields) - 1}")
    css = checker.text(data, "css", "", required=False)
    if checker.problems or nt_id is None or sort_field is None:
        return None
    return ProjectNoteType(
        id=nt_id, name=name, kind="cloze" if kind == 1 else "basic", field_names=tuple(fields),
        templates=tuple(templates), sort_field=sort_field, css=css,
        definition=json.dumps(data, ensure_ascii=False, sort_keys=True), location=location,
    )


def parse_notetype(text: str, path: str) -> tuple[ProjectNoteType | None, list[Problem]]:
    """Read one note-type file's text into a note type, or problems."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = Location(path, exc.lineno, exc.colno)
        return None, [error(where, "notetype-syntax", f"not valid JSON: {exc.msg}")]
    location = Location(path, 1, 1)
    checker = _Checker(location)
    if not isinstance(data, dict):
        checker.fail("a note-type file must hold one JSON object")
        return None, checker.problems
    return _build(data, checker, location), checker.problems


def clashes(types: list[ProjectNoteType]) -> list[Problem]:
    """Report two files defining one name or id, or an id deckgen's own types use."""
    problems: list[Problem] = []
    seen: dict[object, ProjectNoteType] = {}
    own_ids = {nt.id for nt in OWN_TYPES}
    for nt in types:
        if nt.id in own_ids:
            problems.append(error(nt.location, "notetype-clash", f"note type id {nt.id} is one of deckgen's own note types"))
        for value in (nt.name, nt.id):
            first = seen.setdefault(value, nt)
            if first is not nt:
                problems.append(error(nt.location, "notetype-clash", f"note type {value!r} is also defined in {first.location.path}"))
    return problems
