"""The build cache: what the last successful build learned, so later runs redo only what changed.

`<out>/.deckgen-cache` is a private file, rewritten after each successful build and never
required: when it is missing, unreadable, damaged or written by other code, it is ignored.
It records:

- Per card file, the file's validated cards, rendered notes and problems, keyed by its path
  and a hash of its text (and, through the header, by deckgen's code and the note types).
  Every command that loads the project reads these, so an edit re-reads one file.
- Per package, the digest of the plan it was written from and of its bytes: a package whose
  plan is unchanged and whose file is intact is not written again.
- The whole build's inputs: when the card files, lock file, note types, media and deckgen are
  exactly what the last build read and its packages are intact, `build` and `check` report
  from the cache without reading any card.

Keys use content hashes, not modification times, which editors and git checkouts do not
reliably move. The file is a sequence of records (a key line, then a deflated JSON body),
each with a checksum, so a damaged record is dropped rather than trusted. It holds only
strings, numbers and lists: reading it can never run code.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import sys
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from deckgen.model import LockEntry, PackageSummary, ParsedFile
from deckgen.names import top_level
from deckgen.problems import Problem
from deckgen.project.cache_rows import decode_parsed, decode_problem, deflated_json, encode_parsed, encode_problem, inflated_json
from deckgen.project.counts import NoteCounts, decode_counts, encode_counts

CACHE_NAME = ".deckgen-cache"
_FORMAT = b"deckgen-cache 5"
_HEADER_KEY = b"header"
_DECK_KEY = b"deck\0"  # then the top-level deck's name


def text_hash(text: str) -> str:
    """Identify a text by content."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _checksum(key: bytes, body: bytes) -> bytes:
    return hashlib.sha256(key + b"\0" + body).hexdigest()[:16].encode()


def _package_files(name: str, pattern: str) -> list[Path]:
    """List an installed package's files without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return []
    return sorted(p for folder in spec.submodule_search_locations for p in Path(folder).glob(pattern))


@functools.cache
def code_fingerprint() -> str:
    """Hash everything besides the inputs that decides what a build writes.

    That is deckgen's own source, genanki's schema files (their text goes into every package),
    markdown-it's and Pygments' versions (they shape rendered fields; read from their
    `__init__.py` without importing them), which PyYAML build is installed, and the Python,
    SQLite and zlib versions that serialise and compress packages.
    """
    digest = hashlib.sha256(_FORMAT)
    here = Path(__file__).resolve().parent.parent
    versioned = _package_files("markdown_it", "__init__.py") + _package_files("pygments", "__init__.py")
    for path in sorted(here.rglob("*.py")) + _package_files("genanki", "apkg_*.py") + versioned:
        digest.update(f"\0{path.relative_to(path.parent.parent)}\0".encode() + path.read_bytes())
    for path in _package_files("yaml", "*"):
        digest.update(f"\0{path.name}:{path.stat().st_size}".encode())
    import sqlite3  # the packages are SQLite databases; its version shapes their bytes

    digest.update(f"\0{sys.version}\0{sqlite3.sqlite_version}\0{zlib.ZLIB_RUNTIME_VERSION}".encode())
    return digest.hexdigest()


def _record(key: bytes, value: object) -> bytes:
    """Frame one record holding `value` as deflated JSON."""
    return _framed(key, deflated_json(value))


def _framed(key: bytes, body: bytes) -> bytes:
    """Frame one record: `key<TAB>checksum<TAB>length` on a line, then the body."""
    return b"%s\t%s\t%d\n%s" % (key, _checksum(key, body), len(body), body)


def _records(raw: bytes) -> dict[bytes, bytes]:
    """Split a cache file into its records' bodies by key, keeping those whose checksum holds."""
    records: dict[bytes, bytes] = {}
    position = raw.find(b"\n") + 1
    if raw[: position - 1] != _FORMAT:
        return records
    while position < len(raw):
        end = raw.find(b"\n", position)
        key, _, rest = raw[position:end].partition(b"\t")
        check, _, length = rest.partition(b"\t")
        if end < 0 or not length.isdigit():
            break  # the rest is damaged: everything after it is unreadable
        body = raw[end + 1 : end + 1 + int(length)]
        position = end + 1 + int(length)
        if _checksum(key, body) == check:
            records[key] = body
    return records


def _file_key(path: str, digest: str) -> bytes:
    return f"{path}\0{digest}".encode("utf-8", "surrogatepass")


