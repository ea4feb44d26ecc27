"""Assertions about files the app stored: only the server's user may read them."""

from __future__ import annotations

import stat
from pathlib import Path

from crm_app.services import storage


def assert_private(key: str | None) -> Path:
    """``key``'s file is 0600 and every directory from the storage root down to it 0700."""
    assert key, "nothing was stored"
    path = storage.path_for(key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600, f"{oct(path.stat().st_mode)} {key}"
    root = storage.root()
    for directory in (root, *(p for p in path.parents if root in p.parents)):
        mode = stat.S_IMODE(directory.stat().st_mode)
        assert mode == 0o700, f"{oct(mode)} {directory}"
    return path
