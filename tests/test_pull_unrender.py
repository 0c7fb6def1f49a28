"""Editor HTML back to card text: exact, or refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deckgen.compiler.text import field_html
from deckgen.sync.compare import normal_field
from deckgen.sync.unrender import unrender


def render(text: str) -> str:
    return field_html(text)[0]


@pytest.mark.parametrize("markup, text", [
    ("The first letter (fixed)", "The first letter (fixed)"),
    ("a &amp; b &lt;c&gt;", "a & b <c>"),
    ("x<br>y", "x\ny"),
    ("x<br />y<BR/>z", "x\ny\nz"),
    ("The <b>second</b> letter", "The **second** letter"),
    ("The <strong>second</strong> letter", "The **second** letter"),
    ("<i>it</i> is", "*it* is"),
    ("use <code>a_b*c</code> now", "use `a_b*c` now"),
    ("1. not a list", "1\\. not a list"),
    ("# not a heading", "\\# not a heading"),
    ("a *b* c", "a \\*b\\* c"),
    ("Huawei (华为)", "Huawei (华为)"),
])
def test_simple_editor_html_maps_back(markup: str, text: str) -> None:
    assert unrender(markup, False, render).text == text


@pytest.mark.parametrize("markup", ["<ul><li>a</li></ul>", "a&nbsp;b", '<span style="color: red">x</span>',
                                    "<img src=\"a.png\">", " padded", "a<div>b</div>"])
def test_anything_else_is_refused_with_a_reason(markup: str) -> None:
    got = unrender(markup, False, render)
    assert got.text is None and got.reason


def test_html_cards_take_the_html_as_it_is() -> None:
    assert unrender("<ul><li>a</li></ul>", True, render).text == "<ul><li>a</li></ul>"


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")) | st.sampled_from("\n*_`<>&#-1. "),
               min_size=1, max_size=40))
def test_whatever_maps_back_renders_to_the_same_html(text: str) -> None:
    markup = render(text.strip() or "x")
    got = unrender(markup, False, render)
    if got.text is not None:
        assert normal_field(render(got.text)) == normal_field(markup)
