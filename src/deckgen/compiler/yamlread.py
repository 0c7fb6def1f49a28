"""Read YAML as written: located nodes, every scalar a string, no duplicate keys or aliases.

This is the only module that imports PyYAML. It composes the node graph (never constructs
Python values, so `NO` stays "NO" and `1.10` stays "1.10"), using libyaml when it is
installed and the pure-Python parser otherwise; both give the same nodes and messages.
"""

from __future__ import annotations

import re
from typing import NamedTuple, Union

import yaml
from yaml.nodes import ScalarNode as _ScalarNode
from yaml.nodes import SequenceNode as _SequenceNode

from deckgen.problems import Location, Problem, error


class _Untagged:
    """Skip tag resolution: we read every scalar as text, and resolving costs a call per node."""

    def resolve(self, kind: type, value: object, implicit: object) -> str:
        return ""

    def descend_resolver(self, current_node: object, current_index: object) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


class _PythonLoader(_Untagged, yaml.BaseLoader):
    """PyYAML's pure-Python parser, made to accept and reject what libyaml does.

    It is about ten times slower than libyaml and only used when PyYAML lacks it.
    """

    allow_simple_key: bool  # set by PyYAML's scanner

    def scan_to_next_token(self) -> None:
        # PyYAML's own version, plus libyaml's rule that tabs separate tokens except where
        # they would indent (line start, after '-', '?' or a block ':'), e.g. `q:<TAB>text`.
        if self.index == 0 and self.peek() == "\uFEFF":
            self.forward()
        while True:
            while self.peek() == " " or (self.peek() == "\t" and (self.flow_level or not self.allow_simple_key)):
                self.forward()
            if self.peek() == "#":
                while self.peek() not in "\0\r\n\x85\u2028\u2029":
                    self.forward()
            if not self.scan_line_break():
                return
            if not self.flow_level:
                self.allow_simple_key = True

    def scan_directive(self) -> yaml.DirectiveToken:
        # libyaml rejects directives other than %YAML and %TAG; PyYAML skips them silently.
        token = super().scan_directive()
        if token.name not in ("YAML", "TAG"):
            start = token.start_mark
            width = 1 + len(token.name)
            after = yaml.Mark(start.name, start.index + width, start.line, start.column + width, None, None)  # type: ignore[arg-type]
            raise yaml.scanner.ScannerError("while scanning a directive", start, "found unknown directive name", after)
        return token


LOADERS: dict[str, type] = {"python": _PythonLoader}
try:  # libyaml is an order of magnitude faster; fall back when PyYAML was built without it.
    class _LibyamlLoader(_Untagged, yaml.CBaseLoader):
        """libyaml's parser and composer, called from PyYAML's C extension."""

    LOADERS["libyaml"] = _LibyamlLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    pass
DEFAULT_LOADER = "libyaml" if "libyaml" in LOADERS else "python"


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


# Each card file makes one node per key and value: `_make` skips the keyword-argument handling of
# the named tuples' constructors, which is most of their cost.
_scalar = Scalar._make
_mapping = Mapping._make
_sequence = Sequence._make


def kind_of(node: Node) -> str:
    """Name a node's kind the way messages talk about it."""
    if isinstance(node, Scalar):
        return "text"
    return "a mapping" if isinstance(node, Mapping) else "a list"


