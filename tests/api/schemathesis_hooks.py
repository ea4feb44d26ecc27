"""Schemathesis hooks for ``tests/api/test_schemathesis.py`` (through ``SCHEMATHESIS_HOOKS``).

Each generated request is sent as one of two businesses (``CRM_ST_TOKENS``), and
ids in its path are often replaced by real ids of either (``CRM_ST_IDS``): the
other business's must be 404s. The ``cursor`` format is taught to the
generator: valid cursors are the ones the lists hand out, so positive data is
drawn from real cursors and the server's own encoding.
"""

from __future__ import annotations

import json
import os
import random
from datetime import UTC, datetime
from typing import Any

import schemathesis
from hypothesis import strategies as st

from crm_app.services.lead_query import Cursor

TOKENS: list[str] = os.environ.get("CRM_ST_TOKENS", "").split(",")
IDS: dict[str, list[int]] = json.loads(os.environ.get("CRM_ST_IDS", "{}"))
KEEP: dict[str, list[int]] = json.loads(os.environ.get("CRM_ST_KEEP", "{}"))

_STAMPS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
_IDS = st.integers(min_value=1, max_value=2**63 - 1)
CURSORS = st.builds(
    lambda stamp, row, before: Cursor(stamp, row, before).encode(), _STAMPS, _IDS, st.booleans()
)
schemathesis.openapi.format("cursor", CURSORS)


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
        if IDS.get(name) and chooser.random() < 0.5:
            path_parameters[name] = chooser.choice(IDS[name])
    return path_parameters


@schemathesis.hook
def filter_case(context: schemathesis.HookContext, case: schemathesis.Case) -> bool:
    """Leave the test's own credentials alone: its tokens and the users they act as."""
    path = case.path_parameters or {}
    if case.method == "DELETE" and path.get("token_id") in KEEP.get("token_id", []):
        return False
    return not (case.method == "PATCH" and path.get("user_id") in KEEP.get("user_id", []))
