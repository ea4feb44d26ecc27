"""Notes, calls, appointments and the other events on a lead's timeline."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlmodel import Field, SQLModel

from crm_app.models.base import (
    UTCDateTime,
    business_fk,
    created_at_field,
    json_list_column,
    json_type,
    updated_at_field,
)


class NoteKind(StrEnum):
    """Who or what wrote a note."""

    MANUAL = "manual"
    CALL_SUMMARY = "call_summary"
    SYSTEM = "system"


class Note(SQLModel, table=True):
    """Text, files or both on a lead. Attachments live only in ``attachments``."""

    __table_args__ = (
        sa.Index("ix_note_lead_created", "lead_id", "created_at"),
        sa.Index("ix_note_business_created", "business_id", "created_at"),  # latest activity
        # A call has at most one summary note, however often the pipeline runs.
        sa.Index(
            "uq_note_call_summary",
            "call_id",
            unique=True,
            postgresql_where=sa.text("kind = 'call_summary'"),
        ),
        # Finds the note holding an attachment id (downloads) without a scan.
        sa.Index(
            "ix_note_attachments",
            "attachments",
            postgresql_using="gin",
            postgresql_ops={"attachments": "jsonb_path_ops"},
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = business_fk()
    lead_id: int = Field(foreign_key="lead.id", ondelete="CASCADE")
    author_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    kind: str = Field(default=NoteKind.MANUAL.value, max_length=20)
    text: str = Field(default="", sa_type=sa.Text)
    attachments: list[dict[str, Any]] = Field(default_factory=list, sa_column=json_list_column())
    call_id: int | None = Field(default=None, foreign_key="call.id", ondelete="SET NULL")
    version: int = Field(default=1)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class NoteDraft(SQLModel, table=True):
    """An unsaved note (or an edit in progress): its text and finished uploads.

    Kept in the database so that a reload, or another device, finds the draft
    and its files; ``draft_key`` is ``user:lead:note-or-new``.
    """

    __tablename__ = "note_draft"

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = business_fk()
    lead_id: int = Field(foreign_key="lead.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    note_id: int | None = Field(default=None, foreign_key="note.id", ondelete="CASCADE")
    draft_key: str = Field(max_length=64, unique=True)
    text: str = Field(default="", sa_type=sa.Text)
    attachments: list[dict[str, Any]] = Field(default_factory=list, sa_column=json_list_column())
    removed: list[str] = Field(default_factory=list, sa_column=json_list_column())
    base_version: int | None = None  # the note version an edit started from
    updated_at: datetime = updated_at_field()


class CallDirection(StrEnum):
    """Who dialled."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Call(SQLModel, table=True):
    """One phone call, from the TwiML webhook to the post-call pipeline."""

    __table_args__ = (
        # The call list and the dashboard: a business's calls by time, with what the
        # dashboard counts carried in the index (an index-only scan, no row reads).
        sa.Index(
            "ix_call_business_created",
            "business_id",
            "created_at",
            postgresql_include=["direction", "spoke", "duration_sec"],
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = business_fk()
    call_sid: str = Field(max_length=64, unique=True)
    lead_id: int | None = Field(
        default=None, foreign_key="lead.id", index=True, ondelete="SET NULL"
    )
    direction: str = Field(default=CallDirection.INBOUND.value, max_length=10)
    from_number: str = Field(default="", max_length=20)
    to_number: str = Field(default="", max_length=20)
    status: str = Field(default="initiated", max_length=20)
    stream_sid: str | None = Field(default=None, max_length=64)  # set once: replays are refused
    agent_revision: int | None = None  # the voice agent settings' revision that answered
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    duration_sec: int | None = None
    end_reason: str = Field(default="", max_length=40)
    recording_sid: str | None = Field(default=None, max_length=64)
    recording_url: str | None = Field(default=None, max_length=500)
    recording_storage_key: str | None = Field(default=None, max_length=200)
    audio_bytes_len: int | None = Field(default=None, sa_type=sa.BigInteger)
    audio_duration_sec: float | None = Field(default=None, sa_type=sa.Double)
    # What the call page shows: the recording's transcript, else the realtime one.
    transcript: list[dict[str, Any]] = Field(default_factory=list, sa_column=json_list_column())
    # As the bridge heard it during the call (kept when the recording's replaces it above).
    realtime_transcript: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=json_list_column()
    )
    transcript_source: str | None = Field(default=None, sa_type=sa.String(32))
    # Whether the caller and the agent talked (a transcript with something in it), kept by
    # the database: what "answered" and "missed" count.
    spoke: bool | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Boolean, sa.Computed("jsonb_array_length(transcript) > 0", persisted=True)
        ),
    )
    summary: str = Field(default="", sa_type=sa.Text)
    recording_status: str | None = Field(default=None, max_length=20)
    recording_duration_sec: int | None = None
    # Post-call pipeline: each step's state, e.g. {"download": {"state": "done", ...}}.
    pipeline: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(json_type(), nullable=False)
    )
    recommended_status: str | None = Field(default=None, max_length=40)
    recommended_confidence: float | None = None
    # The lead fields the pipeline read from the conversation (validated), and the follow-up.
    extracted: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(json_type(), nullable=False, server_default="{}")
    )
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class TwilioCallback(SQLModel, table=True):
    """A Twilio callback for a call we have no row for yet; applied when the row appears."""

    __tablename__ = "twilio_callback"

    id: int | None = Field(default=None, primary_key=True)
    call_sid: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=20)  # status | recording
    payload: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(json_type(), nullable=False)
    )
    created_at: datetime = created_at_field()
    applied_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AppointmentStatus(StrEnum):
    """Where an appointment stands; scheduled and confirmed ones hold their time."""

    SCHEDULED = "scheduled"
    CONFIRMED = "confirmed"  # the customer answered the text with 1 / כן
    CANCELLED = "cancelled"
    DONE = "done"


