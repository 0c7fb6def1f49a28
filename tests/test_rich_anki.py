"""Rich cards in the real Anki: media found by Check Media, and the HTML Anki itself renders."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from anki_helpers import import_package
from rich_project import png, write_rich

HASHED = r"dg-[0-9a-f]{16}"


@pytest.fixture
def rich(project):
    write_rich(project)
    result = project.run("build")
    assert result.exit_code == 0, result.output
    return project


def _note(col, card_id_text: str):
    """Find the one note whose first field contains a text."""
    (nid,) = [nid for nid in col.find_notes("") if card_id_text in col.get_note(nid).fields[0]]
    return col.get_note(nid)


def _body(html: str) -> str:
    """Drop the note type's <style> block Anki puts before the card."""
    return html.split("</style>", 1)[-1]


def test_check_media_finds_nothing_missing_or_unused(rich, collection) -> None:
    import_package(collection, rich.package("rich.apkg"))
    report = collection.media.check()
    assert list(report.missing) == [] and list(report.unused) == []
    names = sorted(p.name for p in Path(collection.media.dir()).iterdir())
    assert len(names) == 3 and all(re.fullmatch(HASHED + r"\.(png|wav)", n) for n in names)
    # Two different files called diagram.png get two names; each name is its content's hash.
    for source in ("img/diagram.png", "other/img/diagram.png", "audio/answer.wav"):
        data = (rich.cards / source).read_bytes()
        name = f"dg-{hashlib.sha256(data).hexdigest()[:16]}{Path(source).suffix}"
        assert (Path(collection.media.dir()) / name).read_bytes() == data


def test_anki_renders_highlighted_code_and_inline_code(rich, collection) -> None:
    import_package(collection, rich.package("rich.apkg"))
    card = _note(collection, "What does this print?").cards()[0]
    question = _body(card.question())
    assert '<pre class="dg-code"><code><span class="k">def</span> <span class="nf">area</span>(r):' in question
    assert '<span class="c"># a circle</span>' in question
    assert "<code>3.14</code>" in card.answer()
    assert ".dg-code .k" in card.question()  # the note type's CSS styles the classes


def test_anki_renders_math_delimiters_with_math_intact(rich, collection) -> None:
    import_package(collection, rich.package("rich.apkg"))
    card = _note(collection, "Which identity").cards()[0]
    assert r"\(e^{i\pi} + 1 = 0\)" in card.question()
    assert "costs $5 and $10?" in card.question()
    assert r"\[e^{i\theta} = \cos\theta + i \sin\theta\]" in card.answer()
    assert r"\(\pi r^2\)" in _note(collection, "What does this print?").cards()[0].answer()


def test_anki_renders_the_image_and_sound_under_hashed_names(rich, collection) -> None:
    import_package(collection, rich.package("rich.apkg"))
    card = _note(collection, "What does this diagram show?").cards()[0]
    image = re.search(rf'<img src="({HASHED}\.png)" alt="compiler passes">', card.question())
    assert image is not None
    assert (Path(collection.media.dir()) / image.group(1)).read_bytes() == (rich.cards / "img/diagram.png").read_bytes()
    # Anki turns [sound:...] into its play button, naming the bundled file.
    sounds = card.answer_av_tags()
    assert len(sounds) == 1 and re.fullmatch(HASHED + r"\.wav", sounds[0].filename)


def test_anki_renders_cloze_deletions_inside_markdown(rich, collection) -> None:
    import_package(collection, rich.package("rich.apkg"))
    cards = {c.ord: c for c in _note(collection, "Lexing").cards()}
    assert sorted(cards) == [0, 1, 2, 3, 4]
    hidden = r'<span class="cloze" data-cloze="[^"]*" data-ordinal="\d">\[\.\.\.\]</span>'
    shown = r'<span class="cloze" data-ordinal="\d">{}</span>'
    assert re.search(rf"<em>{hidden}</em> turns text", cards[0].question())
    assert re.search(rf"<em>{shown.format('Lexing')}</em>", cards[0].answer())
    assert re.search(rf"<strong>{hidden}</strong> builds", cards[1].question())
    assert '<strong><span class="cloze-inactive" data-ordinal="2">Parsing</span></strong>' in cards[0].question()
    assert re.search(rf"<code>{hidden}</code> emits", cards[2].question())
    # In highlighted code the deletion wraps whole highlighted tokens.
    assert re.search(rf'<span class="k">def</span> {hidden}\(tree\):', cards[3].question())
    assert re.search(shown.format('<span class="nf">emit</span>'), cards[3].answer())
    assert re.search(rf'<span class="k">return</span> {hidden}', cards[4].question())
    assert r"\(x_{i}\)" in cards[0].question()


def test_changed_image_gets_a_new_name_and_only_its_note_changes(rich, collection) -> None:
    import_package(collection, rich.package("rich.apkg"))
    old = re.search(rf"{HASHED}\.png", _note(collection, "What does this diagram show?").fields[0]).group()
    (rich.cards / "img/diagram.png").write_bytes(png(120, 60, (10, 160, 90)))

    result = rich.run("build")
    assert "0 new, 1 changed, 4 unchanged" in result.output
    log = import_package(collection, rich.package("rich.apkg"))

    assert len(log.updated) == 1
    field = _note(collection, "What does this diagram show?").fields[0]
    new = re.search(rf"{HASHED}\.png", field).group()
    assert new != old
    assert (Path(collection.media.dir()) / new).read_bytes() == (rich.cards / "img/diagram.png").read_bytes()
    report = collection.media.check()
    assert list(report.missing) == [] and list(report.unused) == [old]  # Check Media can delete the old copy
