"""Write card files as YAML text that reads back exactly: a small emitter for untrusted text.

Every value is quoted: a double-quoted scalar with escapes for anything YAML could misread
(control characters, line-break characters, quotes, backslashes, byte-order marks), or a
literal block for multi-line text that is plainly safe to show as written. Plain scalars are
used only for ids and keys made of characters that mean nothing to YAML.
"""

from __future__ import annotations

import re
from typing import Union

# Mapping values may be text, lists of text, mappings or card lists: a tiny document model.
Value = Union[str, list, "Block"]

_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
_PLAIN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*\Z")
_PLAIN_KEYS = ("id", "reverse", "format", "notetype")  # values that read best unquoted when they can be
_NAMED_ESCAPES = {
    "\x00": "\\0", "\x07": "\\a", "\x08": "\\b", "\t": "\\t", "\n": "\\n", "\x0b": "\\v",
    "\x0c": "\\f", "\r": "\\r", "\x1b": "\\e", '"': '\\"', "\\": "\\\\",
    "\x85": "\\N", "\xa0": "\\_", "\u2028": "\\L", "\u2029": "\\P",
}
# Everything YAML readers refuse or treat as a line break, plus the quote and backslash.
_NEEDS_ESCAPE = re.compile('["\\\\\x00-\x1f\x7f-\x9f\xa0\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]')
# Comments keep tabs and line breaks (\n, \r) but nothing else YAML refuses or reads as a line break.
_COMMENT_UNSAFE = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]')
# Literal blocks show text as written, so they take only lines nothing can misread.
_LITERAL_UNSAFE = re.compile('[\x00-\x09\x0b-\x1f\x7f-\x9f\xa0\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]')


class Block(dict):
    """A mapping to emit in block style, keys in insertion order."""


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def double_quoted(text: str) -> str:
    """Quote text as a one-line YAML double-quoted scalar that reads back unchanged."""
    return '"' + _NEEDS_ESCAPE.sub(_escape_char, text) + '"'


def _literal_ok(text: str) -> bool:
    """Tell whether a multi-line text can be a `|-` block that reads back unchanged."""
    if "\n" not in text or text.endswith("\n") or _LITERAL_UNSAFE.search(text):
        return False
    lines = text.split("\n")
    # A first line starting with a space would set the indentation; blank or space-ended
    # lines survive YAML but not editors that trim them.
    return not lines[0].startswith(" ") and all(line and line == line.rstrip(" ") for line in lines)


def scalar(text: str, indent: str, allow_block: bool = True) -> str:
    """Write one text value: a literal block when that reads well and safely, else quoted."""
    if allow_block and _literal_ok(text):
        inner = indent + "  "
        return "|-\n" + "\n".join(inner + line for line in text.split("\n"))
    return double_quoted(text)


def key(name: str) -> str:
    """Write a mapping key: plain for simple names, quoted otherwise."""
    return name if _PLAIN.match(name) else double_quoted(name)


def card_id(text: str) -> str:
    """Write a card id: plain when it is made of id characters, quoted otherwise."""
    return text if _PLAIN_ID.match(text) else double_quoted(text)


def _flow_list(items: list[str]) -> str:
    return "[" + ", ".join(double_quoted(item) for item in items) + "]"


def _lines(mapping: Block, indent: str) -> list[str]:
    out: list[str] = []
    for name, value in mapping.items():
        written = key(name)
        # YAML limits implicit keys to 1024 characters; longer ones take the explicit `? key` form.
        head = f"{indent}{written}:" if len(written) < 1000 else f"{indent}? {written}\n{indent}:"
        if isinstance(value, Block):
            out.append(head)
            out.extend(_lines(value, indent + "  "))
        elif isinstance(value, list) and value and isinstance(value[0], Block):
            out.append(head)
            for item in value:
                inner = _lines(item, indent + "    ")
                out.append(indent + "  - " + inner[0][len(indent) + 4 :])
                out.extend(inner[1:])
        elif isinstance(value, list):
            out.append(f"{head} {_flow_list(value)}")
        elif name in _PLAIN_KEYS:
            out.append(f"{head} {card_id(value)}")
        else:
            out.append(f"{head} {scalar(value, indent)}")
    return out


def dump(document: Block, comment: str = "") -> str:
    """Write a document (nested Blocks, lists and text) as YAML text."""
    # A comment may name an untrusted file: characters YAML refuses even there are shown escaped.
    comment = _COMMENT_UNSAFE.sub(_escape_char, comment)
    header = "".join(f"# {line}\n" if line else "#\n" for line in comment.splitlines())
    return header + "\n".join(_lines(document, "")) + "\n"
