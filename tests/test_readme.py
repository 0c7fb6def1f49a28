"""The README's examples work as written."""

from __future__ import annotations

import re
from pathlib import Path

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_the_card_format_example_builds(project) -> None:
    example = re.search(r"## Card format.*?```yaml\n(.*?)```", README, re.S)
    assert example is not None
    (project.cards / "example.yaml").write_text(example.group(1), encoding="utf-8")
    result = project.run("build")
    assert result.exit_code == 0, result.output
    assert "3 notes (4 cards)" in result.output


def test_the_set_up_commands_are_the_ones_ci_runs() -> None:
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install . && deckgen build" in README
    assert "pip install '.[test]' && pytest" in README
    assert "pip install -q '.[test]'" in ci and "\npytest\n" in ci
