"""Draw one self-contained HTML page showing every card's front and back, as Anki will show them.

The page uses the note types' own templates (through `anki/templates.py`) and CSS, inlines every
asset and media file, and loads nothing from the network: its Content-Security-Policy forbids it.
The same policy lets only the page's own script run: scripts in card text (which HTML cards
from an imported package may hold) run only when asked for (`run_card_scripts`), as in Anki.

The cards travel as compact data (one JSON block; each media file once) and the page's script
draws one page of them at a time, so a deck of 100,000 cards opens as fast as one of 100.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import mimetypes
import os
import re
from base64 import b64encode
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Callable, Generic, Iterable, Mapping, Sequence, TypeVar

from deckgen.anki.notetypes import NoteTypes
from deckgen.anki.templates import CardView, TemplateError, card_views
from deckgen.model import Note
from deckgen.names import with_parents
from deckgen.problems import Problem

PREVIEW_NAME = "preview.html"
T = TypeVar("T")
_IMG = re.compile("<img", re.IGNORECASE)
_CHUNK = 1000  # notes per block of card data (must match CHUNK in preview.js)
_IMG_SRC = re.compile(r"""(<img\b[^>]*?\bsrc=)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class LinkStyle:
    """How each card links back to its source: relative file links, or an editor URL template."""

    page_dir: Path
    editor_url: str = ""  # e.g. "vscode://file/{path}:{line}:{col}"; empty for plain file links

    def href(self, file: str, line: int, col: int) -> str:
        """Link to a line of a card file (given by its real path)."""
        if self.editor_url:
            return self.editor_url.format(path=Path(file).as_posix(), line=line, col=col)
        return self._relative(file)

    @functools.cached_property
    def _relative(self) -> Callable[[str], str]:
        # One page links many cards of few files: each file's relative path is worked out once.
        page_dir = self.page_dir.resolve()
        return functools.lru_cache(maxsize=None)(lambda file: Path(os.path.relpath(Path(file), page_dir)).as_posix())


def editor_url_problem(template: str) -> str | None:
    """Say what is wrong with an --editor-url template, or None when it is usable."""
    try:
        template.format(path="/p", line=1, col=1)
    except (KeyError, IndexError) as exc:
        return f"unknown field {exc} in --editor-url; use {{path}}, {{line}} and {{col}}"
    except ValueError as exc:
        return f"--editor-url is not a valid template ({exc}); write braces as {{{{ and }}}}"
    except (AttributeError, TypeError):  # `{path.x}`, `{line[0]}`: str.format looks inside the values
        return "--editor-url fields take no attributes or indexes; use {path}, {line} and {col}"
    return None


def data_uri(name: str, data: bytes) -> str:
    """Encode a media file as a data: URI, typed from its name."""
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{b64encode(data).decode('ascii')}"


def _asset(name: str) -> str:
    return resources.files("deckgen.output").joinpath(name).read_text(encoding="utf-8")


def _with_parents(names: Iterable[str]) -> list[str]:
    """List every deck or tag and each of its `::` parents, so a parent selects its whole subtree."""
    return sorted(with_parents(names), key=str.casefold)


def _options(select_id: str, everything: str, values: Iterable[str]) -> str:
    options = [f'<option value="">{everything}</option>']
    options += [f'<option value="{html.escape(v)}">{html.escape(v)}</option>' for v in values]
    return f'<select id="{select_id}" aria-label="{everything}">{"".join(options)}</select>'


def _warnings_html(warnings: Sequence[Problem]) -> str:
    items = "".join(f"<li>line {p.location.line}: {html.escape(p.message)} <code>{p.code}</code></li>" for p in warnings)
    return f'<ul class="pv-warnings">{items}</ul>' if warnings else ""


def _views(note: Note, notetypes: NoteTypes) -> list[CardView]:
    """Render a note's cards; a template the preview cannot draw shows why instead."""
    notetype = notetypes.by_id(note.notetype_id)
    try:
        if notetype is None:
            raise TemplateError(f"note type {note.notetype_id} is unknown")
        return card_views(note, notetype)
    except TemplateError as exc:
        message = f'<div class="pv-cannot">The preview cannot draw this card: {html.escape(str(exc))}</div>'
        return [CardView(ordinal, "", message, message) for ordinal in note.ordinals]


