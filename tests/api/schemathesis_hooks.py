"""Schemathesis hooks for ``tests/api/test_schemathesis.py`` (through ``SCHEMATHESIS_HOOKS``).

Each generated request is sent as one of two businesses (``CRM_ST_TOKENS``), and
ids in its path are often replaced by real ids of either (``CRM_ST_IDS``): the
other business's must be 404s. The document's own formats (``cursor``,
``audit-cursor``, ``phone``) are taught to the generator: a valid cursor is one
the server encodes, a valid phone one that is a real number.
"""

from __future__ import annotations

import json
import os
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import schemathesis
from hypothesis import strategies as st

from crm_app.services.lead_query import Cursor

TOKENS: list[str] = os.environ.get("CRM_ST_TOKENS", "").split(",")
IDS: dict[str, list[int]] = json.loads(os.environ.get("CRM_ST_IDS", "{}"))
KEEP: dict[str, list[int]] = json.loads(os.environ.get("CRM_ST_KEEP", "{}"))
ATTACHMENTS = [a for a in os.environ.get("CRM_ST_ATTACHMENTS", "").split(",") if a]

_STAMPS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
_IDS = st.integers(min_value=1, max_value=2**63 - 1)
_TEXT = st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=20)
_POSITIONS = st.one_of(
    st.tuples(st.sampled_from(["created_at", "updated_at"]), _STAMPS),
    st.tuples(st.sampled_from(["name", "source"]), _TEXT),
    st.tuples(st.just("status"), st.integers(min_value=-(2**31), max_value=2**31 - 1)),
)
CURSORS = st.builds(
    lambda position, row, before: Cursor(position[1], row, before, position[0]).encode(),
    _POSITIONS,
    _IDS,
    st.booleans(),
)
schemathesis.openapi.format("cursor", CURSORS)
AUDIT_CURSORS = st.builds(lambda stamp, row: f"{stamp.isoformat()}|{row}", _STAMPS, _IDS)
schemathesis.openapi.format("audit-cursor", AUDIT_CURSORS)
PHONES = st.integers(min_value=0, max_value=9_999_999).map(lambda n: f"+97254{n:07d}")
schemathesis.openapi.format("phone", PHONES)


def _chooser(case: schemathesis.Case) -> random.Random:
    return random.Random(repr((case.method, case.path, case.path_parameters, case.query)))


@schemathesis.auth()
class TwoBusinesses:
    """The API token of one of the two businesses, chosen per request."""

    def get(self, case: schemathesis.Case, ctx: schemathesis.AuthContext) -> str:
        """The token this case is sent with."""
        return _chooser(case).choice(TOKENS)

    def set(self, case: schemathesis.Case, data: str, ctx: schemathesis.AuthContext) -> None:
        """Send it as a bearer token."""
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schemathesis.hook
def map_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any]
) -> dict[str, Any]:
    """Often a real id of either business (the other's must be a 404)."""
    if not path_parameters:
        return path_parameters
    chooser = random.Random(repr(sorted(path_parameters.items())))
    for name in list(path_parameters):
        known = ATTACHMENTS if name == "attachment_id" else IDS.get(name)
        if known and chooser.random() < 0.5:
            path_parameters[name] = chooser.choice(known)
    return path_parameters


def _ordered_hours(hours: dict[str, Any]) -> dict[str, Any]:
    """A day's valid ranges: each ``[start, end]`` with start < end, none overlapping."""
    fixed: dict[str, Any] = {}
    for day, ranges in hours.items():
        ends = sorted({t for pair in ranges for t in pair})
        fixed[day] = [[a, b] for a, b in zip(ends[::2], ends[1::2], strict=False) if a < b]
    return fixed


def _once_each(collect: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({field.get("key"): field for field in collect}.values())


@schemathesis.hook
def map_body(context: schemathesis.HookContext, body: Any) -> Any:
    """Positive bodies that also keep the rules the document states in words.

    The document says a day's ranges are ordered and apart and that each
    collected field is asked once; JSON Schema cannot say so, so valid bodies
    are made to keep them (schema-invalid bodies are left as generated).
    """
    if not isinstance(body, dict):
        return body
    if isinstance(body.get("hours"), dict) and all(
        isinstance(r, list) and all(isinstance(p, list) and len(p) == 2 for p in r)
        for r in body["hours"].values()
    ):
        body["hours"] = _ordered_hours(body["hours"])
    collect = body.get("collect")
    if isinstance(collect, list) and all(isinstance(f, dict) for f in collect):
        body["collect"] = _once_each(collect)
    return body


def _dashboard_range_ok(case: schemathesis.Case) -> bool:
    """The dashboard's range is at most 366 days, the first before the last.

    That rule joins two parameters, which OpenAPI cannot say; its 422 has its own test.
    """
    query = case.query or {}
    today = date.today()
    try:
        first = date.fromisoformat(str(query.get("from", today.isoformat())))
        last = date.fromisoformat(str(query.get("to", today.isoformat())))
    except ValueError:
        return True
    return first <= last and (last - first).days < 366


def _appointment_range_ok(case: schemathesis.Case) -> bool:
    """Appointments and free times are asked for at most 62 days, ``from`` before ``to``."""
    query = case.query or {}
    try:
        first = datetime.fromisoformat(str(query["from"]))
        last = datetime.fromisoformat(str(query["to"]))
        if (first.tzinfo is None) != (last.tzinfo is None):
            return True
        span = last - first
    except (KeyError, ValueError):
        return True
    return timedelta(0) <= span <= timedelta(days=62)


def _bookable_only_by_chance(case: schemathesis.Case) -> bool:
    """A generated ``starts_at`` is almost never on the slot grid within opening hours.

    Whether a time can be booked depends on the business's hours, its notice and
    window, and the clock: no schema can say it. Its 422s have their own tests.
    """
    body = case.body if isinstance(case.body, dict) else {}
    moves = "starts_at" in body or "calendar_id" in body  # a calendar has its own hours
    return case.path.startswith("/appointments") and moves


@schemathesis.hook
def filter_case(context: schemathesis.HookContext, case: schemathesis.Case) -> bool:
    """Leave the test's own credentials alone; skip negative forms that are valid on the wire.

    A multipart form carries only strings and files: a ``null`` or an object
    generated as "invalid" goes out as the string ``null`` or as a file, which
    is a valid form, so its acceptance proves nothing.
    """
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    if negative and case.media_type == "multipart/form-data":
        return False
    if not negative and case.path.endswith("/dashboard") and not _dashboard_range_ok(case):
        return False
    if not negative and case.path in ("/appointments", "/availability"):
        if not _appointment_range_ok(case):
            return False
    if not negative and _bookable_only_by_chance(case):
        return False
    path = case.path_parameters or {}
    if case.method == "DELETE" and path.get("token_id") in KEEP.get("token_id", []):
        return False
    return not (case.method == "PATCH" and path.get("user_id") in KEEP.get("user_id", []))
