"""Calendars, appointment types and text messages (SMS) about appointments."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from crm_app.models.base import UTCDateTime, business_fk, created_at_field, json_type


class Calendar(SQLModel, table=True):
    """What appointments are booked in: a staff member or a room, with its own hours."""

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = business_fk()
    name: str = Field(max_length=100)
    # Weekday -> [["09:00", "13:00"], ...]; None follows the business's hours.
    hours: dict[str, list[list[str]]] | None = Field(
        default=None, sa_column=sa.Column(json_type(), nullable=True)
    )
    active: bool = Field(default=True)
    position: int = Field(default=0)
    # The SHA-256 of the secret in the calendar's ICS feed URL (None: no feed).
    feed_token_hash: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime = created_at_field()


class AppointmentType(SQLModel, table=True):
    """A kind of appointment with its length ("Cleaning", 45 minutes)."""

    __tablename__ = "appointment_type"

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = business_fk()
    name: str = Field(max_length=100)
    minutes: int = Field(default=30)
    active: bool = Field(default=True)
    created_at: datetime = created_at_field()


class TextDirection(StrEnum):
    """Which way a text went."""

    OUT = "out"
    IN = "in"


class TextKind(StrEnum):
    """Why a text was sent, or what a received one was taken to mean."""

    CONFIRMATION = "confirmation"
    REMINDER = "reminder"
    ANSWER = "answer"  # the reply to a customer's text
    CONFIRMED = "confirmed"  # a customer's "1"
    CANCELLED = "cancelled"  # a customer's "2"
    UNKNOWN = "unknown"  # a customer's text that was neither


class TextState(StrEnum):
    """Where an outgoing text stands (received texts are ``received``)."""

    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker; Twilio may or may not have it yet
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # no longer needed (the appointment moved or was cancelled)
    RECEIVED = "received"


class TextMessage(SQLModel, table=True):
    """An SMS to or from a lead, kept once per ``key`` (the idempotency key)."""

    __tablename__ = "text_message"
    __table_args__ = (sa.Index("ix_text_message_state_claimed", "state", "claimed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = business_fk()
    lead_id: int | None = Field(
        default=None, foreign_key="lead.id", index=True, ondelete="SET NULL"
    )
    appointment_id: int | None = Field(
        default=None, foreign_key="appointment.id", index=True, ondelete="SET NULL"
    )
    # "appointment-12:reminder-1440:202612051000" or "in:SM...": the same text is never twice.
    key: str = Field(max_length=120, unique=True)
    direction: str = Field(max_length=3)
    kind: str = Field(max_length=20)
    to_e164: str = Field(max_length=20)
    from_e164: str = Field(max_length=20)
    body: str = Field(sa_type=sa.Text)
    state: str = Field(max_length=10)
    twilio_sid: str | None = Field(default=None, max_length=64)
    attempts: int = Field(default=0)
    error: str = Field(default="", max_length=200)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()