class _Converter:
    """Turn PyYAML nodes into our located nodes, collecting duplicate keys and aliases.

    This runs once per node of every card file, so it compares classes directly and only
    tracks node identities when the text could hold an alias at all.
    """

    def __init__(self, path: str, aliases_possible: bool) -> None:
        self.path = path
        self.seen: set[int] | None = set() if aliases_possible else None
        self.reused = False
        self.problems: list[Problem] = []

    def convert(self, node: yaml.Node) -> Node | None:
        mark = node.start_mark
        line, col = mark.line + 1, mark.column + 1
        cls = node.__class__
        if self.seen is not None:
            # A composed node met twice is an alias: reject it instead of expanding it,
            # so an alias bomb costs nothing.
            if id(node) in self.seen:
                self.reused = True
                # Keep a reused scalar's text so one alias does not also cause "missing" errors.
                return _scalar((node.value, line, col)) if cls is _ScalarNode else None
            self.seen.add(id(node))
        if cls is _ScalarNode:
            return _scalar((node.value, line, col))
        if cls is _SequenceNode:
            converted = [self.convert(item) for item in node.value]
            # Only a reused node (an alias) converts to None.
            return _sequence((tuple(item for item in converted if item is not None), line, col))
        return self.convert_mapping(node, line, col)  # type: ignore[arg-type]  # the only node class left

    def convert_mapping(self, node: yaml.MappingNode, line: int, col: int) -> Mapping:
        pairs: list[tuple[Scalar, Node]] = []
        first_seen: dict[str, Scalar] = {}
        convert = self.convert
        plain_keys = self.seen is None
        for key_node, value_node in node.value:
            if plain_keys and key_node.__class__ is _ScalarNode:
                mark = key_node.start_mark
                key: Node | None = _scalar((key_node.value, mark.line + 1, mark.column + 1))
            else:
                key = convert(key_node)
            if plain_keys and value_node.__class__ is _ScalarNode:  # most values: skip a call
                mark = value_node.start_mark
                value: Node | None = _scalar((value_node.value, mark.line + 1, mark.column + 1))
            else:
                value = convert(value_node)
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
        return _mapping((tuple(pairs), line, col))


# libyaml and PyYAML's Python parser word the same mistake differently ("did not find expected
# key" / "expected <block end>, but found ..."); each pair maps to one wording of ours, so a
# message never depends on how PyYAML was installed. {found} is the text at the error's position.
# (Patterns stay strings: they are compiled, and cached by `re`, only when a file has an error.)
_PROBLEM_WORDING: tuple[tuple[str, str], ...] = (
    (r"that cannot start any token", "{found} cannot start a value; put the text in quotes"),
    (r"^mapping values are not allowed", "':' is not allowed here; put text that contains ': ' in quotes"),
    (r"sequence entries are not allowed", "a '-' list item is not allowed here"),
    (r"^mapping keys are not allowed", "a '?' key is not allowed here"),
    (r"^could not find expected ':'", "expected ':' after the key"),
    (r"expected ',' or '\]'", "expected ',' or ']' but found {found}"),
    (r"expected ',' or '\}'", "expected ',' or '}}' but found {found}"),
    (r"^did not find expected key$|^did not find expected '-' indicator$|^expected <block end>",
     "{found} does not line up with the lines above it; check the indentation"),
    (r"expected (the )?node content", "expected a value but found {found}"),
    (r"expected '?<document start>", "unexpected {found} after the end of the document"),
    (r"unknown escape character", "unknown escape {found} in double-quoted text; write \\\\ for a backslash"),
    (r"hexdecimal number|hexadecimal numbers|Unicode character escape", "bad \\x, \\u or \\U escape in double-quoted text"),
    (r"unexpected document (indicator|separator)", "a line starting with '---' or '...' inside quoted text"),
    (r"unexpected end of stream", "the file ends before the closing quote"),
    (r"indentation indicator equal to 0|indentation indicator in the range", "a block text's indentation digit must be 1-9"),
    (r"comment or (a )?line break|chomping or indentation indicators", "unexpected {found}; expected the end of the line"),
    (r"alphabetic or numeric character", "an anchor or alias needs a name of letters and digits"),
    (r"YAML directive|YAML document|TAG directive|duplicate tag handle", "unsupported or repeated %YAML or %TAG line"),
    (r"unknown directive", "unknown directive; only %YAML and %TAG lines are allowed"),
    (r"tag handle|tag URI|expected URI|expected '>'|expected ' ', but found|expected whitespace or line break|expected '!'",
     "malformed tag (!...)"),
)
_CONTEXT_WORDING: tuple[tuple[str, str], ...] = (
    (r"tag directive", "a %-directive line"),  # libyaml's context for a bad %TAG line
    (r"quoted scalar", "quoted text"),
    (r"flow sequence", "a [...] list"),
    (r"flow mapping", "a {...} mapping"),
    (r"block mapping", "a mapping"),
    (r"block collection", "a list"),
    (r"block scalar", "a block text"),
    (r"plain scalar", "text"),
    (r"simple key", "a key"),
    (r"node", "a value"),
    (r"a tag", "a tag"),
    (r"an anchor", "an anchor"),
    (r"an alias", "an alias"),
    (r"a directive", "a %-directive line"),
)
_INDENTATION = re.compile(r"(?:[ \t]|[-?:](?=[ \t]))*")
# YAML 1.1, which PyYAML reads, takes these for line breaks: a value holding one would be cut in
# two and every line number after it would be off by one from what editors show.
_LINE_SEPARATORS = re.compile("[\x85\u2028\u2029]")
_SEPARATOR_NAMES = {"\x85": "U+0085 (next line)", "\u2028": "U+2028 (line separator)", "\u2029": "U+2029 (paragraph separator)"}
# A byte-order mark past the start is invisible in editors, yet libyaml and PyYAML read it apart
# (libyaml nests `x:` / `<U+FEFF>y: 1` into `{x: {y: 1}}`), so any one is an error at its place.
_INNER_BOM = "\ufeff"
_NOT_YAML_TEXT = "[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]"


