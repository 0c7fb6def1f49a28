"""Shared fixtures: a project folder to build in, and real Anki collections."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from click.testing import CliRunner

from deckgen.cli import main


class Project:
    """A throwaway deckgen project: card files in, packages and lock file out."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cards = root / "cards"
        self.build_dir = root / "build"
        self.lock = root / "deckgen.lock"
        self.cards.mkdir(parents=True, exist_ok=True)

    def write(self, name: str, text: str) -> Path:
        path = self.cards / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def run(self, *args: str):
        """Run the CLI in the project folder, as a user would from its root."""
        old = Path.cwd()
        os.chdir(self.root)
        try:
            return CliRunner().invoke(main, list(args), catch_exceptions=False)
        finally:
            os.chdir(old)

    def package(self, name: str = "demo.apkg") -> Path:
        return self.build_dir / name


def compiled(cards: Path, out: Path | None = None, now: float | None = None):
    """Load and compile a card folder through the pipeline, as every command does: (project, compilation)."""
    from deckgen.pipeline import compile_project, load_project
    from deckgen.project.paths import ProjectPaths

    loaded = load_project(ProjectPaths.of(cards, out if out is not None else cards.parent / "build"))
    return loaded, compile_project(loaded, now)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path / "project")


@pytest.fixture
def collection(tmp_path: Path):
    """A fresh, empty Anki collection from Anki's own backend."""
    from anki.collection import Collection

    col = Collection(str(tmp_path / "collection.anki2"))
    yield col
    col.close()


# Fuzzing profiles (tests/test_fuzz.py): `ci` is the default, bounded so the fuzz file takes
# about a minute on two cores; `pytest --hypothesis-profile=nightly` runs many more examples.
settings.register_profile("ci", max_examples=100, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("nightly", max_examples=2000, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("ci")
