"""What a packager and a new user meet: a clean install, a lock file that matches the code, the hooks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

from click.testing import CliRunner

from deckgen.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _tracked_copy(target: Path) -> Path:
    """Copy the files git tracks (and would track: new, not ignored), as a fresh clone has them."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def test_building_a_clean_checkout_changes_no_tracked_file(tmp_path: Path, monkeypatch) -> None:
    # A user told to commit deckgen.lock must not see it change on the first build of a clone.
    shutil.copytree(ROOT / "cards", tmp_path / "cards")
    shutil.copy2(ROOT / "deckgen.lock", tmp_path / "deckgen.lock")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "0 new, 0 changed" in result.output
    assert {p: p.read_bytes() for p in before} == before


def test_pip_install_leaves_no_packaging_files_in_the_project(tmp_path: Path) -> None:
    # build/ is where deckgen writes the user's packages: installing must not put anything there.
    project = _tracked_copy(tmp_path / "checkout")
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    python = environment / ("Scripts" if os.name == "nt" else "bin") / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "."], cwd=project,
                             capture_output=True, text=True)
    assert install.returncode == 0, install.stderr
    assert not (project / "build").exists()
    assert not list(project.rglob("*.egg-info")) and not (project / "dist").exists()
    shown = subprocess.run([str(python), "-c", "import importlib.resources as r; "
                            "print(r.files('deckgen.output').joinpath('preview.js').is_file(), "
                            "r.files('deckgen').joinpath('schema.json').is_file())"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert shown.stdout.split() == ["True", "True"], shown.stderr  # the package data was installed


def test_the_pre_commit_hooks_run_through_pre_commit_itself(tmp_path: Path) -> None:
    # pre-commit installs the hook repository (this one, copied with its uncommitted changes)
    # into an environment of its own, as it would for a user, and runs the hooks on a project.
    hooks = _tracked_copy(tmp_path / "hooks")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q"], cwd=hooks, check=True)
    subprocess.run(["git", "add", "-A"], cwd=hooks, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "hooks"], cwd=hooks, check=True)
    user = tmp_path / "user"
    (user / "cards").mkdir(parents=True)
    (user / "cards" / "a.yaml").write_text("deck: D\ntags: [t]\nsource: S\ncards:\n  - id: a\n    q: Which?\n    a: That\n",
                                           encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=user, check=True)
    subprocess.run(["git", "add", "-A"], cwd=user, check=True)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)

    def run(hook: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(hooks), hook, "--all-files"],
                              cwd=user, env=env, capture_output=True, text=True)

    passed = run("deckgen-check")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    (user / "cards" / "a.yaml").write_text("deck: D\ncards:\n  - id: a\n    q: Which?\n", encoding="utf-8")
    failed = run("deckgen-check")
    assert failed.returncode == 1 and "cards/a.yaml:3:5: error: card 'a' is missing 'a'" in failed.stdout, failed.stdout
    (user / "cards" / "a.yaml").write_text("deck: D\ncards:\n  - id: a\n    q: Which?\n    a: That\n", encoding="utf-8")
    lint = run("deckgen-lint")
    assert lint.returncode == 1 and "missing-topic-tag" in lint.stdout, lint.stdout
