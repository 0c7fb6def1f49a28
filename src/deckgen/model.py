"""The plain values that flow between pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from deckgen.problems import Location

CardKind = Literal["basic", "cloze"]
MediaKind = Literal["image", "sound"]
DECK_SEPARATOR = "::"


def top_level(deck: str) -> str:
    """Return the top-level deck of a `A::B::C` deck name."""
    return deck.split(DECK_SEPARATOR, 1)[0]


@dataclass(frozen=True)
class Card:
    """One validated card as the user wrote it (text not yet rendered)."""

    id: str
    kind: CardKind
    deck: str
    location: Location
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
    # (attribute, line, col) where each text value was written ("front", "back", ...), in the
    # card's file; plain numbers because few builds ever need them.
    field_positions: tuple[tuple[str, int, int], ...] = ()
    # What the card's id is scoped to and its GUID derives from; None: its top-level deck.
    namespace: str | None = None

    def field_location(self, name: str) -> Location:
        """Return where a text attribute's value was written, or the card's own position."""
        for attribute, line, col in self.field_positions:
            if attribute == name:
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
        return f"{self.scope}/{self.id}"


@dataclass(frozen=True)
class MediaRef:
    """A media file a note's text points at, as written; `name` is set once the file is read."""

    kind: MediaKind
    target: str
    card_file: str
    location: Location
    name: str | None = None
    # True for a name in Anki's media folder written in HTML text: bundled under that name.
    verbatim: bool = False


@dataclass(frozen=True)
class Note:
    """A card rendered into the fields of a note type, ready to package."""

    card: Card
    notetype_id: int
    fields: tuple[str, ...]
    sort_text: str
    ordinals: tuple[int, ...]
    content_hash: str
    media: tuple[MediaRef, ...] = ()


@dataclass(frozen=True)
class StampedNote:
    """A note with the identity numbers and modification time that Anki compares."""

    note: Note
    guid: str
    note_id: int
    mod: int
    status: Literal["new", "changed", "unchanged"]
