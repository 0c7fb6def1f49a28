"""Open an untrusted Anki package (.apkg) safely: the only module that imports zstandard.

A package is a zip holding a collection (an SQLite file, zstd-compressed in the current
format), a media list and numbered media files (zstd-compressed too, in that format).
Nothing in it is trusted: entry sizes and compression ratios are checked before reading,
decompressed sizes while reading, media names before they become file names, and files
are written only into the folders the caller names.
"""

from __future__ import annotations

import json
import os
import stat
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

from deckgen.errors import DeckgenError, MissingExtra
from deckgen.names import media_name_problem

LATEST = 3  # Anki's package versions: 1 = collection.anki2, 2 = collection.anki21, 3 = anki21b
_COLLECTIONS = {1: "collection.anki2", 2: "collection.anki21", LATEST: "collection.anki21b"}
_CHUNK = 1 << 20


class PackageError(DeckgenError):
    """A package that cannot be imported; the message says why, for people."""


# What zipfile raises for a damaged entry (a bad header, an unknown compression method, a cut file).
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError)


@contextmanager
def _opened(archive: zipfile.ZipFile, entry: zipfile.ZipInfo | str, what: str) -> Iterator[IO[bytes]]:
    """Open one entry for reading; a damaged one is a PackageError, never a traceback."""
    try:
        source = archive.open(entry)
    except _DAMAGED as exc:
        raise PackageError(f"{what} in the package is damaged ({exc})") from None
    with source:
        yield source


@dataclass(frozen=True)
class Limits:
    """How big a package's parts may be once unpacked (guards against zip and zstd bombs)."""

    collection_bytes: int = 2 << 30
    media_file_bytes: int = 256 << 20
    media_total_bytes: int = 8 << 30
    entries: int = 200_000
    # Deflate rarely shrinks real files 1000-fold; bombs do. Small entries are not worth checking.
    max_ratio: int = 1000
    ratio_from_bytes: int = 1 << 20


@dataclass(frozen=True)
class Layout:
    """Where a package keeps its collection and media, as read from its zip directory."""

    version: int
    collection_entry: str
    media: tuple[tuple[str, str], ...]  # (zip entry, media file name), in package order

    @property
    def compressed(self) -> bool:
        """Tell whether entries are zstd-compressed inside the zip (the current format)."""
        return self.version == LATEST


