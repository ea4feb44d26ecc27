"""Note attachments: safe names, type from the bytes, limits, atomic storage.

An attachment is a dict in ``note.attachments`` (and nowhere else):
``{id, name, size, content_type, sha256, key, uploaded_by, uploaded_at}``.
Bytes are stored under a generated key before the database commit; the
:func:`written_files` guard removes them again if that commit fails.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import unicodedata
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import puremagic

from crm_app.models import utcnow
from crm_app.services import storage
from crm_app.services.errors import Conflict, InvalidInput, PayloadTooLarge
from crm_app.settings import get_settings

Attachment = dict[str, Any]
MAX_NAME = 150
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Types a browser may show inline without running anything of the file's.
INLINE_SAFE = re.compile(
    r"^(image/(png|jpeg|gif|webp|bmp)|application/pdf|audio/.+|video/.+|text/plain)$"
)
EXECUTABLE_TYPES = frozenset(
    {
        "application/x-dosexec",
        "application/x-msdownload",
        "application/x-executable",
        "application/x-elf",
        "application/x-sharedlib",
        "application/x-mach-binary",
        "application/x-sh",
        "application/x-shellscript",
        "application/java-archive",
        "application/vnd.microsoft.portable-executable",
        "application/x-msi",
    }
)


def safe_name(raw: str | None) -> str:
    """A display name: no folders, NUL or control characters, at most 150 characters.

    ``../../etc/passwd`` becomes ``passwd``; the stored key never uses it.
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = _CONTROL.sub("", name).replace("\\", "/").split("/")[-1]
    name = " ".join(name.split()).strip(". ")
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:12] if dot and 0 < len(ext) <= 12 else ""
        name = (stem if ext else name)[: MAX_NAME - len(ext) - 1].rstrip() + (
            "." + ext if ext else ""
        )
    return name or "file"


def extension(name: str) -> str:
    """The lower-case extension of ``name`` without the dot."""
    return name.rpartition(".")[2].lower() if "." in name else ""


_EXECUTABLE_MAGIC = (
    (b"MZ", "application/x-dosexec"),
    (b"\x7fELF", "application/x-executable"),
    (b"\xfe\xed\xfa\xce", "application/x-mach-binary"),
    (b"\xfe\xed\xfa\xcf", "application/x-mach-binary"),
    (b"\xce\xfa\xed\xfe", "application/x-mach-binary"),
    (b"\xcf\xfa\xed\xfe", "application/x-mach-binary"),
    (b"#!", "application/x-shellscript"),
)


def detect_type(head: bytes, name: str) -> str:
    """The content type from the file's first bytes; the name is only a fallback for text."""
    for magic, content_type in _EXECUTABLE_MAGIC:
        if head.startswith(magic):
            return content_type
    markup = _markup_type(head)
    if markup:
        return markup
    try:
        found = puremagic.from_string(head, mime=True) if head else ""
    except (puremagic.PureError, ValueError):
        found = ""
    if found:
        return str(found)
    if not _looks_like_text(head):
        return "application/octet-stream"
    return mimetypes.guess_type(name)[0] or "text/plain"


def _markup_type(head: bytes) -> str:
    """HTML and SVG, whatever the file is called (a browser would sniff them)."""
    start = head[:1024].lstrip().lower()
    if start.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script")):
        return "text/html"
    if b"<svg" in start:
        return "image/svg+xml"
    return ""


def _looks_like_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in head


def check_allowed(name: str, content_type: str) -> None:
    """Refuse executables by extension or by their bytes."""
    denied = get_settings().denied_extensions
    if extension(name) in denied or content_type in EXECUTABLE_TYPES:
        raise InvalidInput(
            f"files of this type are not allowed: {name}", field="files", key="errors.file_type"
        )


def check_count(existing: int, adding: int) -> None:
    """At most ``MAX_FILES_PER_NOTE`` files on one note.

    Raises:
        InvalidInput: more files are sent at once than a note may have.
        Conflict: with the files the note already has, there would be too many.
    """
    limit = get_settings().max_files_per_note
    message = f"a note may have at most {limit} files"
    if adding > limit:
        raise InvalidInput(message, field="files", key="errors.too_many_files")
    if existing + adding > limit:
        raise Conflict(message, key="errors.too_many_files")


def _limited(chunks: Iterable[bytes], limit: int, digest: Any, head: bytearray) -> Iterator[bytes]:
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(
                f"the file is larger than {limit // (1024 * 1024)} MB", key="errors.file_too_large"
            )
        digest.update(chunk)
        if len(head) < 4096:
            head.extend(chunk[: 4096 - len(head)])
        yield chunk


def store(chunks: Iterable[bytes], *, raw_name: str | None, uploaded_by: int) -> Attachment:
    """Write one upload to storage and describe it; refused files leave nothing behind.

    Raises:
        PayloadTooLarge: over ``MAX_UPLOAD_MB`` (nothing is stored).
        InvalidInput: an executable (nothing is stored).
    """
    name = safe_name(raw_name)
    key = storage.new_key("notes", ".bin")
    digest, head = hashlib.sha256(), bytearray()
    size = storage.write_atomic(
        key, _limited(chunks, get_settings().max_upload_bytes, digest, head)
    )
    content_type = detect_type(bytes(head), name)
    try:
        check_allowed(name, content_type)
    except InvalidInput:
        storage.delete(key)
        raise
    return {
        "id": uuid.uuid4().hex,
        "name": name,
        "size": size,
        "content_type": content_type,
        "sha256": digest.hexdigest(),
        "key": key,
        "uploaded_by": uploaded_by,
        "uploaded_at": utcnow().isoformat(),
    }


@contextmanager
def written_files() -> Iterator[list[Attachment]]:
    """Collect attachments written in a block; delete their bytes if the block fails.

    Use it outside the unit of work, so that a failed commit removes the files:
    ``with written_files() as files, unit_of_work() as session: ...``.
    """
    files: list[Attachment] = []
    try:
        yield files
    except BaseException:
        for attachment in files:
            storage.delete(attachment.get("key"))
        raise


def is_inline_safe(content_type: str) -> bool:
    """Whether a browser may display this type itself (never HTML, SVG or scripts)."""
    return bool(INLINE_SAFE.match(content_type))


def public(attachment: Attachment) -> dict[str, Any]:
    """What clients see of an attachment (no storage key)."""
    return {
        k: attachment[k]
        for k in ("id", "name", "size", "content_type", "sha256", "uploaded_by", "uploaded_at")
    }
