"""Running totals the dashboard reads instead of counting rows, kept by the database itself.

Triggers on ``call`` and ``lead`` (migration 0013) add every inserted, changed
or deleted row to these totals in the same transaction, so a total is always
what counting the rows would give. Calls and new leads are totalled per
quarter of an hour (``bucket``, UTC): every zone's midnight falls on a quarter
hour, so a day in any business's zone is a whole number of buckets.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from crm_app.models.base import UTCDateTime

BUCKET = "15 minutes"
BUCKET_ORIGIN = "2000-01-01 00:00:00+00"


def _business() -> Any:
    return Field(foreign_key="business.id", primary_key=True, ondelete="CASCADE")


class CallTally(SQLModel, table=True):
    """A business's calls of one direction that started in one quarter hour."""

    __tablename__ = "call_tally"

    business_id: int = _business()
    direction: str = Field(max_length=10, primary_key=True)
    bucket: datetime = Field(sa_type=UTCDateTime, primary_key=True)
    calls: int = 0
    answered: int = 0  # the caller and the agent talked (``call.spoke``)
    answered_timed: int = 0  # answered calls whose length is known
    answered_seconds: int = Field(default=0, sa_type=sa.BigInteger)


class LeadTally(SQLModel, table=True):
    """A business's leads from one source created in one quarter hour."""

    __tablename__ = "lead_tally"

    business_id: int = _business()
    source: str = Field(max_length=20, primary_key=True)
    bucket: datetime = Field(sa_type=UTCDateTime, primary_key=True)
    leads: int = 0


class LeadStatusTally(SQLModel, table=True):
    """How many of a business's leads are in one status now."""

    __tablename__ = "lead_status_tally"

    business_id: int = _business()
    status_id: int = Field(primary_key=True)
    leads: int = 0