def open_package(path: Path) -> zipfile.ZipFile:
    """Open a package's zip directory, or say it is not a package (only a regular file can be one)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise PackageError(f"{path.name} is not a file (a folder, pipe or device cannot be a package)")
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise PackageError(f"{path.name} is not an Anki package (not a zip file)") from None
    except OSError as exc:
        raise PackageError(f"cannot read {path.name}: {exc.strerror or exc}") from None


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise PackageError("the package's index is damaged")
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if not byte & 0x80:
            return value, pos


def _protobuf_fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """Split protobuf bytes into (field number, value); enough for Anki's two small messages."""
    fields: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        tag, pos = _varint(data, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            fields.append((number, value))
        elif wire == 2:
            size, pos = _varint(data, pos)
            if pos + size > len(data):
                raise PackageError("the package's index is damaged")
            fields.append((number, data[pos : pos + size]))
            pos += size
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:
            raise PackageError("the package's index is damaged")
    return fields


def _entry(archive: zipfile.ZipFile, name: str) -> zipfile.ZipInfo | None:
    try:
        return archive.getinfo(name)
    except KeyError:
        return None


def _check_entry(info: zipfile.ZipInfo, limit: int, what: str, limits: Limits) -> None:
    """Refuse an entry that is encrypted, or whose declared size or compression ratio is out of bounds."""
    if info.flag_bits & 0x1:
        raise PackageError(f"{what} is encrypted; Anki packages never are")
    if info.file_size > limit:
        raise PackageError(f"{what} is {info.file_size:,} bytes unpacked, more than the {limit:,} allowed")
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > limits.ratio_from_bytes and ratio > limits.max_ratio:
        raise PackageError(f"{what} expands {ratio:,.0f}-fold when unpacked; refusing what looks like a zip bomb")


def _read_small(archive: zipfile.ZipFile, info: zipfile.ZipInfo, compressed: bool, limits: Limits) -> bytes:
    """Read a small index entry (meta, media list) into memory, within the per-file limit."""
    _check_entry(info, limits.media_file_bytes, f"'{info.filename}'", limits)
    with _opened(archive, info, f"'{info.filename}'") as source:
        return _unpack(source, compressed, limits.media_file_bytes, f"'{info.filename}'")


def _unpack(source: IO[bytes], compressed: bool, limit: int, what: str, sink: IO[bytes] | None = None) -> bytes:
    """Copy an entry (zstd-decoding it when compressed) to sink, or return it, within a limit."""
    try:
        import zstandard  # only package reading needs it
    except ImportError:
        raise MissingExtra("reading Anki packages", "import") from None

    parts: list[bytes] = []
    total = 0
    try:
        reader = zstandard.ZstdDecompressor().stream_reader(source) if compressed else source
        while chunk := reader.read(_CHUNK):
            total += len(chunk)
            if total > limit:
                raise PackageError(f"{what} unpacks to more than the {limit:,} bytes allowed")
            if sink is None:
                parts.append(chunk)
            else:
                sink.write(chunk)
    except (*_DAMAGED, zstandard.ZstdError) as exc:
        raise PackageError(f"{what} in the package is damaged ({exc})") from None
    return b"".join(parts)


def _version(archive: zipfile.ZipFile, limits: Limits) -> int:
    meta = _entry(archive, "meta")
    if meta is None:
        return 2 if _entry(archive, "collection.anki21") else 1
    fields = dict(_protobuf_fields(_read_small(archive, meta, False, limits)))
    version = fields.get(1, 0)
    if version not in _COLLECTIONS:
        raise PackageError("the package was made by a newer Anki in a format this deckgen cannot read; "
                           "export it from Anki with 'Support older Anki versions' ticked")
    return int(version)


def _media_list(archive: zipfile.ZipFile, version: int, limits: Limits) -> list[tuple[str, str]]:
    info = _entry(archive, "media")
    if info is None:
        return []
    data = _read_small(archive, info, version == LATEST, limits)
    if version == LATEST:
        entries = []
        for index, (_, value) in enumerate(f for f in _protobuf_fields(data) if f[0] == 1):
            fields = _protobuf_fields(value) if isinstance(value, bytes) else []
            name = next((v for n, v in fields if n == 1 and isinstance(v, bytes)), b"")
            zip_name = next((v for n, v in fields if n == 255 and isinstance(v, int)), index)
            entries.append((str(zip_name), name.decode("utf-8", "replace")))
        return entries
    try:
        mapping = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise PackageError("the package's media list is damaged") from None
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise PackageError("the package's media list is damaged")
    return sorted(((str(k), v) for k, v in mapping.items()), key=lambda kv: (len(kv[0]), kv[0]))


def read_layout(archive: zipfile.ZipFile, limits: Limits) -> Layout:
    """Find the collection and media of a package and check every name and size first."""
    infos = archive.infolist()
    if len(infos) > limits.entries:
        raise PackageError(f"the package has {len(infos):,} entries, more than the {limits.entries:,} allowed")
    version = _version(archive, limits)
    collection = _COLLECTIONS[version]
    info = _entry(archive, collection)
    if info is None:
        raise PackageError("the package holds no Anki collection (is it an Anki package?)")
    _check_entry(info, limits.collection_bytes, "the collection", limits)
    media = _media_list(archive, version, limits)
    seen: set[str] = set()
    total = 0
    for zip_name, name in media:
        problem = media_name_problem(name)
        if problem:
            raise PackageError(f"media file name {name!r} {problem}; refusing a package that could write outside its folder")
        if name in seen:
            raise PackageError(f"media file name {name!r} appears twice in the package")
        seen.add(name)
        entry = _entry(archive, zip_name)
        if entry is None:
            raise PackageError(f"media file {name!r} is listed but missing from the package")
        _check_entry(entry, limits.media_file_bytes, f"media file {name!r}", limits)
        total += entry.file_size
        if total > limits.media_total_bytes:
            raise PackageError(f"the package's media add up to more than the {limits.media_total_bytes:,} bytes allowed")
    return Layout(version, collection, tuple(media))


def extract_collection(archive: zipfile.ZipFile, layout: Layout, target: Path, limits: Limits) -> None:
    """Write the package's collection, unpacked, to target."""
    with _opened(archive, layout.collection_entry, "the collection") as source, open(target, "wb") as sink:
        _unpack(source, layout.compressed, limits.collection_bytes, "the collection", sink)


def extract_media(archive: zipfile.ZipFile, layout: Layout, folder: Path, limits: Limits) -> tuple[str, ...]:
    """Write each media file under its (checked) name into folder; return the names."""
    total = 0
    for zip_name, name in layout.media:
        target = folder / name
        if target.parent != folder:  # checked names never do this; refuse rather than trust it
            raise PackageError(f"media file name {name!r} leaves its folder")
        with _opened(archive, zip_name, f"media file {name!r}") as source, open(target, "wb") as sink:
            _unpack(source, layout.compressed, limits.media_file_bytes, f"media file {name!r}", sink)
            total += sink.tell()
        if total > limits.media_total_bytes:
            raise PackageError(f"the package's media add up to more than the {limits.media_total_bytes:,} bytes allowed")
    return tuple(name for _, name in layout.media)
