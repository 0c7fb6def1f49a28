"""Load a project once into one frozen value: the first stage of every command.

Loading reads everything a build depends on, through the shared reader: the card files, the
lock file (or what a lost one can be recovered from), the note types, the settings, the build
cache, and every media file the notes name. Parsing, validation and rendering happen here
too, file by file, unless the build cache already holds a file's result; they are pure.
"""

from __future__ import annotations

import gc
import functools
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, ParamSpec, TypeVar

from deckgen.anki import notetypes as anki_notetypes
from deckgen.anki.notetypes import NoteTypes
from deckgen.model import Card, LockEntry, MediaIndex, MediaRef, Note, ParsedFile
from deckgen.output.progress import ProgressFn, no_progress
from deckgen.problems import Problem, error, has_errors, warning
from deckgen.names import package_filename, top_level
from deckgen.project.cache import CACHE_NAME, BuildCache, CachedBuild, DeckRecord, deck_lock_hashes, inputs_key, text_hash
from deckgen.project.config import Config, Option, read_config
from deckgen.project.files import LIMITS, SourceFile, decode, read_bytes, read_sources
from deckgen.project.lockfile import parse_lock, recover_entries
from deckgen.project.media import read_media
from deckgen.project.notetypes import read_notetypes
from deckgen.project.paths import ProjectPaths, display_path

_P = ParamSpec("_P")
_R = TypeVar("_R")
# What a command that only checks cards keeps of each card file, as soon as it is read.
Keep = Callable[[ParsedFile], ParsedFile]


@dataclass(frozen=True)
class LockState:
    """The lock file as read: its text (None when there is none) and its entries.

    `recovered` tells that some entries were rebuilt from the packages in the output folder,
    because the lock file or some of its lines were lost.
    """

    path: Path
    text: str | None
    entries: Mapping[str, LockEntry]
    recovered: bool = False

    @property
    def display(self) -> str:
        """The lock file's path as shown."""
        return display_path(self.path)


@dataclass(frozen=True)
class Project:
    """Everything one run of deckgen knows about a project, read once.

    `reused` is set instead of `files` when the build cache shows that a build would write
    exactly what the last one wrote (only when the caller allows it, see `load_project`).
    `kept` names the top-level decks whose cards are left out of `files` because a build
    would stamp and package them exactly as the last one did (again only when allowed).
    """

    paths: ProjectPaths
    files: tuple[ParsedFile, ...]
    lock: LockState
    notetypes: NoteTypes
    config: Config
    media: MediaIndex
    media_seen: Mapping[str, str | None]  # every media path looked for, with its hash (None: absent)
    on_disk: Mapping[str, str]  # package file name -> digest of the plan its intact file was written from
    cache: BuildCache
    inputs: str  # a hash of every input: the build cache's key for the whole build
    problems: tuple[Problem, ...]
    reused: CachedBuild | None = None
    sources: tuple[tuple[str, str], ...] = field(default=())  # (path as shown, text hash) of each card file
    kept: tuple[DeckRecord, ...] = ()

    @property
    def failed(self) -> bool:
        """Tell whether loading found errors (nothing may then be written)."""
        return has_errors(self.problems)

    @property
    def cards(self) -> Iterator[Card]:
        """Every valid card, in file order."""
        return (card for file in self.files for card in file.cards)

    @property
    def notes(self) -> Iterator[Note]:
        """Every rendered note, in file order."""
        return (note for file in self.files for note in file.notes)


