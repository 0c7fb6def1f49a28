"""Note types: deckgen's own (fixed ids for the types, their fields and templates), the project's
own (`notetypes/*.json`, kept by `deckgen import`), and the registry a build passes around.

Anki matches an incoming note type to the one in the collection by id, and merges fields and
templates by their own ids. deckgen's ids are constants and must never change; a new field is
appended with a new id so that existing collections merge it instead of forking the type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from deckgen.identity import content_hash
from deckgen.model import CardKind, MediaRef
from deckgen.problems import Location

# Anki keeps media whose name starts with "_" for templates and styling (fonts, scripts).
_TEMPLATE_MEDIA = re.compile(r"(?<![\w.-])(_[^\s\"'()<>/\\:]+\.[A-Za-z0-9]+)")


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
    """One of deckgen's own note types: Anki's type 0 is standard, 1 is cloze."""

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

    @property
    def field_names(self) -> tuple[str, ...]:
        """Name the fields in order."""
        return tuple(field.name for field in self.fields)

    @property
    def content_hash(self) -> str:
        """Hash the definition, so a restyled note type gets a newer modification time."""
        return content_hash(repr(self))


@dataclass(frozen=True)
class ProjectNoteType:
    """A note type defined in the project, with what rendering and packaging need from it."""

    id: int
    name: str
    kind: CardKind
    field_names: tuple[str, ...]
    templates: tuple[tuple[str, str, str], ...]  # (name, front, back)
    sort_field: int
    css: str
    definition: str  # the file's JSON, keys sorted: what the lock file hashes
    location: Location

    @property
    def content_hash(self) -> str:
        """Hash the definition, so an edited note type gets a newer modification time."""
        return content_hash(self.definition)

    @property
    def template_media(self) -> tuple[str, ...]:
        """Name the `_`-prefixed media files its templates and styling use."""
        text = "\n".join([self.css, *(part for t in self.templates for part in t[1:])])
        return tuple(dict.fromkeys(_TEMPLATE_MEDIA.findall(text)))

    @property
    def media_refs(self) -> tuple[MediaRef, ...]:
        """Refer to the template media files, bundled (when present) under their own names."""
        return tuple(MediaRef("image", name, "", self.location, verbatim=True) for name in self.template_media)


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
""" + """\
.dg p, .dg ul, .dg ol, .dg blockquote, .dg table, .dg pre { margin: 0 0 0.6em; }
.dg > div > :last-child { margin-bottom: 0; }
.dg ul, .dg ol { padding-left: 1.4em; }
.dg h1, .dg h2, .dg h3, .dg h4, .dg h5, .dg h6 { font-size: 1.1em; margin: 0.4em 0 0.3em; }
.dg blockquote { padding-left: 0.8em; border-left: 3px solid #d0d7de; color: #4a5058; }
.dg img { max-width: 100%; height: auto; vertical-align: middle; }
.dg table { border-collapse: collapse; font-size: 0.9em; }
.dg th, .dg td { border: 1px solid #d0d7de; padding: 0.2em 0.6em; }
.dg th { background-color: #f6f8fa; }
.dg code {
  font-family: ui-monospace, "SF Mono", "Cascadia Mono", Menlo, Consolas, "DejaVu Sans Mono",
    "Liberation Mono", "Noto Sans Mono CJK SC", monospace;
  font-size: 0.85em;
}
.dg :not(pre) > code {
  padding: 0.1em 0.3em; border-radius: 4px; color: #1f2328; background-color: #eef0f2;
}
.dg pre.dg-code {
  padding: 0.6em 0.8em; border: 1px solid #d0d7de; border-radius: 6px; overflow-x: auto;
  font-weight: 400; line-height: 1.45; text-align: left; white-space: pre; overflow-wrap: normal;
  color: #1f2328; background-color: #f6f8fa;
}
.dg pre.dg-code code { font-size: 0.8em; }
.dg-code .cloze { outline: 2px solid currentColor; outline-offset: 1px; border-radius: 2px; }
.dg .cloze code, .nightMode .dg .cloze code, .night_mode .dg .cloze code { color: inherit; }
""" + """\
.dg-code .k, .dg-code .ow, .dg-code .cp { color: #cf222e; }
.dg-code .kc, .dg-code .nb, .dg-code .m, .dg-code .na, .dg-code .se, .dg-code .gh, .dg-code .gu { color: #0550ae; }
.dg-code .kt, .dg-code .nc, .dg-code .ne { color: #953800; }
.dg-code .nf, .dg-code .nd { color: #8250df; }
.dg-code .nt { color: #116329; }
.dg-code .s { color: #0a3069; }
.dg-code .c { color: #59636e; font-style: italic; }
.dg-code .gi { color: #116329; background-color: #dafbe1; }
.dg-code .gd { color: #82071e; background-color: #ffebe9; }
.dg-code .gp { color: #59636e; }
.dg-code .ge { font-style: italic; }
.dg-code .gs, .dg-code .gh, .dg-code .gu { font-weight: 700; }
.dg-code .err { color: #82071e; }
""" + """\
.nightMode .dg blockquote, .night_mode .dg blockquote { border-left-color: #444851; color: #b8bcc2; }
.nightMode .dg th, .night_mode .dg th, .nightMode .dg td, .night_mode .dg td { border-color: #444851; }
.nightMode .dg th, .night_mode .dg th { background-color: #2b2d31; }
.nightMode .dg :not(pre) > code, .night_mode .dg :not(pre) > code { color: #e6e6e6; background-color: #34363c; }
.nightMode .dg pre.dg-code, .night_mode .dg pre.dg-code { color: #e6e6e6; background-color: #2b2d31; border-color: #3d4048; }
.nightMode .dg img, .night_mode .dg img { background-color: #f6f8fa; border-radius: 4px; }
.nightMode .dg-code .k, .night_mode .dg-code .k, .nightMode .dg-code .ow, .night_mode .dg-code .ow,
.nightMode .dg-code .cp, .night_mode .dg-code .cp { color: #ff7b72; }
.nightMode .dg-code .kc, .night_mode .dg-code .kc, .nightMode .dg-code .nb, .night_mode .dg-code .nb,
.nightMode .dg-code .m, .night_mode .dg-code .m, .nightMode .dg-code .na, .night_mode .dg-code .na,
.nightMode .dg-code .se, .night_mode .dg-code .se, .nightMode .dg-code .gh, .night_mode .dg-code .gh,
.nightMode .dg-code .gu, .night_mode .dg-code .gu { color: #79c0ff; }
.nightMode .dg-code .kt, .night_mode .dg-code .kt, .nightMode .dg-code .nc, .night_mode .dg-code .nc,
.nightMode .dg-code .ne, .night_mode .dg-code .ne { color: #ffa657; }
.nightMode .dg-code .nf, .night_mode .dg-code .nf, .nightMode .dg-code .nd, .night_mode .dg-code .nd { color: #d2a8ff; }
.nightMode .dg-code .nt, .night_mode .dg-code .nt { color: #7ee787; }
.nightMode .dg-code .s, .night_mode .dg-code .s { color: #a5d6ff; }
.nightMode .dg-code .c, .night_mode .dg-code .c, .nightMode .dg-code .gp, .night_mode .dg-code .gp { color: #9da5b0; }
.nightMode .dg-code .gi, .night_mode .dg-code .gi { color: #aff5b4; background-color: #033a16; }
.nightMode .dg-code .gd, .night_mode .dg-code .gd { color: #ffdcd7; background-color: #67060c; }
.nightMode .dg-code .err, .night_mode .dg-code .err { color: #ffa198; }
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


OWN_TYPES: tuple[NoteType, NoteType] = (BASIC, CLOZE)


@dataclass(frozen=True)
class NoteTypes:
    """The note types a build knows: deckgen's own two and the project's, by name."""

    own: tuple[NoteType, NoteType] = OWN_TYPES
    project: tuple[ProjectNoteType, ...] = ()

    def own_type(self, kind: CardKind) -> NoteType:
        """Return deckgen's note type for a kind of card."""
        return self.own[1] if kind == "cloze" else self.own[0]

    def named(self, name: str) -> ProjectNoteType | None:
        """Return the project's note type of that name, if there is one."""
        return next((nt for nt in self.project if nt.name == name), None)

    @property
    def project_names(self) -> tuple[str, ...]:
        """Name the project's note types."""
        return tuple(nt.name for nt in self.project)

    @property
    def own_ids(self) -> frozenset[int]:
        """The ids of deckgen's own note types."""
        return frozenset(nt.id for nt in self.own)

    @property
    def every(self) -> tuple[NoteType | ProjectNoteType, ...]:
        """deckgen's own note types, then the project's."""
        return (*self.own, *self.project)

    def by_id(self, notetype_id: int) -> NoteType | ProjectNoteType | None:
        """Return the note type with that id."""
        return next((nt for nt in self.every if nt.id == notetype_id), None)

    @property
    def fingerprint(self) -> str:
        """Hash every definition: what the build cache keys rendered notes by."""
        return content_hash(*(nt.content_hash for nt in self.every))
