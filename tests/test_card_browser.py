"""A rendered card in headless Chromium, light and night mode: readable code, math, image.

The card HTML is what Anki itself renders for an imported note; the page around it mimics
Anki's reviewer (`<body class="card ...">`, plus `nightMode night_mode` at night). MathJax is
not available offline, so the test checks the delimiters in the DOM, not typeset math.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from anki_helpers import import_package
from browser import contrast, dump_dom, parse_rgb, relative_luminance, screenshot
from deckgen.compiler.highlight import CLASSES

from rich_project import png

SHOWCASE = r"""
    deck: Showcase
    cards:
      - id: everything
        q: |
          How does `area` compute $\pi r^2$ for the circle in the diagram?

          ![a circle of radius r](img/circle.png)
        a: |
          ```python
          import math

          @cache
          def area(r: float) -> float:
              "Area of a circle."
              return math.pi * r ** 2  # exact enough
          ```

          | r | area |
          | - | ---: |
          | 1 | $\pi$ |

          $$A = \int_0^r 2 \pi t \, dt$$
"""

_PROBE = """
<script>
window.addEventListener("load", () => {
  const style = (el) => getComputedStyle(el);
  const pre = document.querySelector(".dg-a pre.dg-code");
  const inline = document.querySelector(".dg :not(pre) > code");
  const img = document.querySelector(".dg img");
  const results = {
    card: [style(document.body).color, style(document.body).backgroundColor],
    code: [style(pre).color, style(pre).backgroundColor],
    inline: [style(inline).color, style(inline).backgroundColor],
    clozeCode: [style(document.querySelector("#revealed")).color,
                style(document.querySelector("#revealed code")).color,
                style(document.querySelector("#revealed code")).backgroundColor],
    highlighted: [...pre.querySelectorAll("span[class]")].map((s) => s.className),
    palette: [...document.querySelectorAll("#palette span")].map(
      (s) => [s.className, style(s).color, style(s).backgroundColor]),
    image: [img.complete, img.naturalWidth, img.naturalHeight, img.getBoundingClientRect().width],
    overflow: document.documentElement.scrollWidth > window.innerWidth,
    resources: performance.getEntriesByType("resource").map((e) => e.name),
  };
  const out = document.createElement("pre");
  out.id = "results";
  out.textContent = JSON.stringify(results);
  document.body.appendChild(out);
});
</script>
"""


def _page(card_html: str, night: bool, folder: Path) -> Path:
    """Write a reviewer-like page around a card, with one span per highlight class to probe."""
    palette = "".join(f'<span class="{css}">{css}_token </span>' for css in CLASSES)
    mode = " nightMode night_mode" if night else ""
    page = folder / f"card-{'night' if night else 'light'}.html"
    page.write_text(
        '<!doctype html><html><head><meta charset="utf-8"></head>'
        f'<body class="card card1{mode}">{card_html}'
        f'<div class="dg"><pre class="dg-code" id="palette"><code>{palette}</code></pre>'
        '<p>A revealed deletion: <span class="cloze" id="revealed"><code>tf.cond</code></span></p></div>'
        f"{_PROBE}</body></html>",
        encoding="utf-8",
    )
    return page


def _results(dom: str) -> dict:
    found = re.search(r'<pre id="results">(.*?)</pre>', dom, re.S)
    assert found, "the probe script did not run"
    return json.loads(html.unescape(found.group(1)))


@pytest.fixture
def card_html(project, collection) -> tuple[str, Path]:
    """Build the showcase card, import it into Anki, and return Anki's answer HTML and media folder."""
    project.write("showcase.yaml", SHOWCASE)
    (project.cards / "img").mkdir()
    (project.cards / "img" / "circle.png").write_bytes(png(160, 90, (230, 120, 30)))
    assert project.run("build").exit_code == 0
    import_package(collection, project.package("showcase.apkg"))
    (nid,) = collection.find_notes("")
    return collection.get_note(nid).cards()[0].answer(), Path(collection.media.dir())


def _keep(shot: Path) -> None:
    """Copy a screenshot to DECKGEN_SCREENSHOT_DIR, when set, for a person to look at."""
    keep = os.environ.get("DECKGEN_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)


@pytest.mark.parametrize("night", [False, True], ids=["light", "night"])
def test_card_is_readable_with_code_math_and_image(card_html, night: bool, tmp_path: Path) -> None:
    answer, media = card_html
    page = _page(answer, night, media)  # beside the media, as in Anki's reviewer
    dom = dump_dom(page)
    results = _results(dom)

    card_fg, card_bg = map(parse_rgb, results["card"])
    code_fg, code_bg = map(parse_rgb, results["code"])
    assert contrast(card_fg, card_bg) >= 7
    assert code_bg != card_bg  # the code block stands out from the card
    assert contrast(code_fg, code_bg) >= 7
    assert (relative_luminance(code_bg) < 0.1) if night else (relative_luminance(code_bg) > 0.8)
    assert contrast(*map(parse_rgb, results["inline"])) >= 7
    # Revealed inline code in a cloze takes the cloze colour, so the answer stands out.
    cloze, cloze_code, cloze_code_bg = results["clozeCode"]
    assert cloze_code == cloze and contrast(parse_rgb(cloze), parse_rgb(cloze_code_bg)) >= 4.5
    # Highlighted for real, and every colour the highlighter can use is readable on its background.
    assert {"k", "nf", "s", "c", "m", "nd"} <= set(results["highlighted"])
    assert {css for css, _, _ in results["palette"]} == set(CLASSES)
    for css, color, background in results["palette"]:
        behind = code_bg if background in ("rgba(0, 0, 0, 0)", "transparent") else parse_rgb(background)
        assert contrast(parse_rgb(color), behind) >= 4.5, (css, color, background)
    assert parse_rgb(dict((c, f) for c, f, _ in results["palette"])["k"]) != code_fg

    complete, natural_width, natural_height, shown_width = results["image"]
    assert complete and (natural_width, natural_height) == (160, 90) and shown_width > 0
    assert not results["overflow"]
    assert all(url.startswith("file:") for url in results["resources"]), results["resources"]
    text = re.sub(r"<[^>]+>", "", dom)
    assert r"\(\pi r^2\)" in text and r"\[A = \int_0^r 2 \pi t \, dt\]" in text and r"\(\pi\)" in text

    shot = screenshot(page, tmp_path / f"card-{'night' if night else 'light'}.png")
    _keep(shot)


def test_night_and_light_code_blocks_differ(card_html) -> None:
    answer, media = card_html
    light, night = (_results(dump_dom(_page(answer, mode, media))) for mode in (False, True))
    assert light["code"] != night["code"]
    assert dict((c, f) for c, f, _ in light["palette"]) != dict((c, f) for c, f, _ in night["palette"])
