"""deckgen's note types: fixed ids for the types, their fields and their templates.

Anki matches an incoming note type to the one in the collection by id, and merges fields and
templates by their own ids. These ids are constants and must never change; a new field is
appended with a new id so that existing collections merge it instead of forking the type.
"""

from __future__ import annotations

from dataclasses import dataclass

from deckgen.model import CardKind


@dataclass(frozen=True)
class Field:
    """A note-type field and its permanent id."""

    name: str
    id: int


@dataclass(frozen=True)
class Template:
    """A card template (one card per note when its front is non-empty)."""

    name: str
    id: int
    front: str
    back: str


@dataclass(frozen=True)
class NoteType:
    """A note type as packaged: Anki's type 0 is standard, 1 is cloze."""

    id: int
    name: str
    kind: CardKind
    fields: tuple[Field, ...]
    templates: tuple[Template, ...]
    css: str

    @property
    def anki_type(self) -> int:
        """Return Anki's numeric note-type kind."""
        return 1 if self.kind == "cloze" else 0


# A CJK-capable font stack first for Chinese text, then each platform's UI font.
CSS = """\
.card {
  font-family: -apple-system, "Segoe UI", Roboto, "Noto Sans", "PingFang SC", "Hiragino Sans GB",
    "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif;
  font-size: 20px;
  line-height: 1.5;
  text-align: left;
  color: #1f2328;
  background-color: #ffffff;
  overflow-wrap: anywhere;
}
.dg { max-width: 40em; margin: 0 auto; padding: 0.5em 0.75em; }
.dg-q { font-weight: 600; }
.dg-a { margin-top: 0.25em; }
.dg-extra { margin-top: 0.75em; color: #4a5058; font-size: 0.9em; }
.dg-source { margin-top: 1.25em; color: #6a7079; font-size: 0.7em; }
.dg-source::before { content: "Source: "; }
hr#answer { border: 0; border-top: 1px solid #d0d7de; margin: 0.75em 0; }
.cloze { font-weight: 700; color: #0b57d0; }
.nightMode .card, .night_mode .card, .card.nightMode, .card.night_mode {
  color: #e6e6e6;
  background-color: #1e1f22;
}
.nightMode .dg-extra, .night_mode .dg-extra { color: #b8bcc2; }
.nightMode .dg-source, .night_mode .dg-source { color: #9aa0a8; }
.nightMode hr#answer, .night_mode hr#answer { border-top-color: #444851; }
.nightMode .cloze, .night_mode .cloze { color: #8ab4f8; }
@media (max-width: 480px) {
  .card { font-size: 18px; }
  .dg { padding: 0.25em 0.25em; }
}
"""

_BACK_DETAILS = (
    '{{#Extra}}<div class="dg-extra">{{Extra}}</div>{{/Extra}}'
    '{{#Source}}<div class="dg-source">{{Source}}</div>{{/Source}}'
)

BASIC = NoteType(
    id=1742960700001,
    name="deckgen Basic",
    kind="basic",
    fields=(
        Field("Front", 5184190010101),
        Field("Back", 5184190010102),
        Field("Extra", 5184190010103),
        Field("Source", 5184190010104),
        Field("Reverse", 5184190010105),
    ),
    templates=(
        Template(
            "Card 1",
            5184190010201,
            '<div class="dg"><div class="dg-q">{{Front}}</div></div>',
            '<div class="dg"><div class="dg-q">{{Front}}</div><hr id="answer">'
            '<div class="dg-a">{{Back}}</div>' + _BACK_DETAILS + "</div>",
        ),
        Template(
            # Generated only for notes whose Reverse field is non-empty.
            "Card 2 (reverse)",
            5184190010202,
            '{{#Reverse}}<div class="dg"><div class="dg-q">{{Back}}</div></div>{{/Reverse}}',
            '<div class="dg"><div class="dg-q">{{Back}}</div><hr id="answer">'
            '<div class="dg-a">{{Front}}</div>' + _BACK_DETAILS + "</div>",
        ),
    ),
    css=CSS,
)

CLOZE = NoteType(
    id=1742960700002,
    name="deckgen Cloze",
    kind="cloze",
    fields=(
        Field("Text", 5184190020101),
        Field("Extra", 5184190020102),
        Field("Source", 5184190020103),
    ),
    templates=(
        Template(
            "Cloze",
            5184190020201,
            '<div class="dg"><div class="dg-q">{{cloze:Text}}</div></div>',
            '<div class="dg"><div class="dg-q">{{cloze:Text}}</div>' + _BACK_DETAILS + "</div>",
        ),
    ),
    css=CSS,
)

NOTETYPES: dict[CardKind, NoteType] = {"basic": BASIC, "cloze": CLOZE}
