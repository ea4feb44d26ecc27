"""Headers for files sent to the browser."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

EXPORT_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_BYTES = {"schema": {"type": "string", "format": "binary"}}
_DISPOSITION = {"Content-Disposition": {"schema": {"type": "string"}}}


def file_answer(*media_types: str, description: str = "the file's bytes") -> dict[int | str, Any]:
    """The OpenAPI ``responses`` of a download route: its bytes in these media types."""
    content = {media.split(";")[0]: _BYTES for media in media_types}
    return {200: {"description": description, "content": content, "headers": _DISPOSITION}}


_NOT_ASCII_SAFE = re.compile(r"[^A-Za-z0-9._ -]")


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """``attachment; filename="…"; filename*=UTF-8''…`` so Hebrew names survive."""
    fallback = _NOT_ASCII_SAFE.sub("_", filename) or "download"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download_headers(filename: str, *, inline: bool = False) -> dict[str, str]:
    """Disposition plus the headers every private download carries."""
    return {
        "Content-Disposition": content_disposition(filename, inline=inline),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }
