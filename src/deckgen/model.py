"""The plain frozen values that flow between the pipeline's stages.

Card, Note and StampedNote are named tuples rather than dataclasses: a build makes one of each
per card (100k and more), and a tuple is built about six times faster, which the build cache
needs when it reads them back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Mapping, NamedTuple, Union

from deckgen.identity import card_key, guid_for
from deckgen.names import top_level
from deckgen.problems import Location, Problem

if TYPE_CHECKING:
    from deckgen.anki.notetypes import NoteType, ProjectNoteType

CardKind = Literal["basic", "cloze"]
MediaKind = Literal["image", "sound"]
Status = Literal["new", "changed", "unchanged"]
# (key or attribute, line, col): where a value was written in the card's file. In a card's
# field_positions the line is counted from the card's own line (0: the same line), except for
# a value the card takes from its file's header: its attribute is prefixed with FILE_WIDE and
# its line is the file's, the same for every card of the file.
Position = tuple[str, int, int]
FILE_WIDE = "file:"


class Card(NamedTuple):
    """One validated card as the user wrote it (text not yet rendered)."""

    id: str
    kind: CardKind
    deck: str
    location: Location
    # The card file's real path (absolute, POSIX): media paths are relative to it. The
    # location's path is only for showing.
    file: str = ""
    front: str = ""
    back: str = ""
    text: str = ""
    extra: str = ""
    source: str = ""
    reverse: bool = False
    tags: tuple[str, ...] = ()
    guid: str | None = None
    # A note type from the project's notetypes/ folder (None: deckgen's own), the text of
    # its fields by name when written under `fields:`, and whether text is HTML as is.
    notetype: str | None = None
    named_fields: tuple[tuple[str, str], ...] = ()
    html: bool = False
    # Where each text value was written: ("front", lines below the card's line, col),
    # ("field:Name", ...), ("file:source", line, col), ...; relative, so that cards written
    # alike share one tuple.
    field_positions: tuple[Position, ...] = ()
    # What the card's id is scoped to and its GUID derives from; None: its top-level deck.
    namespace: str | None = None
    # The lint rules the card switches off, each where it was written.
    nolint: tuple[Position, ...] = ()

    def field_location(self, name: str) -> Location:
        """Return where a text attribute's value was written, or the card's own position."""
        for attribute, line, col in self.field_positions:
            if attribute == name:
                return Location(self.location.path, self.location.line + line, col)
            if attribute == FILE_WIDE + name:
                return Location(self.location.path, line, col)
        return self.location

    @property
    def top_deck(self) -> str:
        """Name the package this card goes into."""
        return top_level(self.deck)

    @property
    def scope(self) -> str:
        """Name what the card's id is unique within: its namespace, or else its top-level deck."""
        return self.namespace or self.top_deck

    @property
    def key(self) -> str:
        """Identify the card across builds: its id within its scope."""
        return card_key(self.scope, self.id)

    @property
    def note_guid(self) -> str:
        """The GUID of the card's note in Anki: its own `guid`, or one derived from its scope and id."""
        return self.guid or guid_for(self.scope, self.id)

    @property
    def disabled_rules(self) -> frozenset[str]:
        """Name the lint rules this card switches off."""
        return frozenset(code for code, _, _ in self.nolint)


@dataclass(frozen=True)
class MediaRef:
    """A media file a note's text points at, as written; `name` is set once the file is read."""

    kind: MediaKind
    target: str
    card_file: str  # the real path of the card file naming it ("" for a note type's own media)
    location: Location
    name: str | None = None
    # True for a name in Anki's media folder written in HTML text: bundled under that name.
    verbatim: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        """Identify the file a reference means: a verbatim name means one file wherever it is written."""
        return ("", self.target, "") if self.verbatim else (self.kind, self.target, self.card_file)


