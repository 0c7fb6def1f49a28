"""The build cache: what the last successful build learned, so rebuilds redo only what changed.

`<out>/.deckgen-cache` is a private file, rewritten after each successful build and never
required: when it is missing, unreadable, damaged or written by other code, it is ignored
and the build does all the work. It records three things.

- Per card file, its parse and validation result, keyed by the file's path and a hash of
  its text, so an edit re-parses only the edited file. Rendering is not cached: it always
  runs on the current code (and deckgen's code is part of every key anyway).
- Per package, its hash and a key of what it was made from: its card files, the lock file
  and deckgen. A deck whose key still matches keeps its package (see incremental.py).
- The whole build's inputs. When the card files, the lock file and deckgen are exactly what
  the last build read and wrote, and every package still has its recorded hash, a rebuild
  would write the same files: nothing is parsed, rendered or packaged, and every note
  reports as unchanged (the lock file is the one that build wrote).

Keys use content hashes, not modification times, which editors and git checkouts do not
reliably move; deckgen's fingerprint covers its own source and the dependency files that
shape packages. Anything a build reads must be in these keys: a stage whose result is kept
per file must depend on nothing but that file's text. The file is a sequence of records (a
key line, then a deflated JSON body), each with a checksum, so a damaged record is dropped
rather than trusted.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.util
import json
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from deckgen.model import Card
from deckgen.notetypes import NOTETYPES
from deckgen.problems import Location, Problem

if TYPE_CHECKING:
    from deckgen.sources import SourceFile
    from deckgen.validate import FileCards

CACHE_NAME = ".deckgen-cache"
_FORMAT = b"deckgen-cache 2"
_HEADER_KEY = b"header"
ReadFile = Callable[["SourceFile"], "tuple[FileCards | None, list[Problem]]"]


def text_hash(text: str) -> str:
    """Identify a text by content."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
    which PyYAML build is installed (with or without libyaml), and the Python, SQLite and
    zlib versions that serialise and compress the packages.
    """
    digest = hashlib.sha256(_FORMAT)
    here = Path(__file__).resolve().parent
    for path in sorted(here.rglob("*.py")) + _package_files("genanki", "apkg_*.py"):
        digest.update(f"\0{path.name}\0".encode() + path.read_bytes())
    for path in _package_files("yaml", "*"):
        digest.update(f"\0{path.name}:{path.stat().st_size}".encode())
    import sqlite3  # the packages are SQLite databases; its version shapes their bytes

    digest.update(f"\0{sys.version}\0{sqlite3.sqlite_version}\0{zlib.ZLIB_RUNTIME_VERSION}".encode())
    return digest.hexdigest()


def folder_digest(folder: Path) -> str:
    """Hash every file below a folder by relative name and bytes ("" when there is none)."""
    if not folder.is_dir():
        return ""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(f"\0{path.relative_to(folder).as_posix()}\0".encode() + (file_digest(path) or "-").encode())
    return digest.hexdigest()


def file_digest(path: Path) -> str | None:
    """Hash a file's bytes, or None when it cannot be read."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


# -- cards and problems as JSON ------------------------------------------------------------


@dataclass(frozen=True)
class _CardLayout:
    """Where Card's fields sit in a stored row, and which need more than JSON gives back."""

    names: tuple[str, ...]
    location: int
    string_tuples: tuple[int, ...]
    nested_tuples: tuple[int, ...]  # tuples of tuples, such as (name, text) pairs
    shared: tuple[int, ...]  # text repeated across a file's cards: stored once in memory


def _card_layout() -> _CardLayout | None:
    """Describe Card's fields for storage, or None when one cannot be stored as JSON."""
    if hasattr(Card, "__post_init__") or hasattr(Location, "__post_init__"):
        return None  # _decode_card fills fields directly: nothing may need to run on creation
    names, location, string_tuples, nested_tuples, shared = [], -1, [], [], []
    for index, field in enumerate(dataclasses.fields(Card)):
        kind = str(field.type).replace(" ", "")
        if not field.init:
            return None
        if kind == "Location":
            location = index
        elif kind.startswith("tuple[str"):
            string_tuples.append(index)
        elif kind.startswith("tuple[tuple["):
            nested_tuples.append(index)
        elif kind not in ("str", "bool", "int", "str|None", "CardKind"):
            return None  # a new kind of field: store nothing rather than guess
        if field.name in ("kind", "deck", "source", "tags"):
            shared.append(index)
        names.append(field.name)
    if location < 0:
        return None
    return _CardLayout(tuple(names), location, tuple(string_tuples), tuple(nested_tuples), tuple(shared))


