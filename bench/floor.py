"""The floor deckgen is measured against: the least work that still writes importable packages.

Usage: python bench/floor.py CARDS_DIR OUT_DIR

Parse each card file with PyYAML's `CSafeLoader`, put every note and card row straight into
genanki's collection schema with `executemany`, and zip each top-level deck's collection at
deflate level 1. No validation, no Markdown, no located errors, no lock file, no atomic writes:
anything deckgen does beyond this is the price of what it checks and keeps.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import re
import sqlite3
import sys
import zipfile
from pathlib import Path

import yaml

_CLOZE = re.compile(r"\{\{c(\d+)::")
# Three note types, as small as Anki accepts: (id, name, fields, templates, kind).
_MODELS = (
    (1607392319, "Basic", ("Front", "Back"), ("Card 1",), 0),
    (1607392320, "Basic (and reversed card)", ("Front", "Back"), ("Card 1", "Card 2"), 0),
    (1607392321, "Cloze", ("Text", "Back Extra"), ("Cloze",), 1),
)


def _genanki_text(module: str, name: str) -> str:
    """Read one schema string from genanki without importing its package (which loads asyncio)."""
    spec = importlib.util.find_spec("genanki")
    assert spec is not None and spec.submodule_search_locations
    path = Path(next(iter(spec.submodule_search_locations))) / f"{module}.py"
    namespace: dict = {}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    return namespace[name]


def _id(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:6], "big")


def _models_json(deck: int) -> str:
    models = {}
    for mid, name, fields, templates, kind in _MODELS:
        models[str(mid)] = {
            "id": mid, "name": name, "type": kind, "mod": 0, "usn": -1, "sortf": 0, "did": deck,
            "flds": [{"name": f, "ord": n, "sticky": False, "rtl": False, "font": "Arial", "size": 20}
                     for n, f in enumerate(fields)],
            "tmpls": [{"name": t, "ord": n, "qfmt": "{{cloze:Text}}" if kind else "{{Front}}",
                       "afmt": "{{cloze:Text}}" if kind else "{{Back}}", "did": None, "bqfmt": "", "bafmt": ""}
                      for n, t in enumerate(templates)],
            "css": "", "latexPre": "", "latexPost": "", "tags": [], "vers": [], "req": [[0, "any", [0]]],
        }
    return json.dumps(models)


def _collection(schema: str, col: str, top: str, decks: dict[str, list[tuple]]) -> bytes:
    db = sqlite3.connect(":memory:")
    db.executescript(schema)
    db.executescript(col)
    deck_json = {str(_id(name)): {"id": _id(name), "name": name, "desc": "", "conf": 1, "dyn": 0, "mod": 0,
                                  "usn": -1, "collapsed": False, "newToday": [0, 0], "revToday": [0, 0],
                                  "lrnToday": [0, 0], "timeToday": [0, 0], "extendNew": 0, "extendRev": 0}
                 for name in decks}
    db.execute("UPDATE col SET decks = ?, models = ?", (json.dumps(deck_json), _models_json(_id(top))))
    notes, cards = [], []
    for name, rows in decks.items():
        did = _id(name)
        for nid, guid, mid, fields, tags, ordinals in rows:
            notes.append((nid, guid, mid, 0, -1, tags, fields, fields.split("\x1f", 1)[0], 0, 0, ""))
            cards += [(nid * 8 + o, nid, did, o, 0, -1, 0, 0, nid, 0, 0, 0, 0, 0, 0, 0, 0, "") for o in ordinals]
    db.executemany("INSERT INTO notes VALUES (?,?,?,?,?,?,?,?,?,?,?)", notes)
    db.executemany("INSERT INTO cards VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", cards)
    db.commit()
    data = db.serialize()
    db.close()
    return data


def main(cards_dir: Path, out_dir: Path) -> None:
    """Write one package per top-level deck from every card file below `cards_dir`."""
    schema, col = _genanki_text("apkg_schema", "APKG_SCHEMA"), _genanki_text("apkg_col", "APKG_COL")
    packages: dict[str, dict[str, list[tuple]]] = {}
    next_id = 1
    for path in sorted(cards_dir.rglob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        name = data["deck"]
        top = name.split("::")[0]
        rows = packages.setdefault(top, {}).setdefault(name, [])
        file_tags = data.get("tags", [])
        for card in data["cards"]:
            tags = file_tags + card.get("tags", [])
            guid = hashlib.sha256(f"{top}\0{card['id']}".encode()).hexdigest()[:16]
            if "cloze" in card:
                text = card["cloze"]
                ordinals = sorted({int(n) - 1 for n in _CLOZE.findall(text)}) or [0]
                row = (next_id, guid, _MODELS[2][0], f"{text}\x1f{card.get('extra', '')}", " ".join(tags), ordinals)
            else:
                model = _MODELS[1] if card.get("reverse") else _MODELS[0]
                row = (next_id, guid, model[0], f"{card['q']}\x1f{card['a']}", " ".join(tags), range(len(model[3])))
            rows.append(row)
            next_id += 1
    out_dir.mkdir(parents=True, exist_ok=True)
    for top, decks in sorted(packages.items()):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            archive.writestr("collection.anki2", _collection(schema, col, top, decks))
            archive.writestr("media", "{}")
        slug = re.sub(r"[^\w]+", "-", top.casefold()).strip("-")
        (out_dir / f"{slug}.apkg").write_bytes(buffer.getvalue())


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
