"""Card text to HTML: Markdown, math, code, raw HTML and media placeholders."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import re
from pathlib import Path

import pytest

from deckgen.compiler import markdown
from deckgen.compiler.markdown import markdown_to_html
from deckgen.model import Card
from deckgen.problems import Location
from deckgen.anki.notetypes import NoteTypes
from deckgen.compiler import notes as card_notes
from deckgen.compiler.escape import text_to_html
from deckgen.compiler.text import code_spans_html, field_html, html_to_plain, needs_markdown
from deckgen.model import MediaFile


def render_card(card: Card):
    """Render a card of deckgen's own note types."""
    return card_notes.render_card(card, NoteTypes())


def link_media(note, names: dict[str, str]):
    """Link a note's media references to bundled files by target, as the compile stage does."""
    return card_notes.link_media(note, {ref.key: MediaFile(names[ref.target], b"") for ref in note.media})

CASES = Path(__file__).parent / "render_cases"


def _shown(html: str) -> str:
    """Show media placeholders as [[target]] so case files stay readable."""
    return re.sub("\x00([^\x00]*)\x00", r"[[\1]]", html)


@pytest.mark.parametrize("name", sorted(p.stem for p in CASES.glob("*.md")))
def test_render_case(name: str) -> None:
    source = (CASES / f"{name}.md").read_text(encoding="utf-8")
    expected = (CASES / f"{name}.html").read_text(encoding="utf-8")
    html, _, _ = field_html(source)
    assert _shown(html) + "\n" == expected


def test_every_case_has_expected_html() -> None:
    assert {p.stem for p in CASES.glob("*.md")} == {p.stem for p in CASES.glob("*.html")}


def test_math_text_reaches_mathjax_unchanged() -> None:
    math = r"a_1 * b_2 \\ \_ \{x\} \$ c^*"
    for written, opened, closed in ((f"${math}$", r"\(", r"\)"), (f"$${math}$$", r"\[", r"\]"),
                                    (rf"\({math}\)", r"\(", r"\)"), (rf"\[{math}\]", r"\[", r"\]")):
        html, _, _ = field_html(f"Before {written} after")
        assert html == f"Before {opened}{math}{closed} after"


def test_prices_are_not_math_but_dollar_math_next_to_them_is() -> None:
    assert field_html("costs $5 and $10")[0] == "costs $5 and $10"
    assert field_html("costs $5 and $10 for $x$")[0] == r"costs $5 and $10 for \(x\)"
    assert field_html(r"\$x$ stays")[0] == "$x$ stays"


def _random_texts(count: int, seed: int) -> list[str]:
    pieces = ["word", "Wort", "华为", "a", "1", "2020-04-30", "x.y", " ", " ", "\n", "\n", "\t", "\u00a0", "\u3000",
              "{{c1::", "}}", "::", "(", ")", ":", "!", "?", "'", '"', "%", "@", "^", "+", "-", "=", "#", ">",
              "1.", "2)", "*", "_", "`", "$", "\\", "[", "]", "<", "&", "~", "|", "\u2028", "é"]
    rng = random.Random(seed)
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 14))).strip() for _ in range(count)]


def test_fast_path_gives_exactly_what_markdown_gives() -> None:
    texts = [t for t in _random_texts(20000, seed=4) if t]
    fast = [t for t in texts if not needs_markdown(t)]
    assert len(fast) > 1000  # the property is checked on many plain texts, not a handful
    for text in fast:
        assert text_to_html(text) == markdown_to_html(text).html, repr(text)


def test_code_span_fast_path_gives_exactly_what_markdown_gives() -> None:
    rng = random.Random(6)
    spans = [f"`{t}`" for t in _random_texts(3000, seed=8) if t and "`" not in t and "\n" not in t]
    plain = [t for t in _random_texts(3000, seed=9) if "`" not in t]
    mixed = ["".join(rng.choice((rng.choice(spans), rng.choice(plain), " "))
                     for _ in range(rng.randint(1, 6))).strip() for _ in range(6000)]
    simple = [t for t in mixed + _random_texts(6000, seed=5) if needs_markdown(t) and code_spans_html(t) is not None]
    assert len(simple) > 1000
    for text in simple:
        assert code_spans_html(text) == markdown_to_html(text).html, repr(text)
    assert code_spans_html("Use `tf.cond` and ` a ` here") == "Use <code>tf.cond</code> and <code>a</code> here"
    assert code_spans_html("`a` and *b*") is None and code_spans_html("``a``") is None


