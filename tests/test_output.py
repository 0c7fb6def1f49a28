"""Output for scripts and people: JSON, quiet mode, and the progress bar of long builds."""

from __future__ import annotations

import io
import json

from deckgen.commands.build import run_build
from deckgen.output.progress import TerminalProgress, terminal_progress

CARDS = "deck: Demo\ncards:\n  - id: one\n    q: Question one?\n    a: Answer one\n"


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_build_and_check_json(project) -> None:
    project.write("a.yaml", CARDS)
    document = json.loads(project.run("build", "--format", "json").stdout)
    assert document["command"] == "build" and document["ok"] and document["problems"] == []
    package = document["summary"]["packages"][0]
    assert package == {"path": "build/demo.apkg", "deck": "Demo", "decks": 1, "notes": 1, "cards": 1,
                       "new": 1, "changed": 0, "unchanged": 0}
    assert document["summary"]["wrote"] is True

    project.write("b.yaml", "deck: Demo\ncards:\n  - id: one\n    q: Again?\n    a: Yes\n")
    result = project.run("check", "--format", "json")
    assert result.exit_code == 1 and result.stderr == ""
    document = json.loads(result.stdout)
    assert not document["ok"] and document["errors"] == 1
    assert document["problems"][0] | {"path": "cards/b.yaml", "line": 3, "col": 5, "severity": "error",
                                      "code": "duplicate-id"} == document["problems"][0]


def test_quiet_prints_problems_only(project) -> None:
    project.write("a.yaml", CARDS)
    result = project.run("build", "-q")
    assert result.exit_code == 0 and result.stdout == "" and result.stderr == ""
    project.write("a.yaml", CARDS.replace("  - id: one\n", "  - id: one\n    colour: red\n"))
    result = project.run("check", "--quiet")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("cards/a.yaml:4:5: error: unknown key 'colour'") and result.stderr.count("\n") == 1


def test_progress_bar_waits_a_second_then_redraws_one_line() -> None:
    stream, now = FakeTerminal(), [0.0]
    bar = TerminalProgress(stream, delay=1.0, clock=lambda: now[0])
    bar("reading cards", 1, 4)
    assert stream.getvalue() == ""  # quick builds never show a bar
    now[0] = 1.5
    bar("reading cards", 2, 4)
    bar("packaging", 1, 1)
    assert stream.getvalue().split("\r")[1:] == [
        "reading cards      [############------------] 2/4\x1b[K",
        "packaging          [########################] 1/1\x1b[K",
    ]
    bar.close()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_no_progress_bar_unless_both_streams_are_terminals(project) -> None:
    assert terminal_progress(io.StringIO(), FakeTerminal()) is None
    assert terminal_progress(FakeTerminal(), io.StringIO()) is None
    assert isinstance(terminal_progress(FakeTerminal(), FakeTerminal()), TerminalProgress)
    project.write("a.yaml", CARDS)
    result = project.run("build")
    assert "\r" not in result.output and "[" not in result.stderr


def test_build_reports_its_stages(project) -> None:
    project.write("a.yaml", CARDS)
    project.write("b.yaml", CARDS.replace("Demo", "Other"))
    calls: list[tuple[str, int, int]] = []
    run_build(project.cards, project.build_dir, progress=lambda *call: calls.append(call))
    assert calls == [("reading cards", 1, 2), ("reading cards", 2, 2), ("packaging", 0, 2), ("packaging", 1, 2)]


def test_github_format_annotates_each_problem_on_stdout(project) -> None:
    project.write("a.yaml", "deck: D\ncards:\n  - id: x\n    q: 'Who built it: really, 100%?'\n")
    for command in ("build", "check", "lint"):
        result = project.run(command, "--format", "github")
        assert result.exit_code == 1, command
        assert result.stderr == ""
        assert "::error file=cards/a.yaml,line=3,col=5,title=missing-key::card 'x' is missing 'a'" in result.stdout
    project.write("a.yaml", "deck: D\ncards:\n  - id: x\n    q: Who built JAX?\n    a: Google\n")
    result = project.run("lint", "--format", "github")
    assert result.exit_code == 0
    assert "::warning file=cards/a.yaml,line=3,col=5,title=missing-topic-tag::card 'x' has no tag" in result.stdout


def test_github_format_escapes_what_would_end_a_command_early() -> None:
    from deckgen.output.report import format_github
    from deckgen.problems import Location, error

    (line,) = format_github([error(Location("cards/a,b:c.yaml", 2, 3), "code", "50% done\nnext: line")])
    assert line == "::error file=cards/a%2Cb%3Ac.yaml,line=2,col=3,title=code::50%25 done%0Anext: line"