HOLDS_TIME = ("scheduled", "confirmed")


class Appointment(SQLModel, table=True):
    """A booked time in a calendar, made by a person or by the voice agent's tool."""

    __table_args__ = (
        # The database refuses two appointments that hold overlapping times in one calendar.
        ExcludeConstraint(
            ("calendar_id", "="),
            (sa.func.tstzrange(sa.column("starts_at"), sa.column("ends_at"), "[)"), "&&"),
            name="ex_appointment_calendar_time",
            using="gist",
            where=sa.text("status IN ('scheduled', 'confirmed')"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = business_fk()
    calendar_id: int = Field(foreign_key="calendar.id", nullable=False, ondelete="CASCADE")
    type_id: int | None = Field(
        default=None, foreign_key="appointment_type.id", ondelete="SET NULL"
    )
    lead_id: int | None = Field(
        default=None, foreign_key="lead.id", index=True, ondelete="SET NULL"
    )
    call_id: int | None = Field(default=None, foreign_key="call.id", ondelete="SET NULL")
    # Who booked it by hand (None: the voice agent).
    booked_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    starts_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ends_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    title: str = Field(default="", max_length=200)
    status: str = Field(default="scheduled", max_length=20)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When it got its present time (booked or moved): reminders due before then are not sent.
    timed_at: datetime = created_at_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class WhatsappMessage(SQLModel, table=True):
    """A WhatsApp message to or from a lead."""

    __tablename__ = "whatsapp_message"

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = business_fk()
    lead_id: int | None = Field(
        default=None, foreign_key="lead.id", index=True, ondelete="SET NULL"
    )
    direction: str = Field(max_length=10)
    body: str = Field(default="", sa_type=sa.Text)
    created_at: datetime = created_at_field()


class Payment(SQLModel, table=True):
    """A payment by a lead."""

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = business_fk()
    lead_id: int | None = Field(
        default=None, foreign_key="lead.id", index=True, ondelete="SET NULL"
    )
    amount_agorot: int = Field(sa_type=sa.BigInteger)
    currency: str = Field(default="ILS", max_length=3)
    status: str = Field(default="pending", max_length=20)
    created_at: datetime = created_at_field()


class AuditEvent(SQLModel, table=True):
    """Who did what to which record (exports, status changes, settings)."""

    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_business_created", "business_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = business_fk()
    actor_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    action: str = Field(max_length=60)
    entity: str = Field(default="", max_length=40)
    entity_id: int | None = None
    details: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(json_type(), nullable=False)
    )
    ip: str = Field(default="", max_length=64)
    created_at: datetime = created_at_field()


class ExportJob(SQLModel, table=True):
    """A lead export written to private storage in the background."""

    __tablename__ = "export_job"

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = business_fk()
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    format: str = Field(max_length=8)
    filters: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(json_type(), nullable=False)
    )
    status: str = Field(default="running", max_length=16)  # running | done | failed | expired
    total_rows: int = Field(default=0)
    done_rows: int = Field(default=0)
    storage_key: str | None = Field(default=None, max_length=200)
    filename: str = Field(default="", max_length=200)
    error: str = Field(default="", max_length=500)
    created_at: datetime = created_at_field()
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
