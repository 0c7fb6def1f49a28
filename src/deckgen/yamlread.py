"""Read YAML as written: located nodes, every scalar a string, no duplicate keys or aliases.

This is the only module that imports PyYAML. It composes the node graph (never constructs
Python values, so `NO` stays "NO" and `1.10` stays "1.10"), using libyaml when it is
installed and the pure-Python parser otherwise; both give the same nodes and messages.
"""

from __future__ import annotations

from typing import NamedTuple, Union

import yaml

try:  # libyaml is an order of magnitude faster; fall back when PyYAML was built without it.
    from yaml import CBaseLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import BaseLoader as _Loader  # type: ignore[assignment]

from deckgen.problems import Location, Problem, error


class Scalar(NamedTuple):
    """A scalar exactly as written, with its 1-based position."""

    value: str
    line: int
    col: int


class Mapping(NamedTuple):
    """A mapping's key/value pairs in file order, with its position."""

    items: tuple[tuple[Scalar, "Node"], ...]
    line: int
    col: int


class Sequence(NamedTuple):
    """A sequence's items in file order, with its position."""

    items: tuple["Node", ...]
    line: int
    col: int


Node = Union[Scalar, Mapping, Sequence]


def kind_of(node: Node) -> str:
    """Name a node's kind the way messages talk about it."""
    if isinstance(node, Scalar):
        return "text"
    return "a mapping" if isinstance(node, Mapping) else "a list"


class _Converter:
    """Turn PyYAML nodes into our located nodes, collecting duplicate keys and aliases."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.seen: set[int] = set()
        self.reused = False
        self.problems: list[Problem] = []

    def where(self, node: yaml.Node) -> Location:
        mark = node.start_mark
        return Location(self.path, mark.line + 1, mark.column + 1)

    def convert(self, node: yaml.Node) -> Node | None:
        # A composed node met twice is an alias: reject it instead of expanding it,
        # so an alias bomb costs nothing.
        mark = node.start_mark
        line, col = mark.line + 1, mark.column + 1
        if id(node) in self.seen:
            self.reused = True
            # Keep a reused scalar's text so one alias does not also cause "missing" errors.
            return Scalar(node.value, line, col) if isinstance(node, yaml.ScalarNode) else None
        self.seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            return Scalar(node.value, line, col)
        if isinstance(node, yaml.SequenceNode):
            items = tuple(item for item in map(self.convert, node.value) if item is not None)
            return Sequence(items, line, col)
        return self.convert_mapping(node, line, col)

    def convert_mapping(self, node: yaml.MappingNode, line: int, col: int) -> Mapping:
        pairs: list[tuple[Scalar, Node]] = []
        first_seen: dict[str, Scalar] = {}
        for key_node, value_node in node.value:
            key = self.convert(key_node)
            value = self.convert(value_node)
            if key is None or value is None:
                continue
            if not isinstance(key, Scalar):
                where = Location(self.path, key.line, key.col)
                self.problems.append(error(where, "yaml-complex-key", "a key must be plain text"))
                continue
            earlier = first_seen.get(key.value)
            if earlier is not None:
                where = Location(self.path, key.line, key.col)
                message = f"duplicate key '{key.value}' (first at line {earlier.line})"
                self.problems.append(error(where, "duplicate-key", message))
                continue
            first_seen[key.value] = key
            pairs.append((key, value))
        return Mapping(tuple(pairs), line, col)


def _syntax_problem(exc: yaml.YAMLError, text: str, path: str) -> Problem:
    """Describe a YAML syntax error at its mark, with a plainer message for tabs."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    lines = text.splitlines()
    row = lines[line - 1] if 0 < line <= len(lines) else ""
    if "\t" in row[: max(col, 1)] or row[col - 1 : col] == "\t":
        where = Location(path, line, row.index("\t") + 1)
        return error(where, "yaml-tab", "tab character in indentation; YAML needs spaces")
    if isinstance(exc, yaml.composer.ComposerError) and "single document" in (exc.context or ""):
        return error(Location(path, line, col), "yaml-syntax", "only one YAML document per file; remove the second '---'")
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    if context and context_mark is not None and context_mark.line + 1 != line:
        context = f"{context} that starts at line {context_mark.line + 1}"
    message = f"{problem} ({context})" if context else problem
    return error(Location(path, line, col), "yaml-syntax", f"YAML syntax: {message}")


def _alias_problems(text: str, path: str) -> list[Problem]:
    """Locate each alias: composed nodes only show where the anchor was."""
    message = "YAML aliases (*name) are not supported; write the value out"
    return [
        error(Location(path, event.start_mark.line + 1, event.start_mark.column + 1), "yaml-alias", message)
        for event in yaml.parse(text, Loader=_Loader)
        if isinstance(event, yaml.AliasEvent)
    ]


def parse_yaml(text: str, path: str) -> tuple[Node | None, list[Problem]]:
    """Parse one YAML document into located nodes; problems instead of exceptions."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        return None, [_syntax_problem(exc, text, path)]
    if root is None:
        return None, [error(Location(path, 1, 1), "empty-file", "file is empty; expected a mapping with 'deck' and 'cards'")]
    converter = _Converter(path)
    node = converter.convert(root)
    problems = converter.problems
    if converter.reused:  # rare, so the second, event-level pass costs nothing normally
        problems = problems + _alias_problems(text, path)
    return node, problems


def value_ends(text: str) -> dict[tuple[int, int], tuple[int, int]]:
    """Map each mapping key's 1-based (line, col) to the 1-based position just after its value.

    For a block collection or block scalar the end is where the next token starts, so it may be
    the start of a later line. Used to insert text after a value without re-writing the file.
    """
    ends: dict[tuple[int, int], tuple[int, int]] = {}
    pending: list[yaml.Node] = [yaml.compose(text, Loader=_Loader)]
    seen: set[int] = set()
    while pending:
        node = pending.pop()
        if id(node) in seen:  # an alias: never walk a node twice
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                end = value.end_mark
                ends[(key.start_mark.line + 1, key.start_mark.column + 1)] = (end.line + 1, end.column + 1)
                pending.append(value)
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
    return ends
