"""The examples deck (examples/): built in a copy, imported into real Anki, every card feature arrives."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from deckgen.cli import main

from anki_helpers import import_package, integrity_is_clean

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TOP = "deckgen Examples"
SUBDECKS = {"Basics", "Markdown", "Code", "Math", "Media", "Terms"}
HASHED = r"dg-[0-9a-f]{16}"
HIDDEN = r'<span class="cloze" data-cloze="[^"]*" data-ordinal="\d">\[\.\.\.\]</span>'


def _deckgen(folder: Path, *args: str):
    """Run deckgen in a folder, as `cd examples && deckgen ...` does."""
    old = Path.cwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A copy of examples/ (never the repository's own folder), built once."""
    copy = tmp_path / "examples"
    shutil.copytree(EXAMPLES, copy, ignore=shutil.ignore_patterns("build"))
    result = _deckgen(copy, "build")
    assert result.exit_code == 0, result.output
    return copy


@pytest.fixture
def imported(built: Path, collection):
    log = import_package(collection, built / "build" / "deckgen-examples.apkg")
    assert not log.conflicting
    return collection


def _note(col, text: str, exact: bool = False):
    """The one note whose first field contains a text (or is exactly that text)."""
    (nid,) = [nid for nid in col.find_notes("")
              if (col.get_note(nid).fields[0] == text if exact else text in col.get_note(nid).fields[0])]
    return col.get_note(nid)


def _cards(col, text: str, exact: bool = False) -> dict:
    """A note's cards by ordinal."""
    return {card.ord: card for card in _note(col, text, exact).cards()}


def test_the_committed_lock_is_current_and_the_deck_is_small(tmp_path: Path) -> None:
    copy = tmp_path / "examples"
    shutil.copytree(EXAMPLES, copy, ignore=shutil.ignore_patterns("build"))
    lock = (copy / "deckgen.lock").read_bytes()
    result = _deckgen(copy, "build")
    assert result.exit_code == 0, result.output
    assert "0 new, 0 changed" in result.output  # a fresh clone's first build changes no tracked file
    assert (copy / "deckgen.lock").read_bytes() == lock
    notes = int(re.search(r"(\d+) notes", result.output).group(1))
    assert 10 <= notes <= 20


def test_the_examples_pass_lint_strictly(built: Path) -> None:
    result = _deckgen(built, "lint", "--strict")
    assert result.exit_code == 0, result.output
    assert "no lint warnings" in result.output


def test_examples_import_into_anki_with_their_decks_and_a_clean_database(imported) -> None:
    names = {d.name for d in imported.decks.all_names_and_ids()}
    assert {f"{TOP}::{sub}" for sub in SUBDECKS} <= names
    assert integrity_is_clean(imported)
    report = imported.media.check()
    assert list(report.missing) == [] and list(report.unused) == []


def test_markdown_list_link_table_kbd_and_strikethrough_arrive(imported) -> None:
    card = _cards(imported, "giants")[0]
    assert "<strong>two</strong>" in card.question() and "<em>giants</em>" in card.question()
    assert re.search(r"<ol>\s*<li>TensorFlow \(Google\)</li>", card.answer())
    assert '<a href="https://syncedreview.com/2020/12/14/a-brief-history-of-deep-learning-frameworks/">' in card.answer()
    shortcut = _cards(imported, "new cloze deletion")[0].answer()
    assert "<kbd>Ctrl</kbd>+<kbd>Shift</kbd>+<kbd>C</kbd>" in shortcut and "<s>not <kbd>Ctrl</kbd>" in shortcut
    table = _cards(imported, "Who launched which")
    assert sorted(table) == [0, 1, 2]
    assert re.search(rf"<td>MindSpore</td>\s*<td>{HIDDEN}</td>", table[0].question())
    assert '<td><span class="cloze-inactive" data-ordinal="2">Megvii (旷视)</span></td>' in table[0].question()


def test_cloze_deletions_inside_list_items_and_their_markup(imported) -> None:
    cards = _cards(imported, "How TensorFlow 1.x runs a model")
    assert sorted(cards) == [0, 1, 2]
    assert re.search(rf"<li>the Python API builds a graph, a <code>{HIDDEN}</code></li>", cards[0].question())
    assert re.search(rf"<em>{HIDDEN}</em> runs each node", cards[1].question())
    assert re.search(rf"<strong>{HIDDEN}</strong> behind it", cards[2].question())
    assert "thread pool" in cards[2].answer() and "thread pool" not in cards[2].question()