def test_one_line_shortcut_gives_exactly_what_the_block_parser_gives() -> None:
    texts = [t for t in _random_texts(20000, seed=7) if t and "\n" not in t]
    inline = [t for t in texts if markdown.is_inline_only(t)]
    assert len(inline) > 1000
    for text in inline:
        assert markdown_to_html(text).html == markdown.render_blocks(text, {"media": [], "unknown_languages": []}), repr(text)


def test_needs_markdown_catches_markdown() -> None:
    for text in ("a *b*", "`x`", "- item", "1. item", "# h", "> q", "a\n\nb", "$x$", r"\(x\)", "a  \nb",
                 "a\n===", "<b>", "&copy;", "~~s~~", "| a |", "[sound:x.mp3]", "![](x.png)", "a\n    b"):
        assert needs_markdown(text), text
    for text in ("Plain words, 2020-04-30: {{c1::Huawei (华为)}}!", "a -> b", "x = y + 1", "C# and F#"):
        assert not needs_markdown(text), text


def _card(**fields) -> Card:
    where = Location("cards/deck.yaml", 3, 5)
    spots = tuple((name, 1 + i, 8) for i, name in enumerate(fields))  # lines below the card's
    kind = "cloze" if "text" in fields else "basic"
    return Card("c1", kind, "Deck", where, field_positions=spots, **fields)


def test_sort_text_is_plain() -> None:
    note, _ = render_card(_card(front="**Which** `op`?\n\n- $x_1$\n- ![a diagram](d.png) [sound:s.mp3]", back="B"))
    assert note.sort_text == r"Which op? \(x_1\) a diagram"
    assert "<" not in note.sort_text and "\x00" not in note.sort_text
    assert html_to_plain("a<br>b<strong>c</strong>d &amp; e") == "a bcd & e"


def test_unknown_code_language_is_a_located_warning() -> None:
    _, problems = render_card(_card(front="Q", back="```pyhton\nprint(1)\n```"))
    assert [(str(p.location), p.severity, p.code) for p in problems] == [("cards/deck.yaml:5:8", "warning", "unknown-language")]
    assert "'pyhton'" in problems[0].message


def test_media_placeholders_are_linked_and_change_the_hash() -> None:
    note, _ = render_card(_card(front="![d](img/d.png)", back="[sound:a.mp3]"))
    assert [(r.kind, r.target, r.location.line) for r in note.media] == [("image", "img/d.png", 4), ("sound", "a.mp3", 5)]
    first = link_media(note, {"img/d.png": "dg-1111.png", "a.mp3": "dg-2222.mp3"})
    second = link_media(note, {"img/d.png": "dg-3333.png", "a.mp3": "dg-2222.mp3"})
    assert first.fields[:2] == ('<img src="dg-1111.png" alt="d">', "[sound:dg-2222.mp3]")
    assert [r.name for r in first.media] == ["dg-1111.png", "dg-2222.mp3"]
    assert first.content_hash != second.content_hash



def _modules_after_build(project, cards: str) -> set[str]:
    """Build a project in a fresh interpreter and list which third-party renderers it imported."""
    project.write("deck.yaml", cards)
    code = ("import sys; from pathlib import Path; from deckgen.commands.build import run_build; "
            "assert not run_build(Path('cards'), Path('build')).failed; "
            "print(' '.join(m for m in ('markdown_it', 'pygments') if m in sys.modules))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", code], cwd=project.root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


def test_markdown_and_pygments_load_only_when_cards_need_them(project) -> None:
    plain = "deck: D\ncards:\n  - id: a\n    q: Plain question?\n    a: Plain answer\n"
    assert _modules_after_build(project, plain) == set()
    inline = plain.replace("Plain answer", "'*Emphasised* answer'")
    assert _modules_after_build(project, inline) == {"markdown_it"}
    fenced = plain.replace("Plain answer", "|\n      ```python\n      x = 1\n      ```")
    assert _modules_after_build(project, fenced) == {"markdown_it", "pygments"}
