"""Read the optional project settings file, `deckgen.toml` beside the card folder.

The only module that reads TOML. Mistakes in it are located problems like any card mistake.
"""

from __future__ import annotations

import difflib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 reads TOML through the tomli backport
    import tomli as tomllib

from deckgen.problems import Location, Problem, error
from deckgen.sources import display_path

CONFIG_NAME = "deckgen.toml"
_DECODE_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


@dataclass(frozen=True)
class LintSettings:
    """What `deckgen lint` checks, and its limits."""

    disable: frozenset[str] = frozenset()
    max_answer_words: int = 15
    max_cloze_deletions: int = 3
    near_duplicate_similarity: float = 0.8


@dataclass(frozen=True)
class Config:
    """The project's settings; defaults when there is no settings file."""

    lint: LintSettings = field(default_factory=LintSettings)


def default_config_path(cards_dir: Path) -> Path:
    """Keep the settings file beside the card folder, like the lock file."""
    return cards_dir.resolve().parent / CONFIG_NAME


class _Reader:
    """Check the parsed TOML, locating each mistake by searching the text for its key."""

    def __init__(self, text: str, path: str) -> None:
        self.lines = text.splitlines()
        self.path = path
        self.problems: list[Problem] = []

    def locate(self, key: str) -> Location:
        pattern = re.compile(rf"^\s*(\[\s*)?[\"']?{re.escape(key)}\b")
        for number, line in enumerate(self.lines, start=1):
            if pattern.match(line):
                return Location(self.path, number, line.index(key) + 1)
        return Location(self.path, 1, 1)

    def fail(self, key: str, message: str) -> None:
        self.problems.append(error(self.locate(key), "bad-config", message))

    def known(self, table: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
        for key in table:
            if key not in allowed:
                guess = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = f"; did you mean '{guess[0]}'?" if guess else f"; expected one of: {', '.join(allowed)}"
                self.fail(key, f"unknown setting '{key}' in {where}{hint}")

    def number(self, table: dict[str, Any], key: str, default: float, kind: type, low: float, high: float) -> Any:
        value = table.get(key, default)
        # bool is an int in Python; `max-answer-words = true` is still a mistake.
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not isinstance(value, int)):
            self.fail(key, f"'{key}' must be {'a whole number' if kind is int else 'a number'}")
            return default
        if not low <= value <= high:
            self.fail(key, f"'{key}' must be between {low} and {high}")
            return default
        return value

    def lint(self, table: Any, known_codes: frozenset[str]) -> LintSettings:
        defaults = LintSettings()
        if not isinstance(table, dict):
            self.fail("lint", "'lint' must be a table: [lint]")
            return defaults
        self.known(table, ("disable", "max-answer-words", "max-cloze-deletions", "near-duplicate-similarity"), "[lint]")
        disable = table.get("disable", [])
        if not isinstance(disable, list) or not all(isinstance(code, str) for code in disable):
            self.fail("disable", "'disable' must be a list of rule codes, e.g. [\"missing-source\"]")
            disable = []
        for code in disable:
            if code not in known_codes:
                guess = difflib.get_close_matches(code, sorted(known_codes), n=1, cutoff=0.6)
                hint = f"; did you mean '{guess[0]}'?" if guess else ""
                self.fail("disable", f"unknown lint rule '{code}'{hint}")
        return LintSettings(
            disable=frozenset(disable) & known_codes,
            max_answer_words=self.number(table, "max-answer-words", defaults.max_answer_words, int, 1, 10_000),
            max_cloze_deletions=self.number(table, "max-cloze-deletions", defaults.max_cloze_deletions, int, 1, 1_000),
            near_duplicate_similarity=self.number(
                table, "near-duplicate-similarity", defaults.near_duplicate_similarity, float, 0.5, 1.0),
        )


def parse_config(text: str, path: str, known_codes: frozenset[str]) -> tuple[Config, list[Problem]]:
    """Parse the settings file's text; problems instead of exceptions, defaults where it is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        position = _DECODE_POSITION.search(str(exc))
        line, col = (int(position.group(1)), int(position.group(2))) if position else (1, 1)
        message = _DECODE_POSITION.sub("", str(exc)).strip()
        return Config(), [error(Location(path, line, col), "config-syntax", f"TOML syntax: {message}")]
    reader = _Reader(text, path)
    reader.known(data, ("lint",), "the settings file")
    settings = reader.lint(data["lint"], known_codes) if "lint" in data else LintSettings()
    return Config(settings), reader.problems


def read_config(path: Path, known_codes: frozenset[str]) -> tuple[Config, list[Problem]]:
    """Read the settings file when there is one."""
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config(), []
    except (OSError, UnicodeDecodeError) as exc:
        return Config(), [error(Location(shown), "bad-config", f"cannot read settings file: {exc}")]
    return parse_config(text, shown, known_codes)