@dataclass(frozen=True)
class PackageRecord:
    """A package the last build wrote: its summary, and digests of its plan and of its bytes."""

    summary: PackageSummary
    plan: str
    bytes: str


@dataclass(frozen=True)
class DeckRecord:
    """What a build needs of a top-level deck the last build packaged, to keep it without reading its cards.

    A deck is kept when its files, its lock lines (`lock`, see `deck_lock_hashes`) and its
    package are as that build left them: its notes would then stamp and package exactly as before.
    """

    top_deck: str
    files: tuple[tuple[str, str], ...]  # (path as shown, text hash) of every file with a card in the deck
    lock: str
    guids: tuple[str, ...]  # of its notes, for the check that two cards never share one
    problems: tuple[Problem, ...]  # found in its files
    counts: NoteCounts
    package: PackageRecord


def deck_lock_hashes(entries: Iterable[LockEntry], skip: Iterable[str] = ()) -> dict[str, str]:
    """Hash the lock lines of each top-level deck's cards (removed ones too), with the note types' lines.

    Decks named in `skip` are left out.
    """
    by_deck: dict[str, list[str]] = {}
    notetypes = []
    for e in entries:
        line = f"{e.key}\t{e.hash}\t{e.mod}\t{e.note_id}\t{e.kind}\t{e.deck}"
        if e.kind == "notetype":
            notetypes.append(line)
        else:
            by_deck.setdefault(e.deck, []).append(line)
    lines: dict[str, list[str]] = {}
    for deck, found in by_deck.items():  # a deck name's top level once per deck, not per line
        lines.setdefault(top_level(deck), []).extend(found)
    shared, skipped = "\n".join(sorted(notetypes)), set(skip)
    return {top: hashlib.sha256("\n".join([shared, *sorted(found)]).encode("utf-8", "surrogatepass")).hexdigest()
            for top, found in lines.items() if top not in skipped}


def _encode_deck(deck: DeckRecord) -> list:
    package = deck.package
    return [deck.top_deck, [list(f) for f in deck.files], deck.lock, list(deck.guids),
            [encode_problem(p) for p in deck.problems], encode_counts(deck.counts),
            [list(vars(package.summary).values()), package.plan, package.bytes]]


def _decode_deck(value: Any) -> DeckRecord:
    top, files, lock, guids, problems, counts, (summary, plan, data) = value
    return DeckRecord(str(top), tuple((str(p), str(d)) for p, d in files), str(lock), tuple(map(str, guids)),
                      tuple(map(decode_problem, problems)), decode_counts(counts),
                      PackageRecord(PackageSummary(*summary), str(plan), str(data)))


@dataclass(frozen=True)
class CachedBuild:
    """What the last build reported, for a build whose inputs are all as it left them.

    `counts` lets `stats` answer without reading a card (None from a cache that lacks them).
    """

    packages: tuple[PackageRecord, ...]
    problems: tuple[Problem, ...]
    counts: NoteCounts | None = None