def _found(row: str, col: int) -> str:
    """Quote what stands at a 1-based column, the way messages show it."""
    if col - 1 >= len(row):
        return "the end of the line"
    return f"'{row[col - 1]}'"


def _wording(problem: str, context: str | None, row: str, col: int) -> tuple[str, str | None, int]:
    """Return our wording of a parser's problem and context, and the column to report."""
    for pattern, wording in _PROBLEM_WORDING:
        if re.search(pattern, problem):
            if "escape" in wording and col > 1 and row[col - 2 : col - 1] == "\\":
                col -= 1  # libyaml points at the backslash, Python after it: use the backslash
            found = f"'{row[col - 1 : col + 1]}'" if "escape {found}" in wording else _found(row, col)
            problem = wording.format(found=found)
            break
    if context:
        phrase = next((w for p, w in _CONTEXT_WORDING if re.search(p, context)), None)
        context = None if "next token" in context else (f"in {phrase}" if phrase else context)
    return problem, context, col


def _reader_problem(text: str, path: str) -> Problem:
    """Locate a character YAML does not allow (libyaml counts bytes, Python characters)."""
    found = re.search(_NOT_YAML_TEXT, text)
    line, col = _position(text, found.start() if found else 0)
    code = f"U+{ord(found.group()):04X}" if found else "?"
    return error(Location(path, line, col), "yaml-syntax", f"YAML syntax: character {code} is not allowed in YAML text; remove it")


