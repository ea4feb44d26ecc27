"""Leads, their per-business statuses and the status history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from crm_app.models.base import (
    UTCDateTime,
    business_fk,
    created_at_field,
    json_type,
    updated_at_field,
)


class LeadSource(StrEnum):
    """Where a lead came from."""

    PHONE_AI = "phone_ai"
    MANUAL = "manual"
    WEB_FORM = "web_form"
    WHATSAPP = "whatsapp"
    IMPORT = "import"
    REFERRAL = "referral"


class LeadStatus(SQLModel, table=True):
    """A step of a business's pipeline, labelled in Hebrew and English."""

    __tablename__ = "lead_status"
    __table_args__ = (sa.UniqueConstraint("business_id", "key", name="uq_lead_status_key"),)

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = business_fk()
    key: str = Field(max_length=40)
    label_he: str = Field(max_length=80)
    label_en: str = Field(max_length=80)
    position: int = Field(default=0)
    color: str = Field(default="gray", max_length=20)
    is_closed: bool = Field(default=False)
    is_default: bool = Field(default=False)


# Lower-cased name and email, kept by the database itself: what text search matches.
SEARCH_TEXT_SQL = "lower(name || ' ' || email)"


class Lead(SQLModel, table=True):
    """A person the business may sell to."""

    __table_args__ = (
        sa.UniqueConstraint("business_id", "phone_e164", name="uq_lead_business_phone"),
        sa.Index("ix_lead_business_created_id", "business_id", "created_at", "id"),
        sa.Index(
            "ix_lead_business_status_created_id", "business_id", "status_id", "created_at", "id"
        ),
        sa.Index("ix_lead_business_name_id", "business_id", "name", "id"),
        # Search indexes (see the leads anchors): trigrams for fragments of
        # names and numbers, a prefix index for the start of a number.
        sa.Index(
            "ix_lead_search_trgm",
            "business_id",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
        sa.Index(
            "ix_lead_phone_prefix",
            "business_id",
            "phone_digits",
            postgresql_ops={"phone_digits": "text_pattern_ops"},
        ),
        sa.Index(
            "ix_lead_phone_trgm",
            "phone_digits",
            postgresql_using="gin",
            postgresql_ops={"phone_digits": "gin_trgm_ops"},
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = business_fk()
    name: str = Field(default="", max_length=200)
    phone_e164: str = Field(max_length=20)
    phone_digits: str = Field(max_length=20)
    email: str = Field(default="", max_length=254)
    search_text: str | None = Field(
        default=None,
        sa_column=sa.Column(sa.Text, sa.Computed(SEARCH_TEXT_SQL, persisted=True)),
    )
    city: str = Field(default="", max_length=100)
    # What the caller wants, as the voice agent heard it (or a person wrote it).
    reason: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})
    service: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    urgency: str = Field(default="", max_length=10, sa_column_kwargs={"server_default": ""})
    # The business's own fields (see LeadField), by key: {"x-car": "Mazda 3"}.
    custom_fields: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(json_type(), nullable=False, server_default="{}")
    )
    # Fields whose value the call pipeline wrote and no person has edited since.
    ai_filled: list[str] = Field(
        default_factory=list, sa_column=sa.Column(json_type(), nullable=False, server_default="[]")
    )
    # AI values that differ from what a person entered: {"name": {"value": ..., "call_id": 7}}.
    suggestions: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(json_type(), nullable=False, server_default="{}")
    )
    source: str = Field(default=LeadSource.MANUAL.value, max_length=20)
    status_id: int = Field(foreign_key="lead_status.id", index=True, ondelete="RESTRICT")
    owner_id: int | None = Field(
        default=None, foreign_key="user.id", index=True, ondelete="SET NULL"
    )
    last_contact_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class LeadFieldKind(StrEnum):
    """What a business's own lead field holds."""

    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"


class LeadField(SQLModel, table=True):
    """A field of the business's own on every lead (the voice agent may ask for it too)."""

    __tablename__ = "lead_field"
    __table_args__ = (sa.UniqueConstraint("business_id", "key", name="uq_lead_field_key"),)

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = business_fk()
    key: str = Field(max_length=40)
    label_he: str = Field(max_length=80)
    label_en: str = Field(max_length=80)
    kind: str = Field(default=LeadFieldKind.TEXT.value, max_length=10)
    choices: list[str] = Field(
        default_factory=list, sa_column=sa.Column(json_type(), nullable=False, server_default="[]")
    )
    position: int = Field(default=0)
    created_at: datetime = created_at_field()


class LeadStatusChange(SQLModel, table=True):
    """One move of a lead from one status to another."""

    __tablename__ = "lead_status_change"
    __table_args__ = (
        sa.Index("ix_lead_status_change_business_created", "business_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = business_fk()
    lead_id: int = Field(foreign_key="lead.id", index=True, ondelete="CASCADE")
    from_status_id: int | None = Field(
        default=None, foreign_key="lead_status.id", ondelete="SET NULL"
    )
    to_status_id: int = Field(foreign_key="lead_status.id", ondelete="RESTRICT")
    changed_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    reason: str = Field(default="", max_length=500)
    is_ai: bool = Field(default=False)
    confidence: float | None = None
    created_at: datetime = created_at_field()
