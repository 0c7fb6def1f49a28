"""deckgen new and deckgen ids: new files that build, and ids inserted without touching anything else."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from deckgen.cardfiles.yamledit import split_lines
from deckgen.names import id_slug


def slug(text: str) -> str:
    """Make the id `deckgen ids` gives a card with this question."""
    return id_slug(text) or "card"
from deckgen.compiler.yamlread import parse_yaml

CASES = Path(__file__).parent / "ids_cases"
_ADDED = re.compile(r"^(\S+):(\d+):(\d+): added id '([^']+)'$")


def _without_inserted(after: bytes, ids: list[str], ends_with_break: bool) -> bytes:
    """Drop the inserted `id:` lines, which must leave the original bytes."""
    lines = split_lines(after.decode("utf-8"))
    kept = [line for line in lines if line.strip() not in {f"id: {i}" for i in ids}]
    text = "".join(kept)
    if not ends_with_break:
        text = text.rstrip("\r\n")
    return text.encode("utf-8")


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir()))
def test_ids_are_inserted_byte_for_byte(case: str, project) -> None:
    before = (CASES / case / "before.yaml").read_bytes()
    (project.cards / "deck.yaml").write_bytes(before)

    result = project.run("ids")

    assert result.exit_code == 0, result.output
    after = (project.cards / "deck.yaml").read_bytes()
    assert after == (CASES / case / "after.yaml").read_bytes()
    ids = [m.group(4) for line in result.stdout.splitlines() if (m := _ADDED.match(line))]
    assert ids and _without_inserted(after, ids, before.endswith((b"\n", b"\r"))) == before
    assert project.run("ids").stdout == "every card has an id\n"
    assert (project.cards / "deck.yaml").read_bytes() == after


def test_ids_file_then_builds(project) -> None:
    shutil.copy(CASES / "comments-and-quoting" / "before.yaml", project.cards / "a.yaml")
    assert project.run("check").exit_code == 1  # cards without ids
    assert project.run("ids").exit_code == 0
    result = project.run("check")
    assert result.exit_code == 0, result.output


def test_ids_are_unique_within_a_top_level_deck_only(project) -> None:
    card = "  - q: Which company built TensorFlow?\n    a: Google\n"
    project.write("one.yaml", "deck: Main::A\ncards:\n" + card + card)
    project.write("two.yaml", "deck: Main::B\ncards:\n  - id: company-built-tensorflow-3\n    q: x\n    a: y\n" + card)
    project.write("three.yaml", "deck: Other\ncards:\n" + card)
    result = project.run("ids")
    assert result.stdout.splitlines() == [
        "cards/one.yaml:3:5: added id 'company-built-tensorflow'",
        "cards/one.yaml:5:5: added id 'company-built-tensorflow-2'",
        "cards/three.yaml:3:5: added id 'company-built-tensorflow'",
        "cards/two.yaml:6:5: added id 'company-built-tensorflow-4'",
        "added 4 ids in 3 files",
    ]
    assert project.run("check").exit_code == 0


def test_flow_style_cards_are_refused_and_nothing_is_written(project) -> None:
    good = project.write("a.yaml", "deck: D\ncards:\n  - q: Fine?\n    a: Yes\n")
    flow = project.write("b.yaml", "deck: D\ncards:\n  - {q: Flow?, a: Yes}\n  - q: Block?\n    a: Yes\n")
    before = good.read_bytes(), flow.read_bytes()
    result = project.run("ids")
    assert result.exit_code == 1
    assert result.stderr.startswith("cards/b.yaml:3:5: error: this card is written in flow style ({...}); "
                                    "deckgen ids only edits block-style cards: add its id by hand (flow-style-card)\n")
    assert (good.read_bytes(), flow.read_bytes()) == before


def test_yaml_errors_and_dry_run_write_nothing(project) -> None:
    path = project.write("a.yaml", "deck: D\ncards:\n  - q: Fine?\n    a: Yes\n")
    result = project.run("ids", "--dry-run")
    assert result.stdout == "cards/a.yaml:3:5: would add id 'fine'\nwould add 1 id in 1 file\n"
    assert path.read_text() == "deck: D\ncards:\n  - q: Fine?\n    a: Yes\n"
    project.write("bad.yaml", "deck: D\ncards:\n  - q: [unclosed\n")
    result = project.run("ids")
    assert result.exit_code == 1 and "cards/bad.yaml:4:1: error: YAML syntax" in result.stderr
    assert "id:" not in path.read_text()


def test_slugs() -> None:
    assert slug("Which company built TensorFlow?") == "company-built-tensorflow"
    assert slug("Café crème, s'il vous plaît") == "cafe-creme-s-il-vous"
    assert slug("华为的框架叫什么？") == "card"
    assert slug("The") == "the"


def test_new_creates_a_file_that_builds_and_refuses_to_overwrite(project) -> None:
    result = project.run("new", "Deep Learning::Compilers & Runtimes")
    assert result.exit_code == 0, result.output
    path = project.cards / "deep-learning" / "compilers-runtimes.yaml"
    assert result.stdout == "created cards/deep-learning/compilers-runtimes.yaml\n"
    text = path.read_text(encoding="utf-8")
    root, problems = parse_yaml(text, "x")
    assert not problems and 'deck: "Deep Learning::Compilers & Runtimes"' in text
    assert "tags: [deep-learning::compilers-runtimes]" in text
    assert project.run("build").exit_code == 0

    again = project.run("new", "Deep Learning::Compilers & Runtimes")
    assert again.exit_code == 1
    assert "cards/deep-learning/compilers-runtimes.yaml already exists" in again.stderr
    assert path.read_text(encoding="utf-8") == text


def test_new_with_path_schema_line_and_bad_names(project) -> None:
    (project.root / "deckgen.schema.json").write_text(project.run("schema").stdout, encoding="utf-8")
    result = project.run("new", "Solo", "--path", "cards/topics/solo-deck.yaml")
    assert result.exit_code == 0
    first = (project.cards / "topics" / "solo-deck.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../deckgen.schema.json"
    for bad in ("A::::B", "::A", " ", "Tab\there", "Line\u2028break"):
        result = project.run("new", bad)
        assert result.exit_code == 2 and "is not a deck name" in result.stderr, bad  # bad usage
    # Quotes and backslashes are fine in a deck name: the file quotes them.
    assert project.run("new", 'Say "hi" \\ bye').exit_code == 0
    assert project.run("check").exit_code == 0


def test_the_scaffolds_example_card_is_flagged_until_replaced(project) -> None:
    assert project.run("new", "Topic::Sub").exit_code == 0
    result = project.run("lint")
    assert "cards/topic/sub.yaml:6:8: warning: card 'sub-example' still has the example text" in result.stderr
    assert project.run("lint", "--strict").exit_code == 1