@dataclass(frozen=True)
class MediaFile:
    """A file to bundle: its name in Anki's media folder and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class MediaFailure:
    """Why a media reference could not be read; located at the reference when reported."""

    code: str
    message: str
    severity: Literal["error", "warning"] = "error"

    def at(self, location: Location) -> Problem:
        """Report the failure where the reference was written."""
        return Problem(location, self.code, self.message, self.severity)


# What each media reference resolved to, by `MediaRef.key`.
MediaIndex = Mapping[tuple[str, str, str], Union[MediaFile, MediaFailure]]


class Note(NamedTuple):
    """A card rendered into the fields of a note type, ready to package.

    `key` and `guid` are the card's (`Card.key`, `Card.note_guid`), worked out once when it
    is rendered, so a cached build never derives them again.
    """

    card: Card
    notetype_id: int
    fields: tuple[str, ...]
    sort_text: str
    ordinals: tuple[int, ...]
    content_hash: str
    media: tuple[MediaRef, ...]
    key: str
    guid: str


class StampedNote(NamedTuple):
    """A note with the identity numbers and modification time that Anki compares."""

    note: Note
    guid: str
    note_id: int
    mod: int
    status: Status


@dataclass(frozen=True)
class ParsedFile:
    """A card file's validated cards, their rendered notes, and the problems found in it.

    `cards` is empty when the file itself is unusable; `notes` holds a note for each card
    that renders (an unknown note type, for one, gives none).
    """

    path: str  # as shown
    file: str  # the real path, absolute
    digest: str  # of its text: what the build cache keys it by
    cards: tuple[Card, ...]
    notes: tuple[Note, ...]
    problems: tuple[Problem, ...]


class LockEntry(NamedTuple):
    """What the last build recorded for one card (or note type).

    A named tuple, not a dataclass: a build reads and makes one per card, and a tuple is about
    half the cost to make.
    """

    key: str
    hash: str
    mod: int
    note_id: int
    kind: str
    deck: str

    def line(self) -> str:
        """Write the entry as one lock-file line."""
        return "\t".join((self.key, self.hash, str(self.mod), str(self.note_id), self.kind, self.deck))


AnyNoteType = Union["NoteType", "ProjectNoteType"]


@dataclass(frozen=True)
class PackagePlan:
    """Everything that goes into one package, in a fixed order."""

    top_deck: str
    decks: tuple[str, ...]
    notes: tuple[StampedNote, ...]
    notetypes: tuple[tuple[AnyNoteType, int], ...]  # each used type with its modification time
    media: tuple[tuple[str, bytes], ...] = ()  # (name in Anki's media folder, bytes), sorted by name


@dataclass(frozen=True)
class PlannedPackage:
    """A package to write, with the counts the build summary reports."""

    filename: str
    plan: PackagePlan
    new: int
    changed: int
    unchanged: int
    digest: str  # of the plan: equal digests give byte-identical packages
    current: bool = False  # the package on disk already holds exactly this plan: nothing to write

    @property
    def cards(self) -> int:
        """Count the Anki cards the package's notes make."""
        return sum(len(s.note.ordinals) for s in self.plan.notes)


@dataclass(frozen=True)
class PackageSummary:
    """What one package holds and how its notes compare with the last build."""

    filename: str
    deck: str
    decks: int
    notes: int
    cards: int
    new: int
    changed: int
    unchanged: int

    @classmethod
    def of(cls, planned: PlannedPackage) -> PackageSummary:
        """Sum up a planned package."""
        plan = planned.plan
        return cls(planned.filename, plan.top_deck, len(plan.decks), len(plan.notes), planned.cards,
                   planned.new, planned.changed, planned.unchanged)


@dataclass(frozen=True)
class Compilation:
    """Everything a build would write, and every problem found on the way.

    `kept` sums up the packages of a build whose inputs are all as the last build left them:
    nothing was planned for them, and they stay as they are.
    """

    packages: tuple[PlannedPackage, ...]
    lock: tuple[LockEntry, ...]
    removed: tuple[LockEntry, ...]
    problems: tuple[Problem, ...]
    kept: tuple[PackageSummary, ...] = ()

    @property
    def summaries(self) -> tuple[PackageSummary, ...]:
        """Every package of the build, packaged or kept, by deck."""
        found = [PackageSummary.of(p) for p in self.packages] + list(self.kept)
        return tuple(sorted(found, key=lambda s: s.deck))

    @property
    def notes(self) -> list[StampedNote]:
        """Every stamped note of the planned packages."""
        return [s for planned in self.packages for s in planned.plan.notes]
