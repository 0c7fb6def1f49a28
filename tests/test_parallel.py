"""Reading card files in worker processes gives exactly what reading them in one process gives."""

from __future__ import annotations

import os
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


def test_workers_are_other_processes_and_results_come_in_order() -> None:
    results = list(parallel.in_workers(lambda index: (index, os.getpid()), 6, 2))
    assert [index for index, _ in results] == list(range(6))
    assert os.getpid() not in {pid for _, pid in results}


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
    assert sum(name.endswith(".apkg") for name in serial) >= 2 and "build/.deckgen-cache" in serial
    assert _written(rich) == serial
    # The cache the workers' records went into serves the next build as well as the usual one.
    monkeypatch.setenv(parallel.JOBS_VARIABLE, "1")
    assert load_project(ProjectPaths.of(rich.cards, rich.build_dir, rich.lock), reuse=True).reused is not None


def test_small_projects_and_threaded_processes_work_in_one_process(monkeypatch) -> None:
    monkeypatch.delenv(parallel.JOBS_VARIABLE, raising=False)
    assert parallel.processes_for(999, 1000, 4) == 1
    assert parallel.processes_for(1000, 1000, 4) == min(4, len(os.sched_getaffinity(0)))
    monkeypatch.setenv(parallel.JOBS_VARIABLE, "3")
    assert parallel.processes_for(10, 1000, 4) == 3  # the setting holds whatever the size
    assert parallel.processes_for(10, 1000, 2) == 2  # never more processes than pieces of work
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:  # forking beside another thread could deadlock the child
        assert parallel.processes_for(10, 1000, 4) == 1
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