class PageMedia:
    """Each media file the cards show, encoded once however many cards show it."""

    def __init__(self, media: Mapping[str, bytes]) -> None:
        self.media = media
        self.index: dict[str, int] = {}
        self.uris: list[str] = []

    def refer(self, markup: str) -> str:
        """Point each `<img src="name">` at the page's copy of the file (the script fills it in).

        The `src` becomes `data-pv-media="N"` (no request, no error before the script sets it);
        a reference missing from the media gets an empty image and `data-missing`, as before.
        """
        if not _IMG.search(markup):
            return markup

        def replace(match: re.Match[str]) -> str:
            head, quote, name = match.group(1), match.group(2), html.unescape(match.group(3))
            if name.startswith("data:"):
                return match.group(0)
            if name in self.media:
                if name not in self.index:
                    self.index[name] = len(self.uris)
                    self.uris.append(data_uri(name, self.media[name]))
                return f'{head[:-4]}data-pv-media="{self.index[name]}"'  # replaces the "src="
            marked = f'{head[:4]} data-missing="{html.escape(name)}"{head[4:]}'  # after "<img"
            return f"{marked}{quote}data:,{quote}"

        return _IMG_SRC.sub(replace, markup)


class _Table(Generic[T]):
    """Distinct values (decks, files, tag lists...) listed once; each note refers to one by its index."""

    def __init__(self) -> None:
        self.index: dict[T, int] = {}

    def __call__(self, value: T) -> int:
        return self.index.setdefault(value, len(self.index))

    def values(self) -> list[T]:
        return list(self.index)


@dataclass
class _Tables:
    """The page's shared tables, named as `preview.js` reads them."""

    decks: _Table[str] = field(default_factory=_Table)
    tags: _Table[str] = field(default_factory=_Table)
    files: _Table[tuple[str, str]] = field(default_factory=_Table)  # (shown path, link)
    templates: _Table[str] = field(default_factory=_Table)
    statuses: _Table[str] = field(default_factory=_Table)


def _shared_start(front: str, back: str) -> int:
    """How many characters the back starts with that the front starts with too."""
    if back.startswith(front):
        return len(front)
    low, high = 0, min(len(front), len(back))  # back starts with front[:low], not with front[:high + 1]
    while low < high:
        middle = (low + high + 1) // 2
        if back.startswith(front[:middle]):
            low = middle
        else:
            high = middle - 1
    return low


def _front(front: str, back: str) -> str | list[object]:
    """A card's front, or `[n, rest]` for `back[:n] + rest` when it starts as the back does.

    The back usually repeats the front (`{{FrontSide}}`, or the question above the answer), so
    this halves what the page holds of most cards; the back stays as written.
    """
    shared = _shared_start(front, back)
    return [shared, front[shared:]] if shared >= 16 else front  # a shorter start is not worth it


def _note_record(note: Note, notetypes: NoteTypes, media: PageMedia, links: LinkStyle, status: str,
                 warnings: Sequence[Problem], tables: _Tables) -> tuple[list[object], list[list[object]]]:
    """One note as the page's script reads it, and its cards (see `preview.js`, which names each position)."""
    card = note.card
    where = card.location
    views: list[list[object]] = []
    for view in _views(note, notetypes):
        back = media.refer(view.back)
        views.append([tables.templates(view.template), view.ordinal, _front(media.refer(view.front), back), back])
    # A plain file link is the same for every card of a file, so it is listed with the file.
    href = links.href(card.file, where.line, where.col)
    file = tables.files((where.path, "" if links.editor_url else href))
    record = [tables.decks(card.deck), tables.tags(" ".join(card.tags)), file, where.line, card.id,
              tables.statuses(status), _warnings_html(warnings), len(views)]
    return (record + [href] if links.editor_url else record), views


