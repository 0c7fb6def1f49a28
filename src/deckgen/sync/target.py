"""Which collection a sync or pull works on: a file, a profile's, or a running Anki's through AnkiConnect."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from deckgen.anki.ankiconnect import DEFAULT_URL, AnkiConnectCollection
from deckgen.anki.collection import AnkiCollection, CollectionError, open_collection
from deckgen.anki.profiles import ProfileError, default_base, find_collection
from deckgen.errors import DISTRIBUTION, BadUsage, DeckgenError
from deckgen.project.paths import display_path
from deckgen.sync.state import collection_slug

_INSTALL_HINT = f"deckgen sync and pull need Anki's backend: pip install '{DISTRIBUTION}[import]'"


@dataclass(frozen=True)
class Target:
    """A collection to open: a file (`path`) or AnkiConnect's address (`url`)."""

    path: Path | None = None
    url: str | None = None

    @property
    def label(self) -> str:
        """The collection as shown to the user."""
        return f"AnkiConnect at {self.url}" if self.url else display_path(self.path or "")

    @property
    def slug(self) -> str:
        """The name of this collection's sync state file."""
        # AnkiConnect: one state whatever the address, since the add-on says nothing that tells
        # collections apart (the address is incidental: Anki listens on its default port).
        return collection_slug("ankiconnect" if self.url else str(Path(self.path or "").resolve()))

    @property
    def ankiconnect(self) -> bool:
        return self.url is not None


def resolve_target(collection: Path | None, profile: str | None, base: Path | None,
                   ankiconnect: str | None) -> Target:
    """Turn the command line's choice of collection into a target; a bad choice is BadUsage or DeckgenError."""
    if ankiconnect is not None:
        if collection is not None or profile is not None or base is not None:
            raise BadUsage("--ankiconnect talks to a running Anki: leave out --collection, --profile and --base")
        return Target(url=ankiconnect or DEFAULT_URL)
    if collection is not None:
        if profile is not None or base is not None:
            raise BadUsage("give either --collection or --profile/--base, not both")
        return Target(path=collection)
    try:
        return Target(path=find_collection(default_base(base), profile))
    except ProfileError as exc:
        raise DeckgenError(str(exc)) from None


@contextmanager
def opened(target: Target, *, read_only: bool = False) -> Iterator[AnkiCollection]:
    """Open the target's collection for the length of a `with`; failures are one-line DeckgenErrors."""
    try:
        if target.url is not None:
            remote = AnkiConnectCollection(target.url)
            remote.check_version()
            handle: AnkiCollection = remote
        else:
            handle = open_collection(target.path or Path(), read_only=read_only, install_hint=_INSTALL_HINT)
    except CollectionError as exc:
        raise DeckgenError(str(exc)) from None
    try:
        yield handle
    except CollectionError as exc:
        raise DeckgenError(f"{target.label}: {exc}") from None
    finally:
        handle.close()
