"""Small builders for test data, written through the real services."""

from __future__ import annotations

import functools
import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from crm_app.db import unit_of_work
from crm_app.models import Appointment, Business, Call, Lead, Role, User, utcnow
from crm_app.services import accounts, booking, leads, storage
from crm_app.services.auth import Principal, principal_for
from crm_app.services.passwords import hash_password

PASSWORD = "correct horse battery"
# Numbers are counted, not drawn: a run makes hundreds of businesses, and random numbers
# from a few million would now and then give two of them the same line (a unique column).
# The ranges keep clear of every number a test or the demo writes out in full
# (03-555-0100, 03-999-9999, 052-123-4567, 052-765-4321, 052-777-7777, 052-987-6543).
_serial = itertools.count()


@functools.cache
def _password_hash() -> str:
    """One real argon2 hash of PASSWORD, reused: hashing costs ~0.1 s each."""
    return hash_password(PASSWORD)


def unique_landline() -> str:
    """A valid Tel Aviv landline nobody else in this run has (03-6000000 onwards)."""
    return f"+9723{6_000_000 + next(_serial)}"


def unique_mobile() -> str:
    """A valid Israeli mobile number nobody else in this run has (052-2000000 onwards)."""
    return f"+97252{2_000_000 + next(_serial)}"


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


@dataclass
class Tenant:
    """A business with an owner, an admin and an agent."""

    business: Business
    owner: User
    admin: User
    agent: User

    @property
    def id(self) -> int:
        assert self.business.id is not None
        return self.business.id

    def principal(self, role: Role = Role.OWNER) -> Principal:
        user = {Role.OWNER: self.owner, Role.ADMIN: self.admin, Role.AGENT: self.agent}[role]
        with unit_of_work(read_only=True) as session:  # usable inside a writing unit of work
            return principal_for(session, user)


def make_tenant(name: str = "עסק לבדיקה", locale: str = "he") -> Tenant:
    with unit_of_work() as session:
        business = accounts.create_business(
            session, name=name, phone=unique_landline(), locale=locale
        )
        assert business.id is not None
        users = [
            User(
                business_id=business.id,
                email=unique_email(role.value),
                password_hash=_password_hash(),
                role=role.value,
                name=f"{role.value} user",
                locale=locale,
            )
            for role in (Role.OWNER, Role.ADMIN, Role.AGENT)
        ]
        session.add_all(users)
        session.flush()
    return Tenant(business, *users)


def make_lead(
    tenant: Tenant, name: str = "ישראל ישראלי", phone: str | None = None, **fields: Any
) -> Lead:
    with unit_of_work() as session:
        return leads.create_lead(
            session, business_id=tenant.id, phone=phone or unique_mobile(), name=name, **fields
        )


def make_call(tenant: Tenant, lead: Lead | None = None, **fields: Any) -> Call:
    """A finished inbound call (fields override), optionally with a stored recording.

    ``recording=bytes`` stores the bytes privately and points the call at them.
    """
    recording: bytes | None = fields.pop("recording", None)
    started = fields.pop("started_at", utcnow() - timedelta(minutes=5))
    values: dict[str, Any] = {
        "business_id": tenant.id,
        "call_sid": "CA" + uuid.uuid4().hex,
        "lead_id": lead.id if lead else None,
        "from_number": lead.phone_e164 if lead else unique_mobile(),
        "to_number": tenant.business.phone_number,
        "status": "completed",
        "started_at": started,
        "answered_at": started,
        "ended_at": started + timedelta(seconds=42),
        "duration_sec": 42,
        "end_reason": "caller_hangup",
        "created_at": started,
    }
    call = Call(**(values | fields))
    if recording is not None:
        key = f"recordings/{tenant.id}/{call.call_sid}.wav"
        storage.write_atomic(key, [recording])
        call.recording_storage_key = key
        call.audio_bytes_len = len(recording)
    with unit_of_work() as session:
        session.add(call)
        session.flush()
        return call


def make_appointment(
    tenant: Tenant, lead: Lead | None, starts_at: datetime, minutes: int = 30, **fields: Any
) -> Appointment:
    """An appointment in the tenant's first calendar, written as is (no booking rules)."""
    with unit_of_work() as session:
        calendar = booking.calendars(session, tenant.id)[0]
        assert calendar.id is not None
        appointment = Appointment(
            business_id=tenant.id,
            calendar_id=calendar.id,
            lead_id=lead.id if lead else None,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=minutes),
            **fields,
        )
        session.add(appointment)
        session.flush()
        return appointment