def without_cyclic_gc(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Pause Python's cyclic garbage collector while `function` runs.

    Loading allocates millions of small acyclic objects (nodes, tuples) that reference
    counting frees; the collector would rescan them again and again, finding no cycles,
    which costs up to 40% of a 100k-card build.
    """

    @functools.wraps(function)
    def paused(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        if not gc.isenabled():
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()

    return paused


def _read_lock(path: Path) -> tuple[str | None, list[Problem]]:
    """Read the lock file's text; mistakes inside it only cost "changed" stamps, so they are warnings."""
    shown = display_path(path)
    data, problem = read_bytes(path, shown, LIMITS.lock)
    if problem is not None:
        # Not a file (a folder, say): the build could not write it either.
        return None, [error(problem.location, "lock-unreadable", f"lock file: {problem.message}")]
    if data is None:
        return None, []
    text, problems = decode(data, shown)
    # Unreadable as a whole: every card is recovered from the packages, as for a lost lock file.
    return text, [warning(p.location, "lock-damaged", p.message) for p in problems]


def _recovered(entries: dict[str, LockEntry], cards: list[Card], out_dir: Path) -> tuple[dict[str, LockEntry], bool]:
    """Fill in entries for cards the lock file lacks from the packages the last build wrote."""
    from deckgen.anki.package import note_stamps

    missing = [card for card in cards if card.key not in entries]
    if not missing or not out_dir.is_dir():
        return entries, False
    stamps: dict[str, tuple[int, int]] = {}
    for path in sorted(out_dir.glob("*.apkg")):
        data, _ = read_bytes(path, display_path(path), LIMITS.package)
        if data is not None:  # an unreadable package only means fewer notes recovered
            stamps.update(note_stamps(data))
    found = recover_entries(((card.key, card.note_guid, card.deck) for card in missing), stamps)
    return {**entries, **found}, bool(found)


def _package_digests(cache: BuildCache, out_dir: Path) -> dict[str, str]:
    """Map each package the last build wrote, if its file is intact, to the digest of its plan."""
    from hashlib import sha256

    intact = {}
    for record in cache.packages():
        path = out_dir / record.summary.filename
        data, _ = read_bytes(path, display_path(path), LIMITS.package)
        if data is not None and sha256(data).hexdigest() == record.bytes:
            intact[record.summary.filename] = record.plan
    return intact


def _media_intact(cache: BuildCache, root: Path) -> bool:
    """Tell whether every media file the last build looked for is as it was then."""
    from hashlib import sha256

    for path, digest in cache.media().items():
        data, problem = read_bytes(Path(path), path, LIMITS.media, root)
        if problem is not None or (None if data is None else sha256(data).hexdigest()) != digest:
            return False
    return True


def _parsed(sources: list[SourceFile], hashes: tuple[tuple[str, str], ...], cache: BuildCache, notetypes: NoteTypes,
            progress: ProgressFn, skip: set[tuple[str, str]], done: dict[str, ParsedFile],
            keep: Keep | None = None) -> dict[tuple[str, str], bytes]:
    """Read into `done` each card file not yet there, from the cache when it can, except those in `skip`.

    `hashes` holds each source's (path as shown, text hash), in the same order. Returns the
    cache records that worker processes made of the files they read, by (path, text hash).
    """
    # Imported only now, so that a build with nothing to do never loads PyYAML and the compiler.
    from deckgen.project.parallel import READING_WORTH_IT, Job, processes_for, read_in_parallel

    wanted = [(source, hashed) for source, hashed in zip(sources, hashes)
              if source.display not in done and hashed not in skip]
    jobs: list[Job] = []
    for source, (shown, digest) in wanted:
        real = source.path.as_posix()
        cached = cache.parsed(shown, real, digest)
        if cached is None:
            jobs.append(Job(source.text, shown, real, digest))
        else:
            done[shown] = cached if keep is None else keep(cached)
    count, total = len(done), len(done) + len(jobs)
    processes = processes_for(sum(len(job.text) for job in jobs), READING_WORTH_IT, len(jobs))
    if processes > 1:
        files = read_in_parallel(jobs, notetypes, processes)
    else:
        from deckgen.compiler.read import read_card_file

        files = ((read_card_file(*job, notetypes), None) for job in jobs)
    bodies: dict[tuple[str, str], bytes] = {}
    for number, (file, body) in enumerate(files, start=count + 1):
        progress("reading cards", number, total)
        done[file.path] = file if keep is None else keep(file)
        if body is not None:
            bodies[file.path, file.digest] = body
    # `done` is filled in file order whatever came from the cache: callers read it by path.
    return bodies


def _keepable(cache: BuildCache, sources: tuple[tuple[str, str], ...], entries: Mapping[str, LockEntry],
              on_disk: Mapping[str, str]) -> dict[str, DeckRecord]:
    """Find the top-level decks whose files, lock lines and package are all as the last build left them."""
    note_ids = [e.note_id for e in entries.values() if e.note_id]
    if len(set(note_ids)) != len(note_ids):  # a shared id is settled in card order: read every card
        return {}
    decks = cache.decks()
    if {d.package.summary.filename for d in decks.values()} != {r.summary.filename for r in cache.packages()}:
        return {}  # a deck record was lost: which files hold which deck's cards is not known
    present, hashes = set(sources), deck_lock_hashes(entries.values())
    keepable = {top: deck for top, deck in decks.items()
                if present.issuperset(deck.files) and all(cache.holds(*f) for f in deck.files)
                and hashes.get(top) == deck.lock and on_disk.get(deck.package.summary.filename) == deck.package.plan}
    # A file that also holds cards of a deck read again is read too (then its decks are read as well).
    shared = {f for top, deck in decks.items() if top not in keepable for f in deck.files}
    return {top: deck for top, deck in keepable.items() if shared.isdisjoint(deck.files)}


def _clashes(files: Iterable[ParsedFile], kept: Mapping[str, DeckRecord], entries: Mapping[str, LockEntry]) -> bool:
    """Tell whether a card read shares its id, note identity or package name with a kept deck's."""
    guids = {guid for deck in kept.values() for guid in deck.guids}
    names = {deck.package.summary.filename for deck in kept.values()}
    tops: set[str] = set()
    kept_decks: dict[str, bool] = {}  # a deck name: is it in a kept deck? (worked out once per name)
    for file in files:
        for card in file.cards:
            tops.add(card.top_deck)
            entry = entries.get(card.key)
            if entry is not None:
                inside = kept_decks.get(entry.deck)
                if inside is None:
                    inside = kept_decks[entry.deck] = top_level(entry.deck) in kept
                if inside:
                    return True
        if any(note.guid in guids for note in file.notes):
            return True
    return any(package_filename(top) in names for top in tops)


def _read_cards(sources: list[SourceFile], hashes: tuple[tuple[str, str], ...], cache: BuildCache, notetypes: NoteTypes,
                progress: ProgressFn, kept: dict[str, DeckRecord], entries: Mapping[str, LockEntry],
                keep: Keep | None = None) -> tuple[list[ParsedFile], tuple[DeckRecord, ...], BuildCache]:
    """Read every card file but those of the `kept` decks still keepable once the others are read.

    The cache returned also holds the records that worker processes made of the files they read.
    """
    done: dict[str, ParsedFile] = {}
    bodies: dict[tuple[str, str], bytes] = {}
    while True:
        bodies.update(_parsed(sources, hashes, cache, notetypes, progress,
                              {f for deck in kept.values() for f in deck.files}, done, keep))
        # A file read may add cards to a deck thought kept: that deck is read after all.
        dropped = {card.top_deck for file in done.values() for card in file.cards} & kept.keys()
        if kept and not dropped and _clashes(done.values(), kept, entries):
            dropped = set(kept)  # let the usual checks locate the clash
        if not dropped:
            break
        kept = {top: deck for top, deck in kept.items() if top not in dropped}
    files = [done[s.display] for s in sources if s.display in done]
    return files, tuple(kept[top] for top in sorted(kept)), cache.with_files(bodies)


def _with_cached_cards(project: Project, sources: list[SourceFile]) -> Project | None:
    """Give a project a build would leave unchanged its cards, notes and media, from the build cache.

    None when some file's record is not there (then the cards are read as usual).
    """
    files: list[ParsedFile] = []
    for source, (shown, digest) in zip(sources, project.sources):
        parsed = project.cache.parsed(shown, source.path.as_posix(), digest)
        if parsed is None:
            return None
        files.append(parsed)
    media, seen = _read_media(files, project.notetypes, project.paths)
    return replace(project, files=tuple(files), media=media, media_seen=seen)


def _read_media(files: Iterable[ParsedFile], notetypes: NoteTypes,
                paths: ProjectPaths) -> tuple[MediaIndex, dict[str, str | None]]:
    """Read every media file the notes and the project's note types name."""
    refs: list[MediaRef] = [ref for file in files for note in file.notes for ref in note.media]
    refs += [ref for nt in notetypes.project for ref in nt.media_refs]
    return read_media(refs, paths.root, paths.media_dir)


def _lint_options() -> dict[str, tuple[Option, ...]]:
    from deckgen.lint.rules import RULES  # the settings file configures the lint rules

    return {code: rule.options for code, rule in RULES.items()}


@without_cyclic_gc
def load_project(paths: ProjectPaths, *, reuse: bool = False, keep_decks: bool = False,
                 progress: ProgressFn = no_progress, keep: Keep | None = None, with_cards: bool = False) -> Project:
    """Read a project and its cards; with `reuse`, skip reading cards when a build would change nothing.

    With `with_cards` too, such a project still gets its cards, notes and media, decoded from
    the build cache as the last build read them (for the preview page, which shows them all).

    With `keep_decks` too, the cards of a top-level deck a build would stamp and package as the
    last one did are not read either (see `Project.kept`): only for a build.

    With `keep`, read for checking cards only (lint): each card file passes through `keep` as
    soon as it is read, and nothing only a build needs is kept or read (lock entries, media,
    packages, the cache's records); the problems are the same.
    """
    root = paths.root
    sources, problems = read_sources(paths.cards_dir, root)
    lock_text, found = _read_lock(paths.lock_path)
    problems += found
    notetypes, found = read_notetypes(paths.notetype_dir, root, anki_notetypes.OWN_TYPES)
    problems += found
    config = read_config(paths.config_path, _lint_options)
    cache_path = paths.out_dir / CACHE_NAME
    cache = BuildCache.from_bytes(cache_path, read_bytes(cache_path, display_path(cache_path), LIMITS.cache)[0],
                                  notetypes.fingerprint)
    hashes = tuple((source.display, text_hash(source.text)) for source in sources)
    inputs = inputs_key(hashes, (display_path(paths.lock_path), lock_text), notetypes.fingerprint)
    lock = LockState(paths.lock_path, lock_text, {})
    base = Project(paths, (), lock, notetypes, config, {}, {}, {}, cache, inputs, (), sources=hashes)
    if reuse and not problems and _media_intact(cache, root):
        cached = cache.unchanged(inputs)
        on_disk = _package_digests(cache, paths.out_dir) if cached else {}
        if cached and len(on_disk) == len(cached.packages):
            reused = Project(**{**vars(base), "reused": cached, "problems": cached.problems, "on_disk": on_disk})
            filled = _with_cached_cards(reused, sources) if with_cards else reused
            if filled is not None:
                return filled

    entries, found = parse_lock(lock_text or "", display_path(paths.lock_path))
    if keep is not None:
        entries = {}  # only the lock's problems are kept: its entries are tens of MB at 100k cards
    on_disk = {} if keep is not None else _package_digests(cache, paths.out_dir)
    keepable: dict[str, DeckRecord] = {}
    if reuse and keep_decks and lock_text is not None and not problems and not found and _media_intact(cache, root):
        keepable = _keepable(cache, hashes, entries, on_disk)
    files, kept, cache = _read_cards(sources, hashes, cache, notetypes, progress, keepable, entries, keep)
    del sources  # the card texts are parsed: free them (tens of MB at 100k cards)
    from deckgen.compiler.read import cross_file_problems

    problems += [p for file in files for p in file.problems] + cross_file_problems(files)
    problems += dict.fromkeys(p for deck in kept for p in deck.problems)  # a file in two kept decks: once
    problems += found
    if keep is not None:
        return Project(**{**vars(base), "files": tuple(files), "cache": BuildCache(cache.path, cache.digest),
                          "problems": tuple(problems)})
    recovered = False
    if lock_text is None or any(p.code == "lock-damaged" for p in found):
        entries, recovered = _recovered(entries, [card for file in files for card in file.cards], paths.out_dir)
    media, seen = _read_media(files, notetypes, paths)
    if kept:  # what the kept decks' notes looked for, as the last build found it (checked intact above)
        seen = dict(sorted({**cache.media(), **seen}.items()))
    return Project(
        paths, tuple(files), LockState(paths.lock_path, lock_text, entries, recovered), notetypes, config, media,
        seen, on_disk, cache, inputs, tuple(problems), sources=hashes, kept=kept,
    )
