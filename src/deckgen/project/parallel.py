"""Use every core for the two parts of a build that split into independent pieces.

Reading card files (parse, validate, render) depends on each file's text and the note types
alone, and packaging on each top-level deck's plan alone. For a large project both are shared
out to worker processes, forked for the purpose so that they inherit the work instead of being
sent it. A reading worker sends back the file it read, pickled (which unpickles in a quarter of
the time the cache's record decodes in), and that file's build cache record, which the cache
written at the end of the run reuses instead of encoding the file again; a packaging worker
sends back the package's bytes. Results come back in order, so everything after is the same as
when one process does all the work.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
from typing import Callable, Iterator, NamedTuple, Sequence, TypeVar

from deckgen.anki.notetypes import NoteTypes
from deckgen.errors import BadUsage
from deckgen.model import ParsedFile

_T = TypeVar("_T")
# The setting: a whole number of processes (1 works in this process only); unset means automatic.
JOBS_VARIABLE = "DECKGEN_JOBS"
# Below this much card text (about 3,000 cards) the workers' extra work (pickling each file
# read and encoding its cache record in the worker) eats what the second core saves: measured
# on 2 cores, 2,000 cards gained nothing, 5,000 about 5%, 10,000 about 14%, 100,000 about 18%.
READING_WORTH_IT = 600_000  # characters
# Packaging 1,000 notes takes about 30 ms; forking and sending the bytes back about 10 ms.
PACKAGING_WORTH_IT = 3_000  # notes


class Job(NamedTuple):
    """One card file to read: its text, its path as shown, its real path and its text hash."""

    text: str
    path: str
    file: str
    digest: str


# The work the forked workers do: set before the pool forks, so it is inherited, not sent.
_WORK: Callable[[int], object] | None = None


def processes_for(size: int, worth_it: int, pieces: int) -> int:
    """Decide how many processes share `pieces` of work of `size` in all: the setting, or every core if it pays."""
    setting = os.environ.get(JOBS_VARIABLE, "").strip()
    if setting:
        if not (setting.isdigit() and int(setting) >= 1):
            raise BadUsage(f"{JOBS_VARIABLE} must be a whole number of processes, at least 1 (it is '{setting}')")
        wanted = int(setting)
    elif size < worth_it:
        return 1
    else:
        wanted = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(wanted, pieces) if _can_fork() else 1


def _can_fork() -> bool:
    """Tell whether forking is safe here: on Linux, from a process with no other thread."""
    # Forking a process that has other threads (Anki's backend, a file watcher) can deadlock
    # the child, and Python 3.12+ warns about it; those runs work in one process.
    if not sys.platform.startswith("linux") or "fork" not in multiprocessing.get_all_start_methods():
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def in_workers(work: Callable[[int], _T], count: int, processes: int) -> Iterator[_T]:
    """Yield work(0), ..., work(count - 1), in order, computed by `processes` forked workers.

    The results are pickled on their way back; `work` itself, and what it refers to, is not.
    """
    global _WORK
    _WORK = work
    try:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            yield from pool.imap(_run, range(count))
    finally:
        _WORK = None


def _run(index: int) -> object:
    assert _WORK is not None
    return _WORK(index)


def read_in_parallel(jobs: Sequence[Job], notetypes: NoteTypes, processes: int) -> Iterator[tuple[ParsedFile, bytes | None]]:
    """Read each job in a worker process; yield, in job order, each file read and its cache record's body."""
    def read(index: int) -> tuple[bytes, bytes | None]:
        from deckgen.compiler.read import read_card_file
        from deckgen.project.cache_rows import encode_parsed

        parsed = read_card_file(*jobs[index], notetypes)
        return pickle.dumps(parsed, pickle.HIGHEST_PROTOCOL), encode_parsed(parsed)

    for pickled, body in in_workers(read, len(jobs), processes):
        yield pickle.loads(pickled), body
