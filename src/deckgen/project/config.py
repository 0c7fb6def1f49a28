"""Read the optional project settings file, `deckgen.toml` beside the card folder.

The only module that reads TOML. Mistakes in it are located problems like any card mistake.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, NamedTuple

from deckgen.problems import Location, Problem, error
from deckgen.project.files import LIMITS, read_text
from deckgen.project.paths import display_path

_DECODE_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


# Named tuples rather than dataclasses: every build imports this module, and making a frozen
# dataclass costs about a millisecond at import (a no-op build takes about 150 ms in all).
class Option(NamedTuple):
    """A setting a lint rule reads from `[lint]`: its name, type, default and allowed range."""

    name: str
    kind: type
    default: float
    low: float
    high: float


class LintSettings(NamedTuple):
    """What `deckgen lint` checks: the rules switched off, and each rule option's value."""

    disable: frozenset[str] = frozenset()
    values: tuple[tuple[str, float], ...] = ()

    def value(self, option: Option) -> Any:
        """Return an option's value: as set in the settings file, or its default."""
        return next((value for name, value in self.values if name == option.name), option.default)


class Config(NamedTuple):
    """The project's settings (defaults when there is no settings file) and the mistakes in it."""

    lint: LintSettings = LintSettings()
    problems: tuple[Problem, ...] = ()


def _close_match(word: str, choices: Iterable[str]) -> list[str]:
    """Suggest the likeliest meant choice for a misspelt word (an empty list for none)."""
    import difflib  # only a settings file with a mistake needs it: every build reads this module

    return difflib.get_close_matches(word, choices, n=1, cutoff=0.6)


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
                guess = _close_match(key, allowed)
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

    def lint(self, table: Any, rules: Mapping[str, tuple[Option, ...]]) -> LintSettings:
        if not isinstance(table, dict):
            self.fail("lint", "'lint' must be a table: [lint]")
            return LintSettings()
        options = {option.name: option for found in rules.values() for option in found}
        self.known(table, ("disable", *options), "[lint]")
        disable = table.get("disable", [])
        if not isinstance(disable, list) or not all(isinstance(code, str) for code in disable):
            self.fail("disable", "'disable' must be a list of rule codes, e.g. [\"missing-source\"]")
            disable = []
        for code in disable:
            if code not in rules:
                guess = _close_match(code, sorted(rules))
                hint = f"; did you mean '{guess[0]}'?" if guess else ""
                self.fail("disable", f"unknown lint rule '{code}'{hint}")
        values = tuple((name, self.number(table, name, o.default, o.kind, o.low, o.high))
                       for name, o in options.items() if name in table)
        return LintSettings(frozenset(disable) & frozenset(rules), values)


def parse_config(text: str, path: str, rules: Mapping[str, tuple[Option, ...]]) -> Config:
    """Parse the settings file's text; problems instead of exceptions, defaults where it is wrong."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10 reads TOML through the tomli backport
        import tomli as tomllib
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        position = _DECODE_POSITION.search(str(exc))
        line, col = (int(position.group(1)), int(position.group(2))) if position else (1, 1)
        message = _DECODE_POSITION.sub("", str(exc)).strip()
        return Config(problems=(error(Location(path, line, col), "config-syntax", f"TOML syntax: {message}"),))
    reader = _Reader(text, path)
    reader.known(data, ("lint",), "the settings file")
    settings = reader.lint(data["lint"], rules) if "lint" in data else LintSettings()
    return Config(settings, tuple(reader.problems))


def read_config(path: Path, rules: Callable[[], Mapping[str, tuple[Option, ...]]]) -> Config:
    """Read the settings file when there is one; `rules` gives the lint rules' codes and options."""
    shown = display_path(path)
    text, problems = read_text(path, shown, LIMITS.config)
    if problems:
        return Config(problems=tuple(error(p.location, "bad-config", f"settings file: {p.message}") for p in problems))
    return Config() if text is None else parse_config(text, shown, rules())
