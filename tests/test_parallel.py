"""Reading card files in worker processes gives exactly what reading them in one process gives."""

from __future__ import annotations

import os
import pickle
import shutil
import threading

import pytest
from conftest import Project
from rich_project import write_rich

from deckgen.commands.build import run_build
from deckgen.project import parallel
from deckgen.project.loader import load_project
from deckgen.project.paths import ProjectPaths

NOW = 1_700_000_000
# Good files, a file with problems in every stage (YAML, validation, rendering) and a cloze file.
EXTRA = {
    "bad.yaml": "deck: Rich::Bad\ncards:\n  - id: x\n    q: Fine?\n    a: Yes\n  - id: y\n    qq: misspelt\n"
                "  - id: z\n    cloze: '{{c1::open'\n",
    "broken.yaml": "deck: Rich::Broken\ncards: [\n",
    "cloze.yaml": "deck: Other\ntags: [t]\ncards:\n" + "".join(
        f"  - id: c{i}\n    cloze: '{{{{c1::part {i}}}}} and {{{{c2::more::hint}}}}'\n" for i in range(30)),
}


@pytest.fixture
def rich(project: Project) -> Project:
    write_rich(project)
    for name, text in EXTRA.items():
        project.write(name, text)
    return project


def _load(project: Project, jobs: str, monkeypatch):
    monkeypatch.setenv(parallel.JOBS_VARIABLE, jobs)
    return load_project(ProjectPaths.of(project.cards, project.build_dir, project.lock))


def test_workers_read_the_same_files_and_problems_as_one_process(rich, monkeypatch) -> None:
    serial, pooled = _load(rich, "1", monkeypatch), _load(rich, "2", monkeypatch)
    assert len(serial.files) >= 5
    assert serial.files == pooled.files
    assert serial.problems == pooled.problems
    assert any(p.severity == "error" for p in serial.problems)


_READ = parallel._read


def _spy(index: int) -> tuple[bytes, bytes | None]:
    """Read as a worker does, and tell which process read."""
    pickled, body = _READ(index)
    return pickle.dumps((os.getpid(), pickle.loads(pickled))), body


def test_workers_are_other_processes(rich, monkeypatch) -> None:
    notetypes = _load(rich, "1", monkeypatch).notetypes
    monkeypatch.setattr(parallel, "_read", _spy)  # forked workers inherit the patch
    monkeypatch.setenv(parallel.JOBS_VARIABLE, "2")
    jobs = [parallel.Job(path.read_text("utf-8"), path.name, path.as_posix(), "x") for path in sorted(rich.cards.rglob("*.yaml"))]
    pids = {pid for (pid, _), _ in parallel.read_in_parallel(jobs, notetypes, parallel.processes_for(jobs))}
    assert pids and os.getpid() not in pids


def _written(project: Project) -> dict[str, bytes]:
    files = [*project.build_dir.rglob("*"), project.lock]
    return {p.relative_to(project.root).as_posix(): p.read_bytes() for p in files if p.is_file()}


def test_a_build_read_by_workers_writes_the_same_bytes(rich, monkeypatch) -> None:
    for name in EXTRA:
        if name != "cloze.yaml":
            (rich.cards / name).unlink()  # a build writes only without errors
    monkeypatch.setenv(parallel.JOBS_VARIABLE, "1")
    assert not run_build(rich.cards, rich.build_dir, rich.lock, now=NOW).failed
    serial = _written(rich)
    shutil.rmtree(rich.build_dir)
    rich.lock.unlink()
    monkeypatch.setenv(parallel.JOBS_VARIABLE, "2")
    assert not run_build(rich.cards, rich.build_dir, rich.lock, now=NOW).failed
    assert any(name.endswith(".apkg") for name in serial) and "build/.deckgen-cache" in serial
    assert _written(rich) == serial
    # The cache the workers' records went into serves the next build as well as the usual one.
    monkeypatch.setenv(parallel.JOBS_VARIABLE, "1")
    assert load_project(ProjectPaths.of(rich.cards, rich.build_dir, rich.lock), reuse=True).reused is not None


def test_small_projects_and_threaded_processes_read_in_one_process(monkeypatch) -> None:
    small = [parallel.Job("x" * 1000, f"{i}.yaml", f"/{i}.yaml", "h") for i in range(4)]
    monkeypatch.delenv(parallel.JOBS_VARIABLE, raising=False)
    assert parallel.processes_for(small) == 1
    monkeypatch.setenv(parallel.JOBS_VARIABLE, "3")
    assert parallel.processes_for(small) == 3
    assert parallel.processes_for(small[:2]) == 2  # never more processes than files
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:  # forking beside another thread could deadlock the child
        assert parallel.processes_for(small) == 1
    finally:
        stop.set()
        other.join()


@pytest.mark.parametrize("setting", ["0", "two", "-1", "1.5"])
def test_a_bad_setting_is_refused_and_nothing_is_written(project: Project, setting, monkeypatch) -> None:
    project.write("a.yaml", "deck: A\ncards:\n  - id: a\n    q: Q?\n    a: A\n")
    monkeypatch.setenv(parallel.JOBS_VARIABLE, setting)
    result = project.run("build")
    assert result.exit_code == 2
    assert f"DECKGEN_JOBS must be a whole number of processes, at least 1 (it is '{setting}')" in result.stderr
    assert not project.build_dir.exists() and not project.lock.exists()
