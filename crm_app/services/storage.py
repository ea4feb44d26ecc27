"""Private file storage under ``STORAGE_DIR``: generated keys, atomic writes.

Bytes are written to a temporary file, fsynced and renamed into place, so a
key either names a complete file or nothing. Keys are generated here, never
taken from user input, and are resolved only inside the storage root.

Everything stored is private to the server's user: files are created 0600 and
directories 0700 (an existing root with wider permissions is tightened), so
notes' files, recordings and exports are not readable by other local users.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from crm_app.settings import get_settings

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) as 0700, or tighten it to 0700."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o777 != DIR_MODE:
        path.chmod(DIR_MODE)
    return path


def root() -> Path:
    """The storage directory (created 0700 on first use)."""
    return private_dir(get_settings().storage_dir.resolve())


def new_key(area: str, suffix: str = "") -> str:
    """A fresh, unguessable key such as ``notes/ab/ab12….bin``."""
    token = secrets.token_hex(16)
    return f"{area}/{token[:2]}/{token}{suffix}"


def path_for(key: str) -> Path:
    """The file behind ``key``; a key that escapes the root is refused."""
    base = root()
    path = (base / key).resolve()
    if base not in path.parents:
        raise ValueError(f"storage key outside the storage root: {key!r}")
    return path


@contextlib.contextmanager
def atomic_writer(key: str) -> Iterator[BinaryIO]:
    """A handle whose bytes become ``key`` (0600) only when the block ends without error.

    The bytes go to a temporary file beside the target, are fsynced and renamed
    into place; on any exception the temporary file is removed and ``key``
    names nothing.
    """
    target = path_for(key)
    _private_parents(target)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        _fsync_dir(target.parent)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_atomic(key: str, chunks: Iterable[bytes]) -> int:
    """Write ``chunks`` to ``key`` atomically (temp file, fsync, rename); returns the size."""
    size = 0
    with atomic_writer(key) as handle:
        for chunk in chunks:
            handle.write(chunk)
            size += len(chunk)
    return size


def _private_parents(target: Path) -> None:
    base = root()
    for directory in reversed(target.parents):
        if directory == base or base in directory.parents:
            private_dir(directory)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def delete(key: str | None) -> None:
    """Remove the file behind ``key`` if it exists."""
    if key:
        path_for(key).unlink(missing_ok=True)


def exists(key: str) -> bool:
    """Whether ``key`` names a stored file."""
    return path_for(key).is_file()
