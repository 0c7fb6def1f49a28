"""Each folder under cases/ is a project with bad cards and the exact messages it must produce."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import Project

CASES = Path(__file__).parent / "cases"


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
@pytest.mark.parametrize("command", ["build", "check"])
def test_bad_input_is_located_and_nothing_is_written(case: str, command: str, tmp_path: Path) -> None:
    root = tmp_path / case
    shutil.copytree(CASES / case, root)
    expected = (root / "expected.txt").read_text(encoding="utf-8")
    (root / "expected.txt").unlink()
    # A previous good build and lock file that a failed build must leave alone.
    (root / "build").mkdir()
    (root / "build" / "demo.apkg").write_bytes(b"previous package")
    (root / "deckgen.lock").write_text("# previous lock\n", encoding="utf-8")
    before = _snapshot(root)

    result = Project(root).run(command)

    assert result.exit_code == 1
    assert result.stderr == expected
    assert "Traceback" not in result.output
    assert _snapshot(root) == before


def test_every_case_expects_at_least_one_located_error() -> None:
    for case in CASES.iterdir():
        lines = (case / "expected.txt").read_text(encoding="utf-8").splitlines()
        assert any(": error: " in line for line in lines), case.name
        assert lines[-1].endswith("warnings") or lines[-1].endswith("warning")
