"""A stored attachment as the page shows it: a chip with name, size and how it opens.

Shared by the Notes and Files tabs and the activity timeline (pure functions).
"""

from __future__ import annotations

from dataclasses import dataclass

from crm_app.i18n.formats import file_size
from crm_app.services import attachments


@dataclass(frozen=True)
class FileChip:
    """An attachment as a chip: name, size, how to open it."""

    id: str
    name: str
    size: str
    type: str
    opens: str  # image, audio, pdf or download
    icon: str
    url: str


def _opens(kind: str) -> str:
    if kind.startswith("image/") and attachments.is_inline_safe(kind):
        return "image"
    if kind.startswith("audio/"):
        return "audio"
    return "pdf" if kind == "application/pdf" else "download"


def chip_fields(attachment: attachments.Attachment) -> dict[str, str]:
    """The chip's fields of a stored attachment (its URL is the private file route)."""
    opens = _opens(attachment["content_type"])
    return {
        "id": attachment["id"],
        "name": attachment["name"],
        "size": file_size(attachment["size"]),
        "type": attachment["content_type"],
        "opens": opens,
        "icon": {"image": "image", "audio": "file-audio", "pdf": "file-text"}.get(opens, "file"),
        "url": f"/api/v1/files/{attachment['id']}",
    }


def file_view(attachment: attachments.Attachment) -> FileChip:
    """An attachment as a chip."""
    return FileChip(**chip_fields(attachment))
