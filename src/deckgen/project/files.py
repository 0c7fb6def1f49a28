"""Read a project's files safely: the one reader every file deckgen opens goes through.

The policy, the same for card files, note types, settings, the lock file, media and packages:
- A file is read only when it is a regular file. A FIFO, a device or a socket is refused
  (reading one could hang or never end), and so is anything larger than its limit.
- Inside the project folder (the folder holding the card folder), links are followed, but
  never out of it: a card file, note type or media file that is a link (or lies in a linked
  folder) leading outside the project is an error. So is a linked folder below the card
  folder that leads outside; one that stays inside is searched like any folder.
- Nothing is ever silently skipped: each refusal is a located problem.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import NamedTuple

from deckgen.problems import Location, Problem, error
from deckgen.project.paths import display_path

CARD_SUFFIXES = (".yaml", ".yml")
MiB = 1 << 20
_BOM = b"\xef\xbb\xbf"


# Named tuples rather than dataclasses: every build imports this module, and making a frozen
# dataclass costs about a millisecond at import (a no-op build takes about 150 ms in all).
class Limits(NamedTuple):
    """How large each kind of file may be (a card file of 64 MiB already holds ~500k cards)."""

    card_file: int = 64 * MiB
    notetype: int = 16 * MiB
    config: int = 1 * MiB
    lock: int = 256 * MiB
    media: int = 256 * MiB
    cache: int = 1024 * MiB
    package: int = 1024 * MiB


LIMITS = Limits()


class SourceFile(NamedTuple):
    """A card file's text, the path it is shown as, and its real path."""

    path: Path
    display: str
    text: str


def is_inside(path: Path, root: Path) -> bool:
    """Tell whether an absolute, resolved path lies in (or is) a folder."""
    return path == root or root in path.parents


def read_bytes(path: Path, shown: str, limit: int, root: Path | None = None) -> tuple[bytes | None, Problem | None]:
    """Read a regular file of at most `limit` bytes; (None, None) when it does not exist.

    With `root`, the file (after following links) must lie inside that folder.
    """
    where = Location(shown)
    if root is not None:
        try:
            real = path.resolve()
        except (OSError, RuntimeError):  # a loop of links
            return None, error(where, "unreadable", "cannot read file: it is a loop of links")
        if not is_inside(real, root):
            return None, error(where, "outside-project", "is a link to a file outside the project folder; "
                                                          "deckgen reads nothing from outside the project")
    try:
        # Non-blocking, so a FIFO put in a file's place cannot hang the open itself.
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, error(where, "unreadable", f"cannot read file: {exc.strerror or exc}")
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a pipe, device or socket)"
            return None, error(where, "not-a-file", f"cannot read file: it is {kind}")
        if info.st_size > limit:
            return None, error(where, "too-large", f"file is {info.st_size:,} bytes, more than the {limit:,} allowed")
        with os.fdopen(handle, "rb", closefd=False) as file:
            data = file.read(limit + 1)
        if len(data) > limit:
            return None, error(where, "too-large", f"file is larger than the {limit:,} bytes allowed")
        return data, None
    except OSError as exc:
        message = "it is a folder" if exc.errno == errno.EISDIR else (exc.strerror or str(exc))
        return None, error(where, "unreadable", f"cannot read file: {message}")
    finally:
        os.close(handle)


def decode(data: bytes, display: str) -> tuple[str | None, list[Problem]]:
    """Decode UTF-8 (with or without a BOM), locating the first invalid byte."""
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        before = data[:start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        bad = data[start : start + 1].hex()
        message = f"file is not valid UTF-8 (byte 0x{bad}); save it as UTF-8"
        return None, [error(Location(display, line, col), "invalid-utf8", message)]


def read_for_edit(path: Path, shown: str, root: Path) -> tuple[bytes, str] | Problem:
    """Read a card file to edit in place, keeping a byte-order mark aside so it is written back unchanged."""
    data, problem = read_bytes(path, shown, LIMITS.card_file, root)
    if problem is not None or data is None:
        return problem or error(Location(shown), "unreadable", "cannot read file: it disappeared while reading")
    bom = data[:3] if data.startswith(_BOM) else b""
    text, problems = decode(data[len(bom):], shown)
    if text is None:
        return problems[0]
    return bom, text


def read_text(path: Path, shown: str, limit: int, root: Path | None = None) -> tuple[str | None, list[Problem]]:
    """Read a UTF-8 text file through `read_bytes`; (None, []) when it does not exist."""
    data, problem = read_bytes(path, shown, limit, root)
    if problem is not None:
        return None, [problem]
    if data is None:
        return None, []
    return decode(data, shown)


def find_card_files(cards_dir: Path, root: Path) -> tuple[list[Path], list[Problem]]:
    """List `*.yaml` and `*.yml` files below a folder, sorted, skipping hidden ones.

    Linked folders are followed while they stay inside the project folder; each folder is
    searched once, however many links lead to it.
    """
    found: list[Path] = []
    problems: list[Problem] = []
    seen: set[Path] = set()
    pending = [cards_dir]
    while pending:
        folder = pending.pop()
        real = folder.resolve()
        if real in seen:
            continue
        seen.add(real)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems.append(error(Location(display_path(folder)), "unreadable", f"cannot read folder: {exc.strerror}"))
            continue
        for entry in entries:
            if entry.name.startswith("."):  # editor and VCS state, never cards
                continue
            path = Path(entry.path)
            if entry.is_dir(follow_symlinks=True):
                if entry.is_symlink() and not is_inside(path.resolve(), root):
                    problems.append(error(Location(display_path(path)), "outside-project",
                                          "is a link to a folder outside the project folder; its cards are not read"))
                else:
                    pending.append(path)
            elif entry.name.endswith(CARD_SUFFIXES):
                found.append(path)
    return sorted(found, key=lambda p: p.as_posix()), problems


def read_sources(cards_dir: Path, root: Path, limits: Limits = LIMITS) -> tuple[list[SourceFile], list[Problem]]:
    """Read every card file below `cards_dir`, collecting unreadable ones as problems."""
    display_dir = display_path(cards_dir)
    if not cards_dir.is_dir():
        where = Location(display_dir, 1, 1)
        return [], [error(where, "no-cards-dir", f"card folder '{display_dir}' does not exist")]
    paths, problems = find_card_files(cards_dir, root)
    sources: list[SourceFile] = []
    for path in paths:
        shown = display_path(path)
        text, found = read_text(path, shown, limits.card_file, root)
        problems.extend(found)
        if text is not None:
            sources.append(SourceFile(path.absolute(), shown, text))
        elif not found:
            problems.append(error(Location(shown), "unreadable", "cannot read file: it disappeared while reading"))
    if not sources and not problems:
        where = Location(display_dir, 1, 1)
        problems.append(error(where, "no-card-files", f"no .yaml or .yml card files in '{display_dir}'"))
    return sources, problems
