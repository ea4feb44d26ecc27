r"""Where a sign-in may send the visitor next: one rule for the server and the UI.

A ``next`` taken from a URL is an open redirect unless it is a path of this
site. Browsers read ``\`` as ``/`` and drop tabs and newlines, so
``/\evil.example`` and ``/<TAB>/evil.example`` both mean ``//evil.example``: a
target is kept only when it starts with a single ``/`` and has no backslash,
no ``//``, no control character and no scheme or host.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

DEFAULT_NEXT = "/leads"


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in text)


def is_safe_next(target: str | None) -> bool:
    """Whether ``target`` is a same-site path a redirect may go to."""
    if not target or not target.startswith("/") or "//" in target or "\\" in target:
        return False
    if _has_control(target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None) -> str:
    """``target`` when it is a safe path other than the sign-in page, else ``/leads``."""
    if not is_safe_next(target) or (target or "").startswith("/login"):
        return DEFAULT_NEXT
    assert target is not None
    return target
