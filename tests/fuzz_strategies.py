"""Hypothesis strategies for the fuzz tests: hostile card files, lock entries, YAML documents, Markdown.

Text is drawn from a mix of ordinary characters and fragments that have broken (or could
break) a reader: control characters, YAML's extra line breaks, indicators, cloze and media
syntax, HTML that tries to carry a script, path tricks, byte-order marks.
"""

from __future__ import annotations

from hypothesis import strategies as st

from deckgen.cardfiles.yamlwrite import Block, dump

FRAGMENTS = [
    "\x00", "\x01", "\x07", "\x0b", "\x1b", "\x1f", "\x7f", "\x85", "\u2028", "\u2029", "\ufeff", "\ufffe",
    "\t", "\r", "\n", "\r\n", " ", "  ", "\xa0",
    ":", ": ", " #", "#", "-", "- ", "?", "? ", "|", "|-", ">", "!", "!!python/object:os.system", "&a", "*a",
    "<<", "%", "@", "`", "'", '"', "\\", "{", "}", "[", "]", ",", "---", "...",
    "{{c1::", "{{c2,3::", "{{c0::", "{{c99999::", "{{c18446744073709551617::", "}}", "::", "{{Front}}",
    "**", "_", "~~", "$", "$$", "\\(", "\\[", "```", "```python\n", "    ", "1. ", "* ", "> ", "# ",
    "<b>", "</b>", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '<a href="javascript:alert(1)">',
    "[x](javascript:alert(1))", "<svg onload=alert(1)>", "<iframe src=//x>", "<style>*{}</style>",
    '" onmouseover="alert(1)', "&lt;", "&amp;", "&#0;", "<!--", "-->",
    "![img](", "](../../secret.png)", "..%2F..%2Fsecret", "%2e%2e%2f", "/etc/passwd", "C:\\x", "[sound:a.mp3]",
    "漢字", "é", "e\u0301", "\U0001F600", "\u202e", "\u200b",
]


def hostile_text(max_parts: int = 8) -> st.SearchStrategy[str]:
    """Text made of hostile fragments and arbitrary characters (surrogates excluded: UTF-8 cannot hold them)."""
    part = st.one_of(st.sampled_from(FRAGMENTS), st.text(st.characters(exclude_categories=("Cs",)), max_size=6))
    return st.lists(part, max_size=max_parts).map("".join)


def _word() -> st.SearchStrategy[str]:
    return st.text(st.characters(min_codepoint=ord("a"), max_codepoint=ord("z")), min_size=1, max_size=6)


FILE_KEYS = ["deck", "tags", "source", "cards", "notetype", "format", "namespace"]
CARD_KEYS = ["id", "q", "a", "cloze", "extra", "reverse", "tags", "source", "guid", "notetype", "format", "fields",
             "nolint"]
_VALUES = {"format": ["markdown", "html", "rst"], "reverse": ["true", "false", "yes"], "notetype": ["Basic", "Nope"]}


_GOOD_VALUES = {"format": st.sampled_from(["markdown", "html"]), "reverse": st.sampled_from(["true", "false"])}


def _value(key: str, hostile: bool = True) -> st.SearchStrategy:
    if not hostile:
        if key in ("tags", "nolint"):
            return st.lists(_word(), max_size=3)
        if key == "cloze":
            return st.tuples(card_text(), _word()).map(lambda pair: f"{pair[0]} {{{{c1::{pair[1]}}}}}")
        return _GOOD_VALUES.get(key, st.one_of(_word(), card_text()))
    text = st.one_of(_word(), card_text(), hostile_text())
    choices = st.sampled_from(_VALUES[key]) if key in _VALUES else text
    values: list[st.SearchStrategy] = [choices, text]
    if key in ("tags", "nolint"):
        values.append(st.lists(st.one_of(_word(), hostile_text(3)), max_size=4))
    if key == "fields":
        values.append(st.dictionaries(st.sampled_from(["Front", "Back", "Text", "x"]), text, max_size=3).map(Block))
    return st.one_of(*values)


@st.composite
def card_block(draw, hostile: bool = True) -> Block:
    """One card as a mapping: usually a sensible shape, with hostile values and now and then odd keys."""
    keys = draw(st.sampled_from([["id", "q", "a"], ["id", "cloze"], ["id", "cloze", "extra"], ["id", "q", "a", "source"],
                                 ["id", "q", "a", "tags", "reverse"], ["id", "format", "q", "a"]]
                                + ([["q", "a"]] if hostile else [])))
    if hostile:
        keys = keys + draw(st.lists(st.sampled_from(CARD_KEYS + ["deck", "qq"]), max_size=2))
    card = Block()
    for key in dict.fromkeys(keys):
        card[key] = draw(_word()) if key == "id" and (not hostile or draw(st.booleans())) else draw(_value(key, hostile))
    return card


