"""Write one self-contained HTML page showing every card's front and back, as Anki will show them.

The page uses the note types' own templates (through `cardview`) and CSS, inlines every asset and
media file, and loads nothing from the network: its Content-Security-Policy forbids it.
"""

from __future__ import annotations

import html
import mimetypes
import os
import re
from base64 import b64encode
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from deckgen.build import LoadedProject, load_project, write_atomically
from deckgen.cardview import card_views
from deckgen.config import default_config_path, read_config
from deckgen.lint import KNOWN_CODES, lint, warnings_by_card
from deckgen.model import DECK_SEPARATOR, Note
from deckgen.notetypes import NOTETYPES
from deckgen.problems import Problem, sorted_problems
from deckgen.sources import display_path

PREVIEW_NAME = "preview.html"
_IMG_SRC = re.compile(r"""(<img\b[^>]*?\bsrc=)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"


@dataclass(frozen=True)
class PreviewReport:
    """The outcome of writing (or refusing to write) the preview page."""

    problems: tuple[Problem, ...]
    path: str
    cards: int = 0
    notes: int = 0
    decks: int = 0
    warned: int = 0  # notes with lint warnings
    wrote: bool = False

    @property
    def failed(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


@dataclass(frozen=True)
class LinkStyle:
    """How each card links back to its source: relative file links, or an editor URL template."""

    page_dir: Path
    editor_url: str = ""  # e.g. "vscode://file/{path}:{line}:{col}"; empty for plain file links

    def href(self, display_path: str, line: int, col: int) -> str:
        source = Path(display_path).resolve()
        if self.editor_url:
            return self.editor_url.format(path=source.as_posix(), line=line, col=col)
        return Path(os.path.relpath(source, self.page_dir.resolve())).as_posix()


def data_uri(name: str, data: bytes) -> str:
    """Encode a media file as a data: URI, typed from its name."""
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{b64encode(data).decode('ascii')}"


def inline_media(markup: str, media: Mapping[str, bytes]) -> str:
    """Replace each `<img src="name">` with the file's bytes as a data: URI.

    A reference missing from `media` gets an empty image and a `data-missing` attribute rather
    than a request the page's policy would block (and log as an error).
    """

    def replace(match: re.Match[str]) -> str:
        head, quote, name = match.group(1), match.group(2), html.unescape(match.group(3))
        if name.startswith("data:"):
            return match.group(0)
        if name in media:
            return f"{head}{quote}{data_uri(name, media[name])}{quote}"
        marked = f'{head[:4]} data-missing="{html.escape(name)}"{head[4:]}'  # after "<img"
        return f"{marked}{quote}data:,{quote}"

    return _IMG_SRC.sub(replace, markup)


def _asset(name: str) -> str:
    return resources.files("deckgen").joinpath(name).read_text(encoding="utf-8")


def _with_parents(names: Iterable[str]) -> list[str]:
    """List every deck or tag and each of its `::` parents, so a parent selects its whole subtree."""
    found: set[str] = set()
    for name in names:
        parts = name.split(DECK_SEPARATOR)
        found.update(DECK_SEPARATOR.join(parts[: i + 1]) for i in range(len(parts)))
    return sorted(found, key=str.casefold)


def _options(select_id: str, everything: str, values: Iterable[str]) -> str:
    options = [f'<option value="">{everything}</option>']
    options += [f'<option value="{html.escape(v)}">{html.escape(v)}</option>' for v in values]
    return f'<select id="{select_id}" aria-label="{everything}">{"".join(options)}</select>'


def _warnings_html(warnings: Sequence[Problem]) -> str:
    items = "".join(f"<li>line {p.location.line}: {html.escape(p.message)} <code>{p.code}</code></li>" for p in warnings)
    return f'<ul class="pv-warnings">{items}</ul>' if warnings else ""


def _card_html(note: Note, media: Mapping[str, bytes], links: LinkStyle, status: str,
               warnings: Sequence[Problem]) -> list[str]:
    card = note.card
    where = card.location
    label = f"{where.path}:{where.line}"
    tags = " ".join(card.tags)
    warned = ' data-warned=""' if warnings else ""
    articles = []
    for view in card_views(note):
        sides = "".join(
            f'<div class="pv-side"><div class="pv-label">{side}</div>'
            f'<div class="card card{view.ordinal + 1}">{inline_media(markup, media)}</div></div>'
            for side, markup in (("Front", view.front), ("Back", view.back))
        )
        badge = f'<span class="pv-status pv-{status}">{status}</span>' if status else ""
        articles.append(
            f'<article class="pv-card" data-deck="{html.escape(card.deck)}" data-tags="{html.escape(tags)}"{warned}>'
            f'<div class="pv-meta"><a class="pv-src" href="{html.escape(links.href(where.path, where.line, where.col))}">'
            f"{html.escape(label)}</a> <code>{html.escape(card.id)}</code> <span>{html.escape(view.template)}</span>"
            f' {badge}<span class="pv-tags">{html.escape(tags)}</span></div>'
            f'{_warnings_html(warnings)}<div class="pv-sides">{sides}</div></article>'
        )
    return articles


def preview_html(
    notes: Iterable[Note],
    media: Mapping[str, bytes],
    links: LinkStyle,
    statuses: Mapping[str, str] | None = None,
    warnings: Mapping[str, Sequence[Problem]] | None = None,
) -> str:
    """Render the preview page: every card of every note, grouped by deck, with its source link.

    `statuses` (new/changed/unchanged) and lint `warnings` are keyed by `Card.key`.
    """
    statuses, warnings = statuses or {}, warnings or {}
    notes = sorted(notes, key=lambda n: (n.card.deck.casefold(), n.card.location))
    by_deck: dict[str, list[str]] = {}
    for note in notes:
        key = note.card.key
        by_deck.setdefault(note.card.deck, []).extend(
            _card_html(note, media, links, statuses.get(key, ""), warnings.get(key, ())))
    sections = [
        f'<section class="pv-deck" data-deck="{html.escape(deck)}"><h2>{html.escape(deck)} '
        f'<span class="pv-n">{len(cards)}</span></h2>{"".join(cards)}</section>'
        for deck, cards in by_deck.items()
    ]
    total = sum(len(cards) for cards in by_deck.values())
    tags = _with_parents({tag for note in notes for tag in note.card.tags})
    # Note types may share one stylesheet; include each distinct one once.
    css = "\n".join(dict.fromkeys(NOTETYPES[note.card.kind].css for note in notes))
    controls = (
        '<input id="pv-q" type="search" placeholder="Search cards" aria-label="Search cards">'
        + _options("pv-deck", "All decks", _with_parents(by_deck))
        + _options("pv-tag", "All tags", tags)
        + '<label><input id="pv-warned" type="checkbox"> With lint warnings</label>'
        + '<label><input id="pv-night" type="checkbox"> Night mode</label>'
        + f'<span id="pv-count">{total} of {total} cards</span>'
    )
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>deckgen preview</title>"
        f"<style>{_asset('preview.css')}</style><style>{css}</style></head>\n"
        f'<body><header class="pv-bar">{controls}</header>\n<main>{"".join(sections)}</main>\n'
        f'<p id="pv-empty" hidden>No card matches.</p>'
        f"<script>{_asset('preview.js')}</script></body></html>\n"
    )


def run_preview(
    cards_dir: Path,
    out_dir: Path,
    lock_path: Path | None = None,
    *,
    config_path: Path | None = None,
    editor_url: str = "",
    media: Mapping[str, bytes] | None = None,
) -> PreviewReport:
    """Compile and lint the cards and write `<out_dir>/preview.html`, unless something is wrong."""
    project = load_project(cards_dir, lock_path, out_dir=out_dir)
    config, problems = read_config(config_path or default_config_path(cards_dir), KNOWN_CODES)
    if problems:
        return PreviewReport(tuple(sorted_problems([*project.problems, *problems])), display_path(out_dir / PREVIEW_NAME))
    warnings = [] if project.failed else lint(list(project.files), config.lint)
    return write_preview(project, out_dir, editor_url=editor_url, media=media, warnings=warnings)


def write_preview(
    project: LoadedProject,
    out_dir: Path,
    *,
    editor_url: str = "",
    media: Mapping[str, bytes] | None = None,
    warnings: Sequence[Problem] = (),
) -> PreviewReport:
    """Write a loaded project's preview page, unless it has errors (the last good page stays)."""
    target = out_dir / PREVIEW_NAME
    shown = display_path(target)
    if project.failed:
        return PreviewReport(project.problems, shown)
    stamped = [s for planned in project.compilation.packages for s in planned.plan.notes]
    statuses = {s.note.card.key: s.status for s in stamped}
    by_card = warnings_by_card(warnings, [s.note.card for s in stamped])
    if media is None:  # the files the packages bundle, under the names the fields use
        media = {name: data for planned in project.compilation.packages for name, data in planned.plan.media}
    page = preview_html([s.note for s in stamped], media, LinkStyle(out_dir, editor_url), statuses, by_card)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_atomically({target: page.encode("utf-8")})
    return PreviewReport(
        project.problems, shown,
        cards=sum(len(s.note.ordinals) for s in stamped),
        notes=len(stamped),
        decks=len({s.note.card.deck for s in stamped}),
        warned=len(by_card),
        wrote=True,
    )