_CARD_LAYOUT = _card_layout()


class _Unstorable(Exception):
    """A value the cache format cannot hold exactly."""


def _encode_card(card: Card, path: str, layout: _CardLayout) -> list:
    # A dataclass instance's __dict__ holds its fields in declaration order (layout.names);
    # JSON writes tuples, nested ones too, as arrays, so only the location needs converting.
    row = list(card.__dict__.values())
    location = card.location
    if location.path != path or len(row) != len(layout.names):
        raise _Unstorable(path)
    row[layout.location] = [location.line, location.col]
    return row


def _decode_card(row: list, path: str, layout: _CardLayout, seen: dict) -> Card:
    line, col = row[layout.location]
    # Filled in directly, as unpickling does: a frozen dataclass's __init__ costs three times
    # as much, and 100k cards come through here on every edit.
    location = _new(Location)
    location.__dict__.update(path=path, line=line, col=col)
    row[layout.location] = location
    for index in layout.string_tuples:
        row[index] = tuple(row[index])
    for index in layout.nested_tuples:
        row[index] = tuple(tuple(item) for item in row[index])
    for index in layout.shared:
        # The parser gives all cards of a file the same deck, source and tag objects; so do we,
        # which keeps 100k cached cards from holding 100k copies of each.
        row[index] = seen.setdefault(row[index], row[index])
    card = _new(Card)
    card.__dict__.update(zip(layout.names, row))
    return card


_new = object.__new__


def _encode_problem(problem: Problem) -> list:
    where = problem.location
    return [where.path, where.line, where.col, problem.code, problem.message, problem.severity]


def _decode_problem(row: list) -> Problem:
    path, line, col, code, message, severity = row
    return Problem(Location(path, line, col), code, message, severity)


def _record(key: bytes, value: object) -> bytes:
    """Frame one record holding `value` as deflated JSON."""
    return _framed(key, zlib.compress(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 1))


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


def _value(body: bytes) -> object:
    return json.loads(zlib.decompress(body))


def _entry_key(display: str, hashed: str) -> bytes:
    return f"{display}\0{hashed}".encode("utf-8")


@dataclass(frozen=True)
class PackageRecord:
    """A package the last build wrote, as its summary line needs it, and its hash."""

    filename: str
    deck: str
    decks: int
    notes: int
    cards: int
    digest: str
    inputs: str = ""  # the package's own inputs key, see BuildCache.package_inputs


@dataclass(frozen=True)
class Unchanged:
    """What the last build wrote, when a rebuild would write exactly the same."""

    packages: tuple[PackageRecord, ...]
    problems: tuple[Problem, ...]


