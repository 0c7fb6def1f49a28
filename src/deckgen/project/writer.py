"""The output edge: write several files so that either all of them change or none does.

Each file is first written in full to a temporary name beside its target. Only when every
one is written are they renamed into place, one by one, each replaced file kept aside under a
backup name until the last rename succeeded. If anything fails on the way, the renamed files
are put back from their backups and the temporary files removed: every output is as it was.
Temporary and backup files left by a run that was killed are removed by the next one.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Mapping, Union

from deckgen.errors import WriteError
from deckgen.project.paths import display_path

# What a file is written from: its bytes, or pieces of them in order (never joined in memory).
Content = Union[bytes, tuple[bytes, ...]]

_SUFFIX = ".deckgen-tmp"
# Ours, and the `.name.PID.tmp` files that earlier versions wrote (a killed build left them behind).
_OURS = re.compile(rf"\.(.+)\.(\d+)\.(?:(?:new|old){re.escape(_SUFFIX)}|tmp)\Z")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, owned by someone else
    return True


def _clean_stale(folder: Path) -> None:
    """Remove temporary files a killed run left in a folder (never another live run's)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        match = _OURS.match(entry.name)
        if match and not _alive(int(match.group(2))):
            try:
                os.unlink(entry.path)
            except OSError:
                pass


def _temp(target: Path, role: str) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.{role}{_SUFFIX}")


def _keep(target: Path, backup: Path) -> None:
    """Keep the file a target holds now under a backup name (a hard link where the file system allows)."""
    try:
        os.link(target, backup)
    except OSError:
        shutil.copyfile(target, backup)


def _failure(target: Path, exc: OSError) -> WriteError:
    reason = exc.strerror or str(exc)
    return WriteError(f"cannot write {display_path(target)}: {reason}; nothing was changed", target)


def _name_max(folder: Path) -> int:
    """The longest file name, in bytes, the file system holding `folder` (or its nearest parent) takes."""
    for candidate in (folder, *folder.parents):
        try:
            return os.pathconf(candidate, "PC_NAME_MAX") if candidate.is_dir() else 255
        except (OSError, ValueError, AttributeError):  # no pathconf on Windows: 255 there too
            continue
    return 255


def unwritable(target: Path) -> str | None:
    """Say why a file cannot be written at `target` (its temporary name included), or None.

    The one rule both a build and `check` apply before anything is written.
    """
    try:
        return _unwritable(target)
    except OSError as exc:  # a name too long to even look up, say
        return exc.strerror or str(exc)


def _unwritable(target: Path) -> str | None:
    longest = max(len(os.fsencode(name)) for name in (target.name, _temp(target, "new").name))
    if longest > 255:  # no file system takes it; looking it up would fail
        return "the file name is too long for the file system"
    if target.is_symlink():
        return "it is a link"
    if target.exists() and not target.is_file():
        return "it is a folder" if target.is_dir() else "it is not a regular file"
    folder = target.parent
    existing = next((f for f in (folder, *folder.parents) if f.exists() or f.is_symlink()), None)
    if existing is not None and not existing.is_dir():
        return f"{display_path(existing)} is not a folder"
    longest = max(len(os.fsencode(name)) for name in (target.name, _temp(target, "new").name))
    if longest > _name_max(folder):
        return "the file name is too long for the file system"
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        return f"no permission to write in {display_path(existing)}"
    return None


def _remove_temporaries(written: list[tuple[Path, Path]]) -> None:
    for temp, _ in written:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass


def write_files(files: Mapping[Path, Content], *, exclusive: bool = False) -> None:
    """Write every file, or none: on any failure, raise WriteError with every target as it was.

    A file's content is its bytes, or pieces of them written one after another. With
    `exclusive`, a target that already exists is an error (nothing is ever replaced).
    """
    if not files:
        return
    for target in files:
        reason = unwritable(target)
        if reason is not None:
            raise WriteError(f"cannot write {display_path(target)}: {reason}; nothing was changed", target)
        if exclusive and target.exists():
            raise WriteError(f"{display_path(target)} already exists; nothing was changed", target)
    written: list[tuple[Path, Path]] = []  # (temporary file, target)
    placed: list[tuple[Path, Path | None]] = []  # (target, backup of what it replaced)
    made: list[Path] = []  # folders this call created, removed again on failure
    try:
        for folder in dict.fromkeys(target.parent for target in files):
            made += reversed([f for f in (folder, *folder.parents) if not (f.exists() or f.is_symlink())])
            folder.mkdir(parents=True, exist_ok=True)
            _clean_stale(folder)
        for target, data in files.items():
            temp = _temp(target, "new")
            written.append((temp, target))
            try:
                with open(temp, "xb") as handle:
                    if isinstance(data, bytes):
                        handle.write(data)
                    else:
                        handle.writelines(data)
                    handle.flush()
                    os.fsync(handle.fileno())
            except OSError as exc:
                raise _failure(target, exc) from None
        for temp, target in written:
            backup = None
            try:
                if target.exists():
                    backup = _temp(target, "old")
                    _keep(target, backup)
                if exclusive:
                    os.link(temp, target)  # fails if the target appeared meanwhile
                    os.unlink(temp)
                else:
                    os.replace(temp, target)
            except OSError as exc:
                if backup is not None and backup.exists():
                    os.unlink(backup)
                raise _failure(target, exc) from None
            placed.append((target, backup))
    except BaseException:
        for target, backup in reversed(placed):
            try:
                if backup is not None:
                    os.replace(backup, target)
                else:
                    os.unlink(target)
            except OSError:
                pass
        _remove_temporaries(written)
        for folder in reversed(made):
            try:
                folder.rmdir()
            except OSError:
                pass  # not empty: something else was put there meanwhile
        raise
    _remove_temporaries(written)
    for _, backup in placed:
        if backup is not None:
            try:
                os.unlink(backup)
            except OSError:
                pass
