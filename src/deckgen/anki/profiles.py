"""Finding a user's collection file the way Anki's desktop app does.

Anki keeps everything in one base folder: `-b FOLDER` on its command line, else `$ANKI_BASE`,
else `%APPDATA%\\Anki2` on Windows, `~/Library/Application Support/Anki2` on macOS and
`$XDG_DATA_HOME/Anki2` (`~/.local/share/Anki2`) elsewhere. Each profile is a sub-folder named
after it, holding `collection.anki2` (and its `backups/`). The profile list itself is the
`profiles` table of `prefs21.db` in the base folder (the row `_global` holds app settings); a
listed profile has no collection until Anki first opens it, and a folder copied in by hand
holds a collection that Anki does not list. Both count here: the list and the folders.

Everything takes the platform and environment as arguments, so tests never look at the
machine; `default_base()` is the one place that does.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import Mapping

COLLECTION_FILE = "collection.anki2"
PREFS_FILE = "prefs21.db"
_GLOBAL_ROW = "_global"


class ProfileError(Exception):
    """No collection could be chosen; the message says what was found."""


@dataclass(frozen=True)
class Profile:
    """One profile: listed in prefs21.db, or a folder holding a collection, or both."""

    name: str
    folder: Path
    listed: bool  # in Anki's prefs21.db

    @property
    def collection(self) -> Path:
        return self.folder / COLLECTION_FILE

    @property
    def has_collection(self) -> bool:
        return self.collection.is_file()


def anki_base(*, platform: str, env: Mapping[str, str], home: str | PurePath, override: str | os.PathLike[str] | None = None) -> PurePath:
    """Anki's base folder: the override, `$ANKI_BASE`, or the platform's default.

    `platform` is a `sys.platform` value; the result is a pure path of that platform's kind.
    Relative overrides stay relative (Anki makes them absolute against its working folder).
    """
    windows = platform.startswith("win") or platform == "cygwin"
    flavour = PureWindowsPath if windows else PurePosixPath
    if override:
        return flavour(override)
    if env.get("ANKI_BASE"):
        return flavour(env["ANKI_BASE"])
    if windows:
        appdata = env.get("APPDATA")
        return flavour(appdata, "Anki2") if appdata else flavour(home, "AppData", "Roaming", "Anki2")
    if platform == "darwin":
        return flavour(home, "Library", "Application Support", "Anki2")
    return flavour(env.get("XDG_DATA_HOME") or flavour(home, ".local", "share"), "Anki2")


def default_base(override: str | os.PathLike[str] | None = None) -> Path:
    """Anki's base folder on this machine."""
    return Path(anki_base(platform=sys.platform, env=os.environ, home=Path.home(), override=override)).absolute()


def listed_profiles(base: Path) -> list[str] | None:
    """The profile names in `prefs21.db`, in its order; None when it is absent or unreadable.

    The file is opened read-only and immutable: nothing is written beside it, and a desktop
    app that has it open is not disturbed.
    """
    prefs = Path(base) / PREFS_FILE
    if not prefs.is_file():
        return None
    try:
        db = sqlite3.connect(f"{prefs.absolute().as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            rows = db.execute("SELECT name FROM profiles WHERE name != ?", (_GLOBAL_ROW,)).fetchall()
        finally:
            db.close()
    except sqlite3.Error:
        return None
    return [name for (name,) in rows if isinstance(name, str) and name]


def find_profiles(base: Path) -> list[Profile]:
    """Every profile of a base folder: Anki's list first, then unlisted folders with a collection."""
    base = Path(base)
    names = listed_profiles(base) or []
    profiles = [Profile(name, base / name, listed=True) for name in names]
    seen = set(names)
    if base.is_dir():
        for child in sorted(base.iterdir(), key=lambda p: p.name):
            if child.name not in seen and (child / COLLECTION_FILE).is_file():
                profiles.append(Profile(child.name, child, listed=False))
    return profiles


def _describe(profiles: list[Profile]) -> str:
    if not profiles:
        return "no profiles"
    any_listed = any(p.listed for p in profiles)  # else there is no readable prefs21.db
    parts = []
    for p in profiles:
        notes = [] if p.has_collection else ["no collection yet"]
        if any_listed and not p.listed:
            notes.append("not in prefs21.db")
        parts.append(f"{p.name} ({', '.join(notes)})" if notes else p.name)
    return "profiles: " + ", ".join(parts)


def choose_profile(base: Path, name: str | None = None) -> Profile:
    """The profile named, or the only one with a collection; ProfileError says what was found."""
    base = Path(base)
    if not base.is_dir():
        raise ProfileError(f"no Anki folder at {base} (set ANKI_BASE, or pass the collection file)")
    profiles = find_profiles(base)
    if name is not None:
        matches = [p for p in profiles if p.name == name]
        if not matches:
            raise ProfileError(f"no Anki profile {name!r} in {base}; {_describe(profiles)}")
        if not matches[0].has_collection:
            raise ProfileError(f"Anki profile {name!r} has no collection yet (open it in Anki once): {matches[0].collection}")
        return matches[0]
    usable = [p for p in profiles if p.has_collection]
    if len(usable) == 1:
        return usable[0]
    if not usable:
        raise ProfileError(f"no Anki collection in {base}; {_describe(profiles)}")
    raise ProfileError(f"several Anki profiles in {base}, choose one with --profile: {', '.join(p.name for p in usable)}")


def find_collection(base: Path, name: str | None = None) -> Path:
    """The collection file of the profile named, or of the only profile that has one."""
    return choose_profile(base, name).collection