class BuildCache:
    """The cache as read at the start of a build, and the next one as the build fills it."""

    def __init__(
        self, path: Path, sources: list[SourceFile], digest: str = "", header: dict | None = None,
        records: dict[bytes, bytes] | None = None, project: str = "",
    ) -> None:
        self.path = path
        self.project = project  # a hash of the project's other inputs (its notetypes/ folder)
        self.hashes = {source.display: text_hash(source.text) for source in sources}
        self.digest = digest  # of the file as read, to leave it alone when nothing changed
        self.header = header or {}
        self.records = records or {}  # key -> deflated JSON body
        self.results: dict[str, bytes | None] = {}  # source display path -> record for the next cache

    @classmethod
    def load(cls, out_dir: Path, sources: list[SourceFile], project: str = "") -> BuildCache:
        """Read the cache in `out_dir` for a build of `sources`; anything unusable reads as empty.

        `project` hashes the other project files every package depends on (notetypes/).
        """
        path = out_dir / CACHE_NAME
        try:
            raw = path.read_bytes()
        except OSError:
            return cls(path, sources, project=project)
        records = _records(raw)
        try:
            header = _value(records[_HEADER_KEY]) if _HEADER_KEY in records else {}
        except (ValueError, zlib.error):
            header = {}
        digest = hashlib.sha256(raw).hexdigest()
        if not isinstance(header, dict) or header.get("code") != code_fingerprint():
            return cls(path, sources, digest, project=project)
        return cls(path, sources, digest, header, records, project)

    def _base_key(self, lock_text: str | None) -> hashlib._Hash:
        digest = hashlib.sha256(code_fingerprint().encode())
        # The note types as loaded, not only as written in notetypes.py: their text goes into
        # every package, and a caller may restyle them.
        digest.update(repr(sorted(NOTETYPES.items())).encode())
        digest.update(("\0lock\0" + ("absent" if lock_text is None else text_hash(lock_text))).encode())
        digest.update(f"\0project\0{self.project}".encode())
        return digest

    def inputs_key(self, lock_display: str, lock_text: str | None) -> str:
        """Hash everything a build reads: card files by path and text, the lock file, deckgen."""
        digest = self._base_key(lock_text)
        digest.update(f"\0{lock_display}".encode())
        for display, hashed in sorted(self.hashes.items()):
            digest.update(f"\0{display}\0{hashed}".encode())
        return digest.hexdigest()

    def package_inputs(self, displays: Iterable[str], lock_text: str | None) -> str:
        """Hash what one package is made from: its card files, the lock file and deckgen.

        Cards from other files cannot change a package, and while the lock file is the one
        the last build wrote, every card in these files stamps as it did then.
        """
        digest = self._base_key(lock_text)
        for display in sorted(displays):
            digest.update(f"\0{display}\0{self.hashes[display]}".encode())
        return digest.hexdigest()

    def record_for(self, filename: str, inputs: str, out_dir: Path) -> PackageRecord | None:
        """Return the last build's record of a package made from the same inputs, if it is intact."""
        try:
            found = [PackageRecord(*row) for row in self.header["packages"] if row[0] == filename]
        except (KeyError, TypeError, IndexError):
            return None
        if len(found) != 1 or found[0].inputs != inputs:
            return None
        return found[0] if file_digest(out_dir / filename) == found[0].digest else None

    def unchanged(self, inputs: str, out_dir: Path) -> Unchanged | None:
        """Return the last build's outputs if the inputs are the same and the outputs intact."""
        try:
            if self.header["inputs"] != inputs:
                return None
            packages = tuple(PackageRecord(*row) for row in self.header["packages"])
            problems = tuple(_decode_problem(row) for row in self.header["problems"])
        except (KeyError, TypeError, ValueError):
            return None
        if any(file_digest(out_dir / p.filename) != p.digest for p in packages):
            return None
        return Unchanged(packages, problems)

    def reader(self, fallback: ReadFile) -> ReadFile:
        """Wrap a parse-and-validate function so unchanged files come from the cache."""

        def read(source: SourceFile) -> tuple[FileCards | None, list[Problem]]:
            key = _entry_key(source.display, self.hashes[source.display])
            found = self._cached(key, source.display)
            if found is not None:
                self.results[source.display] = _framed(key, self.records[key])
                return found
            cards, problems = fallback(source)
            self.results[source.display] = self._entry(key, source.display, cards, problems)
            return cards, problems

        return read

    def _cached(self, key: bytes, display: str) -> tuple[FileCards | None, list[Problem]] | None:
        body = self.records.get(key)
        if body is None or _CARD_LAYOUT is None:
            return None
        from deckgen.validate import FileCards

        seen: dict = {}
        try:
            rows, problems = _value(body)
            cards = None if rows is None else FileCards(
                display, tuple(_decode_card(row, display, _CARD_LAYOUT, seen) for row in rows)
            )
            return cards, [_decode_problem(row) for row in problems]
        except (ValueError, TypeError, zlib.error):
            return None

    def _entry(self, key: bytes, display: str, cards: FileCards | None, problems: list[Problem]) -> bytes | None:
        if _CARD_LAYOUT is None or b"\n" in key or b"\t" in key:
            return None
        try:
            rows = None if cards is None else [_encode_card(card, display, _CARD_LAYOUT) for card in cards.cards]
            return _record(key, [rows, [_encode_problem(p) for p in problems]])
        except (_Unstorable, TypeError, ValueError):
            return None

    def media_intact(self) -> bool:
        """Tell whether every media file the last build looked for is as it was then.

        Media are not in the keys (which files a card names is known only after parsing it),
        so any change to one makes this build compile everything.
        """
        media = self.header.get("media", {})
        if not isinstance(media, dict):
            return False
        return all(file_digest(Path(path)) == digest for path, digest in media.items())

    def contents(
        self, inputs: str, packages: list[PackageRecord], problems: list[Problem], media: dict[str, str | None]
    ) -> bytes:
        """Return the cache file a successful build leaves for the next one."""
        header = {
            "code": code_fingerprint(),
            "inputs": inputs,
            "media": media,
            "packages": [dataclasses.astuple(p) for p in sorted(packages, key=lambda p: p.filename)],
            "problems": [_encode_problem(p) for p in problems],
        }
        entries = [record for _, record in sorted(self.results.items()) if record is not None]
        return b"".join([_FORMAT, b"\n", _record(_HEADER_KEY, header), *entries])

    def changed(self, contents: bytes) -> bool:
        """Tell whether `contents` differs from the cache file as it was read."""
        return hashlib.sha256(contents).hexdigest() != self.digest

