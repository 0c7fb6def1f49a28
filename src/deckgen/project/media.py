"""Find, check and read the images and sounds cards point at: the media edge of the pipeline.

A Markdown card names a file relative to the card file; it is bundled under a name made from
its content (`dg-<sha256 prefix>.<ext>`), so two different `diagram.png` never collide and an
edited image reaches Anki under a new name. HTML text (`format: html`) names files in the
card folder's `media/` folder, bundled under that very name. Either way the file must be a
regular file inside the project folder (the folder holding `cards/`), links included, and
every name is checked after decoding `%`-escapes, as Anki decodes them.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Iterable
from urllib.parse import unquote

from deckgen.model import MediaFailure, MediaFile, MediaRef
from deckgen.names import media_name, media_name_problem
from deckgen.project.files import LIMITS, is_inside, read_bytes
from deckgen.project.paths import display_path

IMAGE_TYPES = (".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp")
SOUND_TYPES = (".mp3", ".ogg", ".oga", ".opus", ".wav", ".m4a", ".aac", ".flac")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:|//")

MediaKey = tuple[str, str, str]


def _path_problem(kind: str, target: str) -> MediaFailure | None:
    """Check what can be told from the path as written, before touching the disk."""
    if _URL.match(target):
        message = f"{kind} '{target}' is a URL; only files in the project are bundled, so save it beside the card file"
        return MediaFailure("media-url", message)
    if "\x00" in target:
        return MediaFailure("media-name", f"{kind} path contains a NUL character")
    if PurePosixPath(target).is_absolute() or PureWindowsPath(target).is_absolute() or target.startswith("\\"):
        return MediaFailure("media-absolute", f"{kind} path '{target}' is absolute; write it relative to the card file")
    allowed = IMAGE_TYPES if kind == "image" else SOUND_TYPES
    if PurePosixPath(target).suffix.lower() not in allowed:
        return MediaFailure("media-type", f"'{target}' is not a supported {kind} type (use {', '.join(allowed)})")
    return None


class MediaReader:
    """Resolve and read media files below one project folder, each file once."""

    def __init__(self, root: Path, media_dir: Path) -> None:
        self.root = root.resolve()
        self.media_dir = media_dir
        self.looked_at: dict[str, str | None] = {}  # every path tried and a hash of its bytes, for the build cache

    def _read(self, path: Path, what: str) -> MediaFile | MediaFailure | None:
        """Read one file inside the project; None when it does not exist."""
        data, problem = read_bytes(path, display_path(path), LIMITS.media, self.root)
        if problem is not None:
            if problem.code == "outside-project":
                return MediaFailure("media-outside", f"{what} is a link to a file outside the project folder")
            return MediaFailure("media-unreadable", f"cannot read {what}: {problem.message.removeprefix('cannot read file: ')}")
        self.looked_at[str(path.absolute())] = None if data is None else hashlib.sha256(data).hexdigest()
        return None if data is None else MediaFile("", data)

    def _relative(self, kind: str, target: str, card_file: str) -> MediaFile | MediaFailure:
        """Read a file a Markdown card names relative to itself, named by its content."""
        failure = _path_problem(kind, target)
        if failure is not None:
            return failure
        written = Path(card_file).parent / target
        if not is_inside(Path(os.path.normpath(written.absolute())), self.root):
            return MediaFailure("media-outside", f"{kind} path '{target}' leaves the project folder")
        found = self._read(written, f"{kind} '{target}'")
        if found is None:
            return MediaFailure("media-missing", f"{kind} '{target}' not found (looked for {display_path(written)})")
        if isinstance(found, MediaFailure):
            return found
        return MediaFile(media_name(found.data, PurePosixPath(target).suffix), found.data)

    def _named(self, name: str) -> MediaFile | MediaFailure:
        """Read a file HTML text names from the media folder, keeping its name."""
        shown = display_path(self.media_dir)
        for candidate in dict.fromkeys((name, unquote(name))):  # Anki also finds %-encoded names
            problem = media_name_problem(candidate)
            if problem:
                return MediaFailure("media-outside", f"media name '{name}' {problem}; HTML text names files in the media folder")
            found = self._read(self.media_dir / candidate, f"'{candidate}' in {shown}")
            if found is not None:
                return found if isinstance(found, MediaFailure) else MediaFile(candidate, found.data)
        # The text is passed to Anki unchanged, so a missing file only means Anki lacks it too.
        return MediaFailure("media-missing", f"'{name}' not found in {shown}; the card will show it missing", "warning")

    def read(self, ref: MediaRef) -> MediaFile | MediaFailure:
        """Return the file a reference names, or why it cannot be bundled."""
        return self._named(ref.target) if ref.verbatim else self._relative(ref.kind, ref.target, ref.card_file)


def read_media(refs: Iterable[MediaRef], root: Path, media_dir: Path) -> tuple[dict[MediaKey, MediaFile | MediaFailure], dict[str, str | None]]:
    """Read every file the references name, once each; also return each path tried with its hash."""
    reader = MediaReader(root, media_dir)
    found: dict[MediaKey, MediaFile | MediaFailure] = {}
    for ref in refs:
        if ref.key not in found:
            found[ref.key] = reader.read(ref)
    return found, dict(sorted(reader.looked_at.items()))