@dataclass(frozen=True)
class BuildCache:
    """The cache file as read at the start of a run (empty when there is none or it is unusable)."""

    path: Path
    digest: str = ""  # of the file as read, to leave it alone when nothing changed
    header: Mapping[str, Any] = field(default_factory=dict)
    records: Mapping[bytes, bytes] = field(default_factory=dict)

    @classmethod
    def from_bytes(cls, path: Path, raw: bytes | None, notetypes: str) -> BuildCache:
        """Read a cache file's bytes; one written by other code or for other note types reads as empty."""
        if raw is None:
            return cls(path)
        digest = hashlib.sha256(raw).hexdigest()
        records = _records(raw)
        try:
            header = inflated_json(records[_HEADER_KEY]) if _HEADER_KEY in records else {}
        except (ValueError, zlib.error):
            header = {}
        if not isinstance(header, dict) or header.get("code") != code_fingerprint() or header.get("notetypes") != notetypes:
            return cls(path, digest)
        return cls(path, digest, header, records)

    def parsed(self, path: str, file: str, digest: str) -> ParsedFile | None:
        """Return a card file's cards, notes and problems as the last build read them, if its text is the same."""
        body = self.records.get(_file_key(path, digest))
        return None if body is None else decode_parsed(body, path, file, digest)

    def with_files(self, bodies: Mapping[tuple[str, str], bytes]) -> BuildCache:
        """Add records of card files read during this run, by (path as shown, text hash), made by `encode_parsed`.

        The cache written at the end of the run then carries them as they are, instead of
        encoding those files again.
        """
        fresh = {_file_key(path, digest): body for (path, digest), body in bodies.items()}
        return replace(self, records={**self.records, **fresh}) if fresh else self

    def holds(self, path: str, digest: str) -> bool:
        """Tell whether the cache has an intact record of this card file (without reading it)."""
        return _file_key(path, digest) in self.records

    def packages(self) -> tuple[PackageRecord, ...]:
        """The packages the last build wrote."""
        try:
            return tuple(PackageRecord(PackageSummary(*summary), plan, data) for summary, plan, data in self.header["packages"])
        except (KeyError, TypeError, ValueError):
            return ()

    def media(self) -> dict[str, str | None]:
        """Every media file the last build looked for, with the hash of its bytes (None: absent)."""
        media = self.header.get("media", {})
        return media if isinstance(media, dict) else {"": "damaged"}

    def unchanged(self, inputs: str) -> CachedBuild | None:
        """Return the last build's outcome if it read exactly these inputs."""
        try:
            if self.header["inputs"] != inputs:
                return None
            problems = tuple(decode_problem(row) for row in self.header["problems"])
        except (KeyError, TypeError, ValueError):
            return None
        packages = self.packages()
        return CachedBuild(packages, problems, self._counts()) if packages else None

    def _counts(self) -> NoteCounts | None:
        try:
            return decode_counts(self.header["counts"])
        except (KeyError, TypeError, ValueError):
            return None

    def decks(self) -> dict[str, DeckRecord]:
        """What the last build recorded of each top-level deck it packaged, by the deck's name."""
        found = {}
        for key, body in self.records.items():
            if key.startswith(_DECK_KEY):
                try:
                    deck = _decode_deck(inflated_json(body))
                except (ValueError, TypeError, zlib.error):
                    continue  # that deck is read again, like a damaged file record
                found[deck.top_deck] = deck
        return found


def inputs_key(sources: Iterable[tuple[str, str]], lock: tuple[str, str | None], notetypes: str) -> str:
    """Hash everything a build reads: card files by path and text hash, the lock file, note types, deckgen."""
    digest = hashlib.sha256(code_fingerprint().encode())
    lock_path, lock_text = lock
    digest.update(f"\0lock\0{lock_path}\0{'absent' if lock_text is None else text_hash(lock_text)}".encode(
        "utf-8", "surrogatepass"))
    digest.update(f"\0notetypes\0{notetypes}".encode())
    for path, hashed in sorted(sources):
        digest.update(f"\0{path}\0{hashed}".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def cache_contents(previous: BuildCache, files: Sequence[ParsedFile], notetypes: str, inputs: str,
                   packages: Sequence[PackageRecord], problems: Sequence[Problem], media: Mapping[str, str | None],
                   counts: NoteCounts | None = None, decks: Sequence[DeckRecord] = (),
                   kept: Iterable[tuple[str, str]] = ()) -> bytes:
    """Return the cache file a successful build leaves for the next run.

    `kept` names the files (path, text hash) of the decks the build kept without reading them:
    their records are carried over as they are.
    """
    header = {
        "counts": None if counts is None else encode_counts(counts),
        "code": code_fingerprint(),
        "notetypes": notetypes,
        "inputs": inputs,
        "media": dict(media),
        "packages": [[list(vars(p.summary).values()), p.plan, p.bytes] for p in sorted(packages, key=lambda p: p.summary.filename)],
        "problems": [encode_problem(p) for p in problems],
    }
    entries = [_record(_DECK_KEY + deck.top_deck.encode("utf-8", "surrogatepass"), _encode_deck(deck))
               for deck in sorted(decks, key=lambda d: d.top_deck)
               if not {"\n", "\t"} & set(deck.top_deck)]
    for path, digest in sorted(set(kept)):
        key = _file_key(path, digest)
        if key in previous.records and b"\n" not in key and b"\t" not in key:
            entries.append(_framed(key, previous.records[key]))
    for file in sorted(files, key=lambda f: f.path):
        key = _file_key(file.path, file.digest)
        if b"\n" in key or b"\t" in key:
            continue  # a path that would break the framing: not worth caching
        body = previous.records.get(key)
        if body is not None:
            entries.append(_framed(key, body))
            continue
        body = encode_parsed(file)
        if body is not None:
            entries.append(_framed(key, body))
    return b"".join([_FORMAT, b"\n", _record(_HEADER_KEY, header), *entries])
