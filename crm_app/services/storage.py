"""Private file storage under ``STORAGE_DIR``: generated keys, atomic writes.

Bytes are written to a temporary file, fsynced and renamed into place, so a
key either names a complete file or nothing. Keys are generated here, never
taken from user input, and are resolved only inside the storage root.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from crm_app.settings import get_settings


def root() -> Path:
    """The storage directory (created on first use)."""
    path = get_settings().storage_dir.resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


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


def write_atomic(key: str, chunks: Iterable[bytes]) -> int:
    """Write ``chunks`` to ``key`` atomically (temp file, fsync, rename); returns the size."""
    target = path_for(key)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    size = 0
    try:
        with temporary.open("wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
                size += len(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        _fsync_dir(target.parent)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return size


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