@st.composite
def card_document(draw, hostile: bool = True) -> Block:
    """A whole card file as a document: deck, maybe file-level keys, a list of cards.

    Not `hostile`: values the card format mostly accepts, so that builds get far.
    """
    document = Block()
    document["deck"] = draw(st.one_of(_word(), valid_deck(), hostile_text(4)) if hostile else valid_deck())
    file_keys = ["tags", "source", "format", "namespace"] + (["notetype"] if hostile else [])
    for key in draw(st.lists(st.sampled_from(file_keys), max_size=2, unique=True)):
        if key != "cards":
            document[key] = draw(_value(key, hostile))
    document["cards"] = draw(st.lists(card_block(hostile), min_size=1, max_size=4))
    return document


@st.composite
def _naive_yaml(draw) -> str:
    """Card-file-like text written without any quoting: plain scalars full of hostile characters."""
    lines = [f"deck: {draw(hostile_text(3))}", "cards:"]
    for number in range(draw(st.integers(1, 3))):
        indent = draw(st.sampled_from(["  ", "    ", "\t", " "]))
        lines.append(f"{indent}- id: c{number}")
        for key in draw(st.lists(st.sampled_from(CARD_KEYS), min_size=1, max_size=3)):
            lines.append(f"{indent}  {key}: {draw(hostile_text(4))}")
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n"]))


@st.composite
def _mutated(draw, base: st.SearchStrategy[str]) -> str:
    """Text with a few hostile fragments spliced in or characters cut out, at any place."""
    text = draw(base)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:at] + draw(hostile_text(2)) + text[at:]
        else:
            text = text[:at] + text[at + draw(st.integers(1, 4)):]
    return text


def _encoded(text: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    return text.map(lambda t: t.encode("utf-8"))


@st.composite
def _broken_bytes(draw) -> bytes:
    """Mostly good UTF-8 with a bad byte, a BOM or another encoding somewhere."""
    data = draw(_encoded(st.one_of(card_document().map(dump), _naive_yaml())))
    at = draw(st.integers(0, len(data)))
    junk = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\x00", b"\xe9"]))
    return data[:at] + junk + data[at:]


def card_file_bytes() -> st.SearchStrategy[bytes]:
    """The bytes of one card file, from well-formed to garbage."""
    written = card_document().map(dump)
    return st.one_of(
        _encoded(card_document(hostile=False).map(dump)),
        _encoded(card_document(hostile=False).map(dump)),
        _encoded(written),
        _encoded(_naive_yaml()),
        _encoded(_mutated(written)),
        _encoded(_mutated(_naive_yaml())),
        _broken_bytes(),
        st.binary(max_size=200),
    )


# Text the card format accepts in a deck name or question (for the Anki import property).
_SAFE_CHARS = st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp", "Co", "Cn"))


@st.composite
def valid_deck(draw) -> str:
    """A deck name that validation accepts: `::`-separated parts without control characters."""
    part = st.text(_SAFE_CHARS, min_size=1, max_size=12).filter(lambda p: p.strip() and ":" not in p)
    first = st.one_of(part, st.tuples(st.sampled_from(["#", "<<<<<<< ", "=======", ">>>>>>>"]), part).map("".join))
    return "::".join([draw(first)] + draw(st.lists(part, max_size=2)))


def card_text() -> st.SearchStrategy[str]:
    """Question and answer text Markdown cards accept, with HTML, cloze and Markdown fragments in it."""
    good = [f for f in FRAGMENTS if not any(c in f for c in "\x00\x01\x07\x0b\x1b\x1f\x7f")]
    part = st.one_of(st.sampled_from(good), st.text(_SAFE_CHARS, max_size=8))
    return st.lists(part, min_size=1, max_size=6).map("".join).filter(lambda t: t.strip() and "![" not in t
                                                                        and "[sound:" not in t)


# Lock file columns as the card format can make them: no tab or line-breaking character. The lock
# file's own syntax (comments, conflict markers) may start one too: a deck can be named "#1".
_LOCK_SYNTAX = st.sampled_from(["#", "# ", "<<<<<<< ", "=======", "|||||||", ">>>>>>> ", " "])
_COLUMN = st.one_of(
    st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=12),
    st.tuples(_LOCK_SYNTAX, st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=6)).map("".join),
)
