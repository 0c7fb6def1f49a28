"""Find card files and read them as text: the input edge of the pipeline."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from deckgen.problems import Location, Problem, error

CARD_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class SourceFile:
    """A card file's text and the path it is reported under."""

    path: Path
    display: str
    text: str


def display_path(path: Path) -> str:
    """Show a path relative to the working directory when it lies below it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def find_card_files(cards_dir: Path) -> list[Path]:
    """List `*.yaml` and `*.yml` files below a folder, sorted, skipping hidden ones."""
    found: list[Path] = []
    for root, dirs, files in os.walk(cards_dir):
        # Hidden folders hold editor and VCS state, never cards.
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(
            Path(root, name)
            for name in files
            if name.endswith(CARD_SUFFIXES) and not name.startswith(".")
        )
    return sorted(found, key=lambda p: p.as_posix())


def decode(data: bytes, display: str) -> tuple[str | None, list[Problem]]:
    """Decode UTF-8 (with or without a BOM), locating the first invalid byte."""
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        before = data[:start]
        line = before.count(b"\n") + 1
        col = start - (before.rfind(b"\n") + 1) + 1
        bad = data[start : start + 1].hex()
        message = f"file is not valid UTF-8 (byte 0x{bad}); save it as UTF-8"
        return None, [error(Location(display, line, col), "invalid-utf8", message)]


def read_sources(cards_dir: Path) -> tuple[list[SourceFile], list[Problem]]:
    """Read every card file below `cards_dir`, collecting unreadable ones as problems."""
    display_dir = display_path(cards_dir)
    if not cards_dir.is_dir():
        where = Location(display_dir, 1, 1)
        return [], [error(where, "no-cards-dir", f"card folder '{display_dir}' does not exist")]
    sources: list[SourceFile] = []
    problems: list[Problem] = []
    for path in find_card_files(cards_dir):
        shown = display_path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            problems.append(error(Location(shown), "unreadable", f"cannot read file: {exc.strerror}"))
            continue
        text, bad = decode(data, shown)
        problems.extend(bad)
        if text is not None:
            sources.append(SourceFile(path, shown, text))
    if not sources and not problems:
        where = Location(display_dir, 1, 1)
        problems.append(error(where, "no-card-files", f"no .yaml or .yml card files in '{display_dir}'"))
    return sources, problems