def _json(value: object) -> str:
    return _script_safe(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def _script_safe(data: str) -> str:
    """Keep JSON text inside its `<script>` element: no `</` can close it, no `<!--` can open a comment."""
    # Both sequences occur only inside JSON strings, where `\/` and `\u003c` read back as `/` and `<`.
    return data.replace("</", "<\\/").replace("<!--", "\\u003c!--")


def _policy(script: str, run_card_scripts: bool) -> str:
    """The page's Content-Security-Policy: nothing from the network, and only its own script."""
    own = "'sha256-" + b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"
    scripts = "'unsafe-inline'" if run_card_scripts else own
    return f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src {scripts}"


def preview_pieces(
    notes: Iterable[Note],
    notetypes: NoteTypes,
    media: Mapping[str, bytes],
    links: LinkStyle,
    statuses: Mapping[str, str] | None = None,
    warnings: Mapping[str, Sequence[Problem]] | None = None,
    run_card_scripts: bool = False,
) -> tuple[bytes, ...]:
    """Render the preview page as UTF-8 pieces: every card of every note, grouped by deck, with its source link.

    `statuses` (new/changed/unchanged) and lint `warnings` are keyed by `Card.key`. The pieces
    are written one after another: a page of 100,000 cards is tens of megabytes, and joining it
    would hold it twice.
    """
    statuses, warnings = statuses or {}, warnings or {}
    notes = sorted(notes, key=lambda n: (n.card.deck.casefold(), n.card.location))
    tables = _Tables()
    shared = PageMedia(media)
    records: list[bytes] = []
    chunks: list[bytes] = []
    batch: list[list[object]] = []
    cards: list[list[list[object]]] = []
    total = 0
    for number, note in enumerate(notes, start=1):
        key = note.key
        record, views = _note_record(note, notetypes, shared, links, statuses.get(key, ""), warnings.get(key, ()), tables)
        batch.append(record)
        cards.append(views)
        total += len(views)
        # The cards of each _CHUNK notes are a JSON block of their own, which the page reads only
        # when it draws or searches them; encoded a batch at a time, the page is never one str.
        if number % _CHUNK == 0 or number == len(notes):
            records.append((b"," if records else b"") + _json(batch)[1:-1].encode())
            chunks.append(f'<script type="application/json" class="pv-cards">{_json(cards)}</script>\n'.encode())
            batch, cards = [], []
    tags = _with_parents({tag for note in notes for tag in note.card.tags})
    # Note types may share one stylesheet; include each distinct one once.
    types = (notetypes.by_id(notetype_id) for notetype_id in dict.fromkeys(note.notetype_id for note in notes))
    css = "\n".join(dict.fromkeys(nt.css for nt in types if nt is not None))
    script = _asset("preview.js")
    controls = (
        '<input id="pv-q" type="search" placeholder="Search cards" aria-label="Search cards">'
        + _options("pv-deck", "All decks", _with_parents(tables.decks.index))
        + _options("pv-tag", "All tags", tags)
        + '<label><input id="pv-warned" type="checkbox"> With lint warnings</label>'
        + '<label><input id="pv-night" type="checkbox"> Night mode</label>'
        + f'<span id="pv-count">{total} of {total} cards</span>'
    )
    pager = ('<nav class="pv-pager" aria-label="Pages"><button id="pv-prev" type="button">Previous</button>'
             '<span id="pv-page"></span><button id="pv-next" type="button">Next</button></nav>')
    settings = json.dumps({"decks": tables.decks.values(), "tags": tables.tags.values(),
                           "files": tables.files.values(), "templates": tables.templates.values(),
                           "statuses": tables.statuses.values(), "media": shared.uris, "runScripts": run_card_scripts},
                          ensure_ascii=False, separators=(",", ":"))
    head = (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{_policy(script, run_card_scripts)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>deckgen preview</title>"
        f"<style>{_asset('preview.css')}</style><style>{css}</style></head>\n"
        f'<body><header class="pv-bar">{controls}</header>\n<main id="pv-main"></main>\n'
        f'<p id="pv-empty" hidden>No card matches.</p>{pager}\n'
        f'<script type="application/json" id="pv-settings">{_script_safe(settings)}</script>\n'
        '<script type="application/json" id="pv-notes">['
    )
    tail = f"<script>{script}</script></body></html>\n"
    return (head.encode(), *records, b"]</script>\n", *chunks, tail.encode())


def preview_bytes(notes: Iterable[Note], notetypes: NoteTypes, media: Mapping[str, bytes], links: LinkStyle,
                  statuses: Mapping[str, str] | None = None, warnings: Mapping[str, Sequence[Problem]] | None = None,
                  run_card_scripts: bool = False) -> bytes:
    """Render the preview page as UTF-8 (see `preview_pieces`)."""
    return b"".join(preview_pieces(notes, notetypes, media, links, statuses, warnings, run_card_scripts))


def preview_html(notes: Iterable[Note], notetypes: NoteTypes, media: Mapping[str, bytes], links: LinkStyle,
                 statuses: Mapping[str, str] | None = None, warnings: Mapping[str, Sequence[Problem]] | None = None,
                 run_card_scripts: bool = False) -> str:
    """Render the preview page as text (see `preview_bytes`)."""
    return preview_bytes(notes, notetypes, media, links, statuses, warnings, run_card_scripts).decode("utf-8")
