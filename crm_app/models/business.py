"""Businesses (tenants), their users, sessions and API tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from crm_app.models.base import UTCDateTime, business_fk, created_at_field, json_type


class Role(StrEnum):
    """What a user may do inside their business."""

    OWNER = "owner"
    ADMIN = "admin"
    AGENT = "agent"


class Business(SQLModel, table=True):
    """A tenant: one small business and its phone line."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    phone_number: str = Field(max_length=20, unique=True)  # E.164, the Twilio ``To``
    locale: str = Field(default="he", max_length=5)
    timezone: str = Field(default="Asia/Jerusalem", max_length=64)
    default_region: str = Field(default="IL", max_length=2)
    # The voice agent: the business's own instructions, first words and voice.
    ai_instructions: str = Field(default="", sa_type=sa.Text)
    greeting: str = Field(default="", max_length=500)
    voice: str = Field(default="marin", max_length=20)
    # Appointments the voice agent may book (its tools exist only when on).
    books_appointments: bool = Field(default=False)
    business_hours: dict[str, list[list[str]]] = Field(
        default_factory=dict, sa_column=sa.Column(json_type(), nullable=False)
    )
    slot_minutes: int = Field(default=30)
    booking_window_days: int = Field(default=30)
    min_notice_minutes: int = Field(default=120)
    # Texts to customers about their appointments: a confirmation when booked, and reminders
    # this many minutes before.
    texts_customers: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    reminder_minutes: list[int] = Field(
        default_factory=lambda: [1440, 120],
        sa_column=sa.Column(json_type(), nullable=False, server_default="[1440, 120]"),
    )
    # Days the business is closed whatever the weekday ("2026-12-25"), in its own zone.
    closed_dates: list[str] = Field(
        default_factory=list, sa_column=sa.Column(json_type(), nullable=False, server_default="[]")
    )
    # The voice agent's language ("" speaks the business's language) and what it asks every
    # caller: [{"key": "name"}, {"key": "reason"}, {"key": "x-car", "label": "Car model"}].
    agent_locale: str = Field(default="", max_length=5, sa_column_kwargs={"server_default": ""})
    collect_fields: list[dict[str, str]] = Field(
        default_factory=list, sa_column=sa.Column(json_type(), nullable=False, server_default="[]")
    )
    # This business's call limits; None means the server's defaults.
    silence_seconds: int | None = Field(default=None)
    max_call_seconds: int | None = Field(default=None)
    # The agent settings' current revision number (see AgentRevision); 0 before the first save.
    agent_revision: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Who gets a callback task for a lead that has no owner (None: the first owner).
    default_assignee_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey(
                "user.id",
                name="fk_business_default_assignee_id_user",
                ondelete="SET NULL",
                use_alter=True,
            ),
            nullable=True,
        ),
    )
    created_at: datetime = created_at_field()


class AgentRevision(SQLModel, table=True):
    """One saved version of a business's voice agent settings (all of them, as saved)."""

    __tablename__ = "agent_revision"
    __table_args__ = (
        sa.UniqueConstraint("business_id", "number", name="uq_agent_revision_business_number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = business_fk()
    number: int
    settings: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(json_type(), nullable=False)
    )
    author_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    restored_from: int | None = None  # the revision number this one brought back
    created_at: datetime = created_at_field()


class PasswordLink(SQLModel, table=True):
    """A one-time link to set a password: an invitation or a reset (stored as a hash)."""

    __tablename__ = "password_link"

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = business_fk()
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    purpose: str = Field(max_length=10)  # invite | reset
    token_hash: str = Field(max_length=64, unique=True)
    created_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class User(SQLModel, table=True):
    """A person who signs in to the CRM."""

    __table_args__ = (sa.UniqueConstraint("email", name="uq_user_email"),)

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = business_fk()
    email: str = Field(max_length=254)
    name: str = Field(default="", max_length=200)
    role: str = Field(default=Role.AGENT.value, max_length=16)
    password_hash: str = Field(max_length=255)
    locale: str = Field(default="he", max_length=5)
    is_active: bool = Field(default=True)
    is_demo: bool = Field(default=False)
    # The alerts this user also gets by e-mail (AlertKind values).
    email_alerts: list[str] = Field(
        default_factory=lambda: ["new_lead", "missed_call", "task_due", "assigned"],
        sa_column=sa.Column(
            json_type(),
            nullable=False,
            server_default='["new_lead", "missed_call", "task_due", "assigned"]',
        ),
    )
    created_at: datetime = created_at_field()


class UserSession(SQLModel, table=True):
    """A server-side browser session; the cookie holds only its secret."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = business_fk()
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_at_field()
    last_seen_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=300)


class ApiToken(SQLModel, table=True):
    """A bearer token for the REST API, stored as a hash."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = business_fk()
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    name: str = Field(default="", max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)
    created_at: datetime = created_at_field()
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoginAttempt(SQLModel, table=True):
    """A failed sign-in, counted per email and per IP for throttling."""

    __tablename__ = "login_attempt"
    __table_args__ = (sa.Index("ix_login_attempt_email_ip_at", "email", "ip", "attempted_at"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    ip: str = Field(max_length=64)
    attempted_at: datetime = created_at_field()