def _position(text: str, offset: int) -> tuple[int, int]:
    """Give the 1-based line and column of a character offset, counting only line feeds as breaks."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def _separator_problems(text: str, path: str) -> list[Problem]:
    """Locate each line-break character YAML would read differently from an editor."""
    problems = []
    for found in _LINE_SEPARATORS.finditer(text):
        name = _SEPARATOR_NAMES[found.group()]
        escape = "\\N" if found.group() == "\x85" else f"\\u{ord(found.group()):04x}"
        message = f"character {name} is read as a line break by YAML; write it as {escape} in double quotes, or remove it"
        problems.append(error(Location(path, *_position(text, found.start())), "yaml-line-separator", message))
    return problems


def _bom_problems(text: str, path: str) -> list[Problem]:
    """Locate each byte-order mark past the start of the text (a leading one is allowed)."""
    message = "invisible character U+FEFF (byte-order mark) inside the file; YAML may read the lines around it wrongly: remove it, or write it as \\ufeff in double quotes"
    return [error(Location(path, *_position(text, found.start())), "yaml-bom", message)
            for found in re.finditer(_INNER_BOM, text) if found.start() > 0]


def _syntax_problem(exc: yaml.YAMLError, text: str, path: str) -> Problem:
    """Describe a YAML syntax error at its mark, with a plainer message for tabs."""
    if isinstance(exc, yaml.reader.ReaderError):
        return _reader_problem(text, path)
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    lines = text.splitlines()
    row = lines[line - 1] if 0 < line <= len(lines) else ""
    # Indentation: the line's leading space, with any '-', '?' or ':' indicators inside it.
    indentation = _INDENTATION.match(row).group()  # type: ignore[union-attr]  # matches any text
    if "\t" in indentation and col <= len(indentation) + 1:
        where = Location(path, line, row.index("\t") + 1)
        return error(where, "yaml-tab", "tab character in indentation; YAML needs spaces")
    if isinstance(exc, yaml.composer.ComposerError) and "single document" in (exc.context or ""):
        return error(Location(path, line, col), "yaml-syntax", "only one YAML document per file; remove the second '---'")
    if isinstance(exc, yaml.composer.ComposerError) and "undefined alias" in (exc.problem or ""):
        return error(Location(path, line, col), "yaml-alias", "YAML aliases (*name) are not supported; write the value out")
    if isinstance(exc, yaml.composer.ComposerError) and "duplicate anchor" in (exc.context or ""):
        first = exc.context_mark.line + 1 if exc.context_mark is not None else line
        name = re.match(r"&[^\s,\[\]{}]*", row[col - 1 :])
        message = f"YAML syntax: anchor '{name.group() if name else '&'}' is defined twice (first at line {first})"
        return error(Location(path, line, col), "yaml-syntax", message)
    problem, context, col = _wording(getattr(exc, "problem", None) or str(exc), getattr(exc, "context", None), row, col)
    context_mark = getattr(exc, "context_mark", None)
    if context and context_mark is not None and context_mark.line + 1 != line:
        context = f"{context} that starts at line {context_mark.line + 1}"
    message = f"{problem} ({context})" if context else problem
    return error(Location(path, line, col), "yaml-syntax", f"YAML syntax: {message}")


def _alias_problems(text: str, path: str, loader: type) -> list[Problem]:
    """Locate each alias: composed nodes only show where the anchor was."""
    message = "YAML aliases (*name) are not supported; write the value out"
    return [
        error(Location(path, event.start_mark.line + 1, event.start_mark.column + 1), "yaml-alias", message)
        for event in yaml.parse(text, Loader=loader)
        if isinstance(event, yaml.AliasEvent) and event.start_mark is not None
    ]


def parse_yaml(text: str, path: str, loader: str = DEFAULT_LOADER) -> tuple[Node | None, list[Problem]]:
    """Parse one YAML document into located nodes; problems instead of exceptions."""
    loader_class = LOADERS[loader]
    if "\u2028" in text or "\u2029" in text or "\x85" in text or _INNER_BOM in text:  # rare: four quick scans
        found = _separator_problems(text, path) + _bom_problems(text, path)
        if found:
            return None, sorted(found, key=lambda p: (p.location.line, p.location.col))
    try:
        root = yaml.compose(text, Loader=loader_class)
    except yaml.YAMLError as exc:
        return None, [_syntax_problem(exc, text, path)]
    if root is None:
        return None, [error(Location(path, 1, 1), "empty-file", "file is empty; expected a mapping with 'deck' and 'cards'")]
    # An alias is always written with '*': without one, no node can be met twice.
    converter = _Converter(path, aliases_possible="*" in text)
    node = converter.convert(root)
    problems = converter.problems
    if converter.reused:  # rare, so the second, event-level pass costs nothing normally
        problems = problems + _alias_problems(text, path, loader_class)
    return node, problems


def value_ends(text: str) -> dict[tuple[int, int], tuple[int, int]]:
    """Map each mapping key's 1-based (line, col) to the 1-based position just after its value.

    For a block collection or block scalar the end is where the next token starts, so it may be
    the start of a later line. Used to insert text after a value without re-writing the file.
    """
    ends: dict[tuple[int, int], tuple[int, int]] = {}
    root = yaml.compose(text, Loader=LOADERS[DEFAULT_LOADER])
    pending: list[yaml.Node] = [root] if root is not None else []
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