def test_fenced_code_is_highlighted_and_cloze_hides_whole_tokens(imported) -> None:
    code = _cards(imported, "what happens when this code runs")[0].question()
    assert '<pre class="dg-code"><code><span class="k">import</span> tensorflow <span class="k">as</span> tf' in code
    assert '<span class="c"># 1.x: graph mode</span>' in code and '<span class="m">10</span>' in code
    assert ".dg-code .k" in code  # the note type's CSS colours the classes
    cpp = _cards(imported, "Which loop transformation")[0].question()
    assert '<span class="k">for</span>' in cpp and '<span class="kt">int</span>' in cpp
    cards = _cards(imported, "graph op for each Python control-flow")
    assert sorted(cards) == [0, 1]
    assert re.search(rf"y = tf\.{HIDDEN}\(x &gt; <span class=\"m\">0</span>", cards[0].question())
    assert 'tf.<span class="cloze" data-ordinal="1">cond</span>(' in cards[0].answer()
    assert re.search(rf"n = tf\.{HIDDEN}\(<span class=\"k\">lambda</span>", cards[1].question())
    assert "while_loop" in cards[0].question() and "while_loop" not in cards[1].question()


def test_inline_display_and_cloze_math_reach_mathjax_intact(imported) -> None:
    inline = _cards(imported, "multiply-adds")[0]
    assert r"\(m \times k\)" in inline.question() and r"\(mnk\)" in inline.answer()
    display = _cards(imported, "tiled matrix multiply")[0].answer()
    assert r"\[3T^2 \le S\]" in display
    assert r"\[T = \left\lfloor \sqrt{S / 3} \right\rfloor\]" in display  # written as a block over three lines
    assert "\\$5 and $10 are no math" not in display and "$5 and $10 are no math" in display
    relu = _cards(imported, "ReLU activation")[0]
    assert r"\(f(x) = " in relu.question() and r"\max(0, x)" not in relu.question()
    assert r"\max(0, x)" in relu.answer()


def test_the_image_and_the_sound_are_bundled_into_the_collection_media(imported, built: Path) -> None:
    media = Path(imported.media.dir())
    image = _cards(imported, "executor run the")[0].question()
    found = re.search(rf'<img src="({HASHED}\.svg)" alt="A dataflow graph', image)
    assert found is not None
    svg = (built / "media" / "dataflow-graph.svg").read_bytes()
    assert found.group(1) == f"dg-{hashlib.sha256(svg).hexdigest()[:16]}.svg"
    assert (media / found.group(1)).read_bytes() == svg
    sounds = _cards(imported, "440 Hz")[0].question_av_tags()
    assert len(sounds) == 1 and re.fullmatch(HASHED + r"\.wav", sounds[0].filename)
    wav = (media / sounds[0].filename).read_bytes()
    assert wav == (built / "media" / "a440.wav").read_bytes() and wav[:4] == b"RIFF" and len(wav) < 4096


def test_reverse_makes_two_cards_and_a_hint_shows_in_the_gap(imported) -> None:
    cards = _cards(imported, "XLA", exact=True)
    assert sorted(cards) == [0, 1]
    assert "lowers clustered TensorFlow subgraphs" in cards[1].question()
    assert "XLA" in cards[1].answer().split('id="answer"')[-1]
    hint = _cards(imported, "XLA lowers the subgraphs")[0]
    assert re.search(r'data-cloze="HLO" data-ordinal="1">\[XLA\'s own IR\]</span> before', hint.question())
    assert ">HLO</span>" in hint.answer()
    assert "Study notes, 2022-08-19 (TFRT passage)" in hint.answer()  # the card's own source


def test_trusted_html_reaches_anki_as_written(imported) -> None:
    note = _note(imported, "Inside which op")
    assert note["Front"].endswith('<span style="color: #3b6fd8">(HTML as written)</span>')
    assert note["Back"] == "<code>XlaRunOp</code>"


def test_the_project_note_type_exists_with_its_fields_and_templates(imported) -> None:
    model = imported.models.by_name("DL Term")
    assert model is not None
    assert [f["name"] for f in model["flds"]] == ["Term", "Chinese", "Meaning", "Notes"]
    assert [t["name"] for t in model["tmpls"]] == ["Term to meaning", "Chinese to term"]
    fusion = _note(imported, "Operator fusion")
    assert fusion.note_type()["name"] == "DL Term"
    assert fusion["Chinese"] == "算子融合" and "<em>an opportunity, not the only one</em>" in fusion["Notes"]
    assert sorted(_cards(imported, "Operator fusion")) == [0, 1]
    # The second template shows only the Chinese field: without it, the note has one card.
    assert sorted(_cards(imported, "MLIR", exact=True)) == [0]
    assert "Which term, in English?" in _cards(imported, "Operator fusion")[1].question()


def test_the_source_distribution_carries_the_examples_but_not_their_build() -> None:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    hatch = tomllib.loads((EXAMPLES.parent / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["hatch"]["build"]
    assert "examples" in hatch["targets"]["sdist"]["only-include"]
    assert "examples/build" in hatch["exclude"]
