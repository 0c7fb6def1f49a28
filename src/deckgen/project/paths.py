"""Where a project's files are: the card folder and everything kept beside it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

LOCK_NAME = "deckgen.lock"
CONFIG_NAME = "deckgen.toml"
NOTETYPE_FOLDER = "notetypes"
MEDIA_FOLDER = "media"  # inside the card folder: the files HTML text names, under their Anki names
DEFAULT_OUT = Path("build")


def display_path(path: Path | str) -> str:
    """Show a path relative to the working directory when it lies below it, always as printable text.

    A name that is not valid UTF-8 shows its odd bytes as `\\xNN` escapes, so it can be printed
    (and written as JSON); the real path is kept elsewhere for opening the file.
    """
    path = Path(path)
    try:
        # Links are not followed first, so a linked card file is shown by its own name.
        shown = Path(os.path.abspath(path)).relative_to(Path.cwd()).as_posix()
    except (ValueError, OSError):
        try:
            shown = path.resolve().relative_to(Path.cwd().resolve()).as_posix()
        except (ValueError, OSError):
            shown = path.as_posix()
    return os.fsencode(shown).decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class ProjectPaths:
    """The card folder, the output folder, and the lock and settings files (beside the card folder by default)."""

    cards_dir: Path
    out_dir: Path
    lock_path: Path
    config_path: Path

    @classmethod
    def of(cls, cards_dir: Path, out_dir: Path | None = None, lock_path: Path | None = None,
           config_path: Path | None = None) -> ProjectPaths:
        """Fill in the defaults: lock file and settings beside the card folder, packages in build/."""
        root = cards_dir.resolve().parent
        return cls(cards_dir, out_dir if out_dir is not None else DEFAULT_OUT,
                   lock_path or root / LOCK_NAME, config_path or root / CONFIG_NAME)

    @property
    def root(self) -> Path:
        """The project folder: the folder holding the card folder. Nothing outside it is ever read into a package."""
        return self.cards_dir.resolve().parent

    @property
    def notetype_dir(self) -> Path:
        """The project's own note types, beside the card folder."""
        return self.root / NOTETYPE_FOLDER

    @property
    def media_dir(self) -> Path:
        """The folder HTML text's media names point into."""
        return self.cards_dir.resolve() / MEDIA_FOLDER
