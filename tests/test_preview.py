"""The preview page: cards as Anki shows them, a page at a time, filters and night mode, checked in headless Chromium."""

from __future__ import annotations

import json
import shutil
from base64 import b64encode
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deckgen.output.preview import LinkStyle, PageMedia, _front, _shared_start, preview_html

from conftest import compiled

from browser import chromium, devtools  # noqa: F401  (devtools is a fixture)

PROJECT_CARDS = Path(__file__).resolve().parents[1] / "cards"

MAKERS = """\
    deck: Demo::Makers
    tags: [demo::makers]
    source: Notes
    cards:
      - id: mindspore
        q: Which company built MindSpore?
        a: Huawei
        reverse: true
        tags: [company::huawei]
      - id: tensorrt
        q: Which company built TensorRT?
        a: NVIDIA
        tags: [company::nvidia]
"""
HISTORY = """\
    deck: Demo::History
    tags: [demo::history]
    cards:
      - id: first-group
        cloze: "First came {{c1::MATLAB}}, {{c2::OpenNN}} and {{c3::Torch}}."
"""
OTHER = """\
    deck: Other
    cards:
      - id: other
        q: A question in another package?
        a: Yes, about Huawei
"""


def tiny_png(width: int, height: int) -> bytes:
    """Make a valid RGB PNG of the given size."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def visible(page) -> int:
    return page.eval("document.querySelectorAll('.pv-card:not([hidden])').length")


def shown(page) -> list[str]:
    """The source labels of the cards drawn on the current page, in order."""
    return page.eval("[...document.querySelectorAll('.pv-card .pv-src')].map(a => a.textContent)")


def count(page) -> str:
    return page.eval("document.getElementById('pv-count').textContent")


def type_search(page, text: str) -> None:
    page.eval(f"(q => {{ q.value = {json.dumps(text)}; q.dispatchEvent(new Event('input')); }})(document.getElementById('pv-q'))")


def many(cards: int, deck: str, tag: str, start: int = 0) -> str:
    """A card file of `cards` numbered cards."""
    lines = [f"deck: {deck}", f"tags: [{tag}]", "source: Generated", "cards:"]
    for number in range(start, start + cards):
        lines += [f"  - id: card-{number}", f"    q: Question {number} about topic{number}?", f"    a: Answer {number}"]
    return "\n".join(lines) + "\n"


def demo(project):
    project.write("makers.yaml", MAKERS)
    project.write("history.yaml", HISTORY)
    project.write("other.yaml", OTHER)
    result = project.run("preview")
    assert result.exit_code == 0, result.output
    return project.build_dir / "preview.html"


def test_the_projects_own_deck_loads_without_console_errors(project, devtools) -> None:  # noqa: F811
    for path in PROJECT_CARDS.glob("*.yaml"):
        shutil.copy(path, project.cards / path.name)
    result = project.run("preview")
    assert result.exit_code == 0, result.output
    _, compilation = compiled(project.cards, project.build_dir)
    expected = sum(len(s.note.ordinals) for s in compilation.notes)
    page = devtools.new_page()
    page.open((project.build_dir / "preview.html").as_uri())
    assert page.errors() == []
    assert expected > 200 and visible(page) == 100  # the first page of cards
    assert count(page) == f"{expected} of {expected} cards"
    assert f"{expected} cards" in result.output
    seen = visible(page)
    while not page.eval("document.getElementById('pv-next').disabled"):
        page.eval("document.getElementById('pv-next').click()")
        seen += visible(page)
    assert seen == expected  # every card is on one of the pages
    assert page.errors() == []


def test_filters_by_text_deck_and_tag_from_the_address_and_the_controls(project, devtools) -> None:  # noqa: F811
    url = demo(project).as_uri()
    page = devtools.new_page()
    page.open(url)
    assert visible(page) == 7  # mindspore twice (reverse), tensorrt, three clozes, other
    assert page.eval("[...document.querySelectorAll('.pv-deck h2')].map(h => h.firstChild.textContent.trim())") == [
        "Demo::History", "Demo::Makers", "Other"]

    for fragment, count in [("#q=huawei", 3), ("#q=which+nvidia", 1), ("#deck=Demo", 6),
                            ("#deck=Demo%3A%3AHistory", 3), ("#tag=company", 3), ("#tag=company%3A%3Anvidia", 1),
                            ("#q=huawei&deck=Other", 1), ("#q=no-such-words", 0),
                            ("#warned=1", 4), ("#warned=1&deck=Demo", 3), ("#q=missing-topic-tag", 1)]:
        page = devtools.new_page()
        page.open(url + fragment)
        assert visible(page) == count, fragment
        assert page.eval("document.getElementById('pv-empty').hidden") == (count > 0)
        assert page.errors() == []

    page.eval("const q = document.getElementById('pv-q'); q.value = 'torrent tensorrt'; q.dispatchEvent(new Event('input'))")
    assert visible(page) == 0
    page.eval("const s = document.getElementById('pv-q'); s.value = 'TensorRT'; s.dispatchEvent(new Event('input'))")
    assert visible(page) == 1
    assert "q=TensorRT" in page.eval("location.hash")
    assert page.eval("document.querySelector('.pv-deck:not([hidden]) .pv-n').textContent") == "1"
    assert page.errors() == []


def test_night_mode_switch_applies_the_note_types_night_css(project, devtools) -> None:  # noqa: F811
    page = devtools.new_page()
    page.open(demo(project).as_uri() + "#night=0")
    background = "getComputedStyle(document.querySelector('.pv-card .card')).backgroundColor"
    assert page.eval(background) == "rgb(255, 255, 255)"
    page.eval("document.getElementById('pv-night').click()")
    assert page.eval(background) == "rgb(30, 31, 34)"  # the note type's .nightMode .card rule
    assert page.eval("document.body.classList.contains('nightMode')")
    assert "night=1" in page.eval("location.hash")
    assert page.errors() == []


def test_lint_warnings_are_shown_on_their_cards(project, devtools) -> None:  # noqa: F811
    result = project.run("preview")
    assert result.exit_code == 1  # no card files yet
    path = demo(project)
    result = project.run("preview")
    assert result.stdout == "wrote build/preview.html: 7 cards from 4 notes in 3 decks; 2 notes with lint warnings\n"
    assert result.stderr == ""  # warnings are on the page, not repeated here
    page = devtools.new_page()
    page.open(path.as_uri() + "#deck=Other")
    warned = page.eval("document.querySelector('.pv-deck[data-deck=Other] .pv-warnings').innerHTML")
    assert "line 3: card 'other' has no source; add one to it or its file <code>missing-source</code>" in warned
    (project.root / "deckgen.toml").write_text("[lint]\ndisable = [\"missing-source\", \"missing-topic-tag\"]\n")
    assert project.run("preview").stdout == "wrote build/preview.html: 7 cards from 4 notes in 3 decks\n"
    (project.root / "deckgen.toml").write_text("[lint]\ndisable = [\"no-such-rule\"]\n")
    result = project.run("preview")
    assert result.exit_code == 1 and "deckgen.toml:2:1: error: unknown lint rule 'no-such-rule'" in result.stderr


def links(page) -> set[tuple[str, str]]:
    return {tuple(pair) for pair in page.eval(
        "[...document.querySelectorAll('.pv-src')].map(a => [a.getAttribute('href'), a.textContent])")}


def test_each_card_links_to_its_source_line(project, devtools) -> None:  # noqa: F811
    path = demo(project)
    page = devtools.new_page()
    page.open(path.as_uri())
    assert {("../cards/makers.yaml", "cards/makers.yaml:5"), ("../cards/history.yaml", "cards/history.yaml:4")} <= links(page)
    result = project.run("preview", "--editor-url", "vscode://file/{path}:{line}:{col}")
    assert result.exit_code == 0
    source = (project.cards / "makers.yaml").resolve().as_posix()
    page = devtools.new_page()
    page.open(path.as_uri())
    assert (f"vscode://file/{source}:5:5", "cards/makers.yaml:5") in links(page)
    assert page.errors() == []


def test_media_are_inlined_as_data_uris_and_render(project, devtools, tmp_path) -> None:  # noqa: F811
    project.write("makers.yaml", MAKERS)
    loaded, compilation = compiled(project.cards, project.build_dir)
    notes = [s.note for s in compilation.notes]
    first = notes[0]
    with_image = first._replace(fields=(first.fields[0] + '<img src="dg-0a1b2c.png"><img src="dg-gone.png">',)
                                + first.fields[1:])
    page_html = preview_html([with_image, *notes[1:]], loaded.notetypes, {"dg-0a1b2c.png": tiny_png(3, 2)},
                             LinkStyle(tmp_path))
    assert page_html.count("data:image/png;base64,") == 1  # the file once, however many sides show it
    assert "dg-0a1b2c.png" not in page_html
    assert 'data-missing=\\"dg-gone.png\\"' in page_html  # inside the JSON data
    path = tmp_path / "preview.html"
    path.write_text(page_html, encoding="utf-8")

    page = devtools.new_page()
    page.open(path.as_uri())
    sizes = page.eval("[...document.querySelectorAll('.pv-card img:not([data-missing])')].map(i => i.naturalWidth + 'x' + i.naturalHeight)")
    assert sizes == ["3x2"] * 3  # the card's front and back, and its reverse's back
    assert page.eval("document.querySelector('.pv-card img[data-missing]').getAttribute('src')") == "data:,"
    assert page.errors() == []


def test_page_media_leaves_data_uris_and_other_tags_alone() -> None:
    media = PageMedia({"pic.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>", "b.png": b"png"})
    markup = "<b>x</b><IMG class='a' SRC='pic.svg'><img src=\"data:image/png;base64,AA==\"><img src=\"pic.svg\">"
    out = media.refer(markup)
    assert out == '<b>x</b><IMG class=\'a\' data-pv-media="0"><img src="data:image/png;base64,AA=="><img data-pv-media="0">'
    assert media.refer("<img alt=x src='b.png'>") == '<img alt=x data-pv-media="1">'
    assert media.uris == ["data:image/svg+xml;base64," + b64encode(media.media["pic.svg"]).decode(),
                          "data:image/png;base64,cG5n"]
    assert media.refer("no image here") == "no image here"


def test_bad_cards_write_no_preview(project) -> None:
    project.write("bad.yaml", "deck: D\ncards:\n  - id: x\n    q: only a question\n")
    result = project.run("preview")
    assert result.exit_code == 1
    assert "cards/bad.yaml:3:5: error: card 'x' is missing 'a' (missing-key)" in result.stderr
    assert not (project.build_dir / "preview.html").exists()


def test_preview_json_output(project) -> None:
    project.write("makers.yaml", MAKERS)
    result = project.run("preview", "--format", "json")
    document = json.loads(result.stdout)
    assert document["ok"] and document["summary"]["cards"] == 3 and document["summary"]["path"] == "build/preview.html"


def test_missing_chromium_fails_when_ci_requires_it(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("DECKGEN_REQUIRE_CHROMIUM", "1")
    with pytest.raises(pytest.fail.Exception):
        chromium()
    monkeypatch.delenv("DECKGEN_REQUIRE_CHROMIUM")
    with pytest.raises(pytest.skip.Exception):
        chromium()


def test_preview_command_inlines_the_images_the_cards_use(project) -> None:
    (project.cards / "img").mkdir(parents=True, exist_ok=True)
    (project.cards / "img" / "chip.png").write_bytes(tiny_png(4, 3))
    project.write("chips.yaml", "deck: Chips\ncards:\n  - id: chip\n    q: '![a chip](img/chip.png)'\n    a: A die\n")
    result = project.run("preview")
    assert result.exit_code == 0, result.output
    page_html = (project.build_dir / "preview.html").read_text(encoding="utf-8")
    assert '"media":["data:image/png;base64,' in page_html and 'data-pv-media=\\"0\\"' in page_html
    assert "data-missing=" not in page_html


def test_pages_of_cards_with_filters_across_every_page(project, devtools) -> None:  # noqa: F811
    project.write("alpha.yaml", many(150, "Alpha", "first"))
    project.write("beta.yaml", many(90, "Beta::Sub", "second::inner", start=150))
    assert project.run("preview").exit_code == 0
    url = (project.build_dir / "preview.html").as_uri()
    page = devtools.new_page()
    page.open(url + "#night=0")
    assert count(page) == "240 of 240 cards" and visible(page) == 100
    assert page.eval("document.getElementById('pv-page').textContent") == "Page 1 of 3"
    assert shown(page)[0] == "cards/alpha.yaml:5" and page.eval("document.getElementById('pv-prev').disabled")
    assert page.eval("document.querySelector('.pv-n').textContent") == "150"  # the deck's cards on every page

    page.eval("document.getElementById('pv-next').click()")
    assert "page=2" in page.eval("location.hash") and visible(page) == 100
    assert page.eval("[...document.querySelectorAll('.pv-deck')].map(s => s.dataset.deck)") == ["Alpha", "Beta::Sub"]
    page.eval("document.getElementById('pv-next').click()")
    assert visible(page) == 40 and page.eval("document.getElementById('pv-next').disabled")

    type_search(page, "topic230?")  # a card on the last page, found from any page
    assert count(page) == "1 of 240 cards" and shown(page) == [f"cards/beta.yaml:{5 + 3 * 80}"]
    assert "page=" not in page.eval("location.hash")  # a new filter starts at its first page
    assert page.eval("document.querySelector('.pv-pager').hidden")
    type_search(page, "")
    page.eval("(d => { d.value = 'Beta'; d.dispatchEvent(new Event('change')); })(document.getElementById('pv-deck'))")
    assert count(page) == "90 of 240 cards" and visible(page) == 90 and "deck=Beta" in page.eval("location.hash")

    for fragment, cards, first in [("#page=2", "240 of 240 cards", "cards/alpha.yaml:305"),
                                   ("#tag=second&page=1", "90 of 240 cards", "cards/beta.yaml:5"),
                                   ("#tag=first&q=question+topic14%3F", "1 of 240 cards", "cards/alpha.yaml:47"),
                                   ("#tag=second&q=topic14%3F", "0 of 240 cards", None),
                                   ("#page=99", "240 of 240 cards", "cards/beta.yaml:155")]:
        page = devtools.new_page()
        page.open(url + fragment)
        assert (count(page), (shown(page) or [None])[0]) == (cards, first), fragment
    assert page.eval("document.getElementById('pv-page').textContent") == "Page 3 of 3"  # past the end: the last
    assert page.errors() == []


def test_card_html_cannot_break_out_of_the_card_data(project, devtools) -> None:  # noqa: F811
    project.write("deck.yaml", """\
        deck: Demo
        cards:
          - id: breakout
            format: html
            q: "<!-- <script> --> </script><SCRIPT>document.title = 'ran'</SCRIPT></ScRiPt > <b>still</b> a question"
            a: "Answer with <!-- a comment --> and ]</script><p id='escaped'>after</p>"
          - id: unclosed
            format: html
            q: "<textarea>never closed"
            a: "</article></section><!-- never closed"
          - id: next
            q: The card after it?
            a: Drawn too
    """)
    assert project.run("preview").exit_code == 0
    text = (project.build_dir / "preview.html").read_text(encoding="utf-8")
    # The settings, the notes, one block of cards and the page's script: nothing else closes a script.
    assert text.count("</script>") == 4 and "<!--" not in text
    page = devtools.new_page()
    page.open((project.build_dir / "preview.html").as_uri())
    assert count(page) == "3 of 3 cards" and visible(page) == 3
    assert page.eval("document.title") == "deckgen preview"  # the card's script did not run
    back = page.eval("document.querySelector('.pv-card .pv-side + .pv-side .card').innerHTML")
    assert "Answer with <!-- a comment --> and ]<p id=\"escaped\">after</p>" in back
    assert "<b>still</b> a question" in back
    # Markup left open in one card stays in that card: the next one is drawn as usual.
    assert page.eval("document.querySelectorAll('.pv-card')[2].querySelector('.card').textContent") == "The card after it?"
    assert page.eval("document.querySelectorAll('.pv-card')[1].querySelectorAll('.pv-side').length") == 2


@given(st.text("ab<>/"), st.text("ab<>/"), st.text("ab<>/", min_size=0, max_size=40))
def test_a_front_that_starts_as_its_back_is_stored_as_a_shared_start(start: str, front_end: str, back_end: str) -> None:
    front, back = start + front_end, start + back_end
    stored = _front(front, back)
    shared = _shared_start(front, back)
    assert back[:shared] == front[:shared] and (shared == min(len(front), len(back)) or front[shared] != back[shared])
    assert stored == front if shared < 16 else stored == [shared, front[shared:]]


def test_card_scripts_run_when_their_page_is_drawn_and_only_if_asked(project, devtools) -> None:  # noqa: F811
    scripted = ('    format: html\n    q: "<script>document.body.dataset.ran = (document.body.dataset.ran || \'\') + \'x\'</script>'
                '<img src=\'gone.png\' onerror=\\"document.body.dataset.handler = \'yes\'\\">Scripted"\n    a: Yes\n')
    project.write("deck.yaml", many(100, "Demo", "demo") + "  - id: scripted\n" + scripted)
    ran = {}
    for flag in ((), ("--run-card-scripts",)):
        assert project.run("preview", *flag).exit_code == 0
        page = devtools.new_page()
        page.open((project.build_dir / "preview.html").as_uri())
        before = page.eval("[document.body.dataset.ran, document.body.dataset.handler]")
        page.eval("document.getElementById('pv-next').click()")  # the scripted card is the 101st
        assert shown(page) == ["cards/deck.yaml:305"]
        ran[flag] = (before, page.eval("[document.body.dataset.ran, document.body.dataset.handler]"))
    assert ran[()] == ([None, None], [None, None])
    assert ran[("--run-card-scripts",)] == ([None, None], ["xx", "yes"])  # the front and the back each ran it


def test_cards_in_later_blocks_of_data_are_drawn_and_searched(project, devtools) -> None:  # noqa: F811
    project.write("big.yaml", many(1050, "Big", "big"))  # the page keeps 1000 notes' cards per block
    assert project.run("preview").exit_code == 0
    text = (project.build_dir / "preview.html").read_text(encoding="utf-8")
    assert text.count('class="pv-cards"') == 2
    url = (project.build_dir / "preview.html").as_uri()
    for fragment, first, drawn in [("#page=10", 2705, 100), ("#page=11", 3005, 50), ("#q=topic1049%3F", 3152, 1)]:
        page = devtools.new_page()
        page.open(url + fragment)
        labels = shown(page)
        assert (labels[0], len(labels)) == (f"cards/big.yaml:{first}", drawn), fragment
        assert page.eval("document.querySelector('.pv-card .card').textContent").startswith("Question")
    assert page.errors() == []


def test_the_page_of_a_built_project_is_the_page_drawn_without_the_build_cache(project, monkeypatch) -> None:
    (project.cards / "img").mkdir(parents=True, exist_ok=True)
    (project.cards / "img" / "chip.png").write_bytes(tiny_png(4, 3))
    project.write("chips.yaml", "deck: Chips\ncards:\n  - id: chip\n    q: '![a chip](img/chip.png)'\n    a: A die\n")
    project.write("makers.yaml", MAKERS)
    project.write("history.yaml", HISTORY)
    assert project.run("build").exit_code == 0
    (project.build_dir / ".deckgen-cache").unlink()
    uncached = project.run("preview")
    assert uncached.exit_code == 0, uncached.output
    page = (project.build_dir / "preview.html").read_bytes()
    assert b'"statuses":["unchanged"]' in page and b"data:image/png;base64," in page
    assert project.run("build").exit_code == 0  # writes the cache again
    import deckgen.commands.preview as command

    def no_build_compile(*args: object, **kwargs: object) -> None:
        raise AssertionError("an unchanged project's preview compiled it as a build")

    monkeypatch.setattr(command, "compile_project", no_build_compile)
    cached = project.run("preview")
    assert cached.exit_code == 0, cached.output
    assert cached.output == uncached.output
    assert (project.build_dir / "preview.html").read_bytes() == page


def test_a_media_file_changed_since_the_build_is_shown_as_it_is_now(project) -> None:
    (project.cards / "img").mkdir(parents=True, exist_ok=True)
    (project.cards / "img" / "chip.png").write_bytes(tiny_png(4, 3))
    project.write("chips.yaml", "deck: Chips\ncards:\n  - id: chip\n    q: '![a chip](img/chip.png)'\n    a: A die\n")
    assert project.run("build").exit_code == 0
    (project.cards / "img" / "chip.png").write_bytes(tiny_png(5, 7))
    assert project.run("preview").exit_code == 0
    page = (project.build_dir / "preview.html").read_text(encoding="utf-8")
    assert b64encode(tiny_png(5, 7)).decode("ascii") in page
    assert b64encode(tiny_png(4, 3)).decode("ascii") not in page
