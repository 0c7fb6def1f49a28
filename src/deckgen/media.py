"""Find, check and read the images and sounds cards point at: the media edge of the pipeline.

A file is bundled under a name made from its content (`dg-<sha256 prefix>.<ext>`), so two
different `diagram.png` never collide and an edited image reaches Anki under a new name
instead of leaving the old copy in place. Paths are relative to the card file and must stay
inside the project folder (the folder holding `cards/`), symlinks included.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import unquote

from deckgen.model import MediaRef, Note
from deckgen.problems import Problem
from deckgen.render import link_media
from deckgen.sources import display_path

IMAGE_TYPES = (".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp")
SOUND_TYPES = (".mp3", ".ogg", ".oga", ".opus", ".wav", ".m4a", ".aac", ".flac")
NAME_PREFIX = "dg-"
MEDIA_FOLDER = "media"  # inside the card folder: the files HTML text names, under their Anki names
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:|//")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class MediaFile:
    """A file to bundle: its name in Anki's media folder and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class _Failure:
    code: str
    message: str
    severity: str = "error"


def media_name_problem(name: str) -> str | None:
    """Say why a name cannot be a file directly inside one folder (Anki's media folder), or None."""
    if not name or name in (".", ".."):
        return "is empty or a folder name"
    if "/" in name or "\\" in name:
        return "contains a path separator"
    if ":" in name:  # a drive letter (C:x) or a Windows stream name
        return "contains a drive letter or ':'"
    if _CONTROL.search(name):
        return "contains control characters"
    if len(name.encode("utf-8")) > 240:
        return "is too long"
    return None


def media_name(data: bytes, suffix: str) -> str:
    """Name a media file after its content, keeping its type's extension."""
    return f"{NAME_PREFIX}{hashlib.sha256(data).hexdigest()[:16]}{suffix.lower()}"


def _path_problem(kind: str, target: str) -> _Failure | None:
    """Check what can be told from the path as written, before touching the disk."""
    if _URL.match(target):
        message = f"{kind} '{target}' is a URL; only files in the project are bundled, so save it beside the card file"
        return _Failure("media-url", message)
    if PurePosixPath(target).is_absolute() or PureWindowsPath(target).is_absolute() or target.startswith("\\"):
        return _Failure("media-absolute", f"{kind} path '{target}' is absolute; write it relative to the card file")
    allowed = IMAGE_TYPES if kind == "image" else SOUND_TYPES
    if PurePosixPath(target).suffix.lower() not in allowed:
        return _Failure("media-type", f"'{target}' is not a supported {kind} type (use {', '.join(allowed)})")
    return None


class MediaLoader:
    """Resolve and read media files below one project folder, each file once."""

    def __init__(self, project_root: Path, media_dir: Path | None = None) -> None:
        self.root = project_root.resolve()
        self.media_dir = media_dir or self.root / "cards" / MEDIA_FOLDER
        self.cache: dict[tuple[str, str, str], MediaFile | _Failure] = {}
        self.looked_at: dict[str, bytes | None] = {}  # every path tried, for the build cache

    def _note(self, path: Path, data: bytes | None) -> None:
        self.looked_at[str(path.absolute())] = data

    def files_read(self) -> dict[str, str | None]:
        """Return each path a build looked for, with a hash of its bytes (None: not there)."""
        return {path: None if data is None else hashlib.sha256(data).hexdigest()
                for path, data in sorted(self.looked_at.items())}

    def _inside(self, path: Path) -> bool:
        return path == self.root or self.root in path.parents

    def _read(self, kind: str, target: str, card_file: str) -> MediaFile | _Failure:
        failure = _path_problem(kind, target)
        if failure is not None:
            return failure
        written = Path(card_file).parent / target
        if not self._inside(Path(os.path.normpath(written.absolute()))):
            return _Failure("media-outside", f"{kind} path '{target}' leaves the project folder")
        resolved = written.resolve()
        if not self._inside(resolved):
            return _Failure("media-outside", f"{kind} '{target}' is a link to a file outside the project folder")
        if not resolved.is_file():
            self._note(written, None)
            return _Failure("media-missing", f"{kind} '{target}' not found (looked for {display_path(written)})")
        try:
            data = resolved.read_bytes()
        except OSError as exc:
            return _Failure("media-unreadable", f"cannot read {kind} '{target}': {exc.strerror}")
        self._note(written, data)
        return MediaFile(media_name(data, resolved.suffix), data)

    def _read_named(self, name: str) -> MediaFile | _Failure:
        """Read a file HTML text names from the media folder, keeping its name."""
        problem = media_name_problem(name)
        if problem:
            return _Failure("media-outside", f"media name '{name}' {problem}; HTML text names files in the media folder")
        shown = display_path(self.media_dir)
        for candidate in dict.fromkeys((name, unquote(name))):  # Anki also finds %-encoded names
            path = self.media_dir / candidate
            if not path.is_file():
                self._note(path, None)
                continue
            if not self._inside(path.resolve()):
                return _Failure("media-outside", f"'{candidate}' in {shown} is a link to a file outside the project folder")
            try:
                data = path.read_bytes()
                self._note(path, data)
                return MediaFile(candidate, data)
            except OSError as exc:
                return _Failure("media-unreadable", f"cannot read '{candidate}': {exc.strerror}")
        # The text is passed to Anki unchanged, so a missing file only means Anki lacks it too.
        return _Failure("media-missing", f"'{name}' not found in {shown}; the card will show it missing", "warning")

    def load(self, ref: MediaRef) -> MediaFile | Problem:
        """Return the file a reference names, or a problem located at the reference."""
        key = ("", ref.target, "") if ref.verbatim else (ref.kind, ref.target, ref.card_file)
        if key not in self.cache:
            self.cache[key] = self._read_named(ref.target) if ref.verbatim else self._read(*key)
        found = self.cache[key]
        if isinstance(found, _Failure):
            return Problem(ref.location, found.code, found.message, found.severity)  # type: ignore[arg-type]
        return found


def attach_media(notes: list[Note], loader: MediaLoader) -> tuple[list[Note], dict[str, bytes], list[Problem]]:
    """Load every note's media and name the files in its fields; return notes, files by name, problems."""
    linked: list[Note] = []
    files: dict[str, bytes] = {}
    problems: list[Problem] = []
    for note in notes:
        if not note.media:
            linked.append(note)
            continue
        names: dict[str, str] = {}
        for ref in note.media:
            found = loader.load(ref)
            if isinstance(found, Problem):
                problems.append(found)
            else:
                names[ref.target] = found.name
                files[found.name] = found.data
        linked.append(link_media(note, names))
    return linked, files, problems
