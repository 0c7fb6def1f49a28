"""Read card files on every core: parse, validate and render in worker processes when it pays.

Each card file is read on its own, from its text and the note types alone, so a large project's
files can be shared out to forked workers. A worker sends back the file it read, pickled (which
unpickles in a quarter of the time the cache's record decodes in), and that file's build cache
record, which the cache written at the end of the run then reuses instead of encoding it again.
Results come back in file order, so everything after reading is the same as when one process
reads every file.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
from typing import Iterator, NamedTuple, Sequence

from deckgen.anki.notetypes import NoteTypes
from deckgen.errors import BadUsage
from deckgen.model import ParsedFile

# The setting: a whole number of processes (1 reads in this process only); unset means automatic.
JOBS_VARIABLE = "DECKGEN_JOBS"
# Below this much card text (about 3,000 cards) the workers' extra work (pickling each file
# read and encoding its cache record in the worker) eats what the second core saves: measured
# on 2 cores, 2,000 cards gained nothing, 5,000 about 5%, 10,000 about 14%, 100,000 about 18%.
_WORTH_IT = 600_000  # characters


class Job(NamedTuple):
    """One card file to read: its text, its path as shown, its real path and its text hash."""

    text: str
    path: str
    file: str
    digest: str


# What the forked workers read: set before the pool forks, so it is inherited, not sent.
_JOBS: tuple[Sequence[Job], NoteTypes] | None = None


def processes_for(jobs: Sequence[Job]) -> int:
    """Decide how many processes read `jobs`: the setting, or every core when there is enough to read."""
    setting = os.environ.get(JOBS_VARIABLE, "").strip()
    if setting:
        if not (setting.isdigit() and int(setting) >= 1):
            raise BadUsage(f"{JOBS_VARIABLE} must be a whole number of processes, at least 1 (it is '{setting}')")
        wanted = int(setting)
    elif sum(len(job.text) for job in jobs) < _WORTH_IT:
        return 1
    else:
        wanted = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(wanted, len(jobs)) if _can_fork() else 1


def _can_fork() -> bool:
    """Tell whether forking is safe here: on Linux, from a process with no other thread."""
    # Forking a process that has other threads (Anki's backend, a file watcher) can deadlock
    # the child, and Python 3.12+ warns about it; those runs read in one process.
    if not sys.platform.startswith("linux") or "fork" not in multiprocessing.get_all_start_methods():
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def read_in_parallel(jobs: Sequence[Job], notetypes: NoteTypes, processes: int) -> Iterator[tuple[ParsedFile, bytes | None]]:
    """Read each job in a worker process; yield, in job order, each file read and its cache record's body."""
    global _JOBS
    _JOBS = (jobs, notetypes)
    try:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            for pickled, body in pool.imap(_read, range(len(jobs))):
                yield pickle.loads(pickled), body
    finally:
        _JOBS = None


def _read(index: int) -> tuple[bytes, bytes | None]:
    """In a worker: read one job; return the file read, pickled, and its cache record's body (if it has one)."""
    from deckgen.compiler.read import read_card_file
    from deckgen.project.cache_rows import encode_parsed

    assert _JOBS is not None
    jobs, notetypes = _JOBS
    parsed = read_card_file(*jobs[index], notetypes)
    return pickle.dumps(parsed, pickle.HIGHEST_PROTOCOL), encode_parsed(parsed)
