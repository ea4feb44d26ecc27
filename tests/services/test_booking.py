"""Booking by hand and by the voice agent: one set of rules, and no double booking under races."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from crm_app.db import unit_of_work
from crm_app.models import Appointment, Role, TextMessage
from crm_app.services import appointments, booking, calendars
from crm_app.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tests.conftest import Database
from tests.factories import Tenant, make_appointment, make_lead, make_tenant

ZONE = ZoneInfo("Asia/Jerusalem")
NOW = datetime(2026, 10, 20, 6, 0, tzinfo=UTC)  # a Tuesday, five days before clocks go back


def at(day: str, clock: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=ZONE)


def book(tenant: Tenant, when: datetime, **request: object) -> Appointment:
    lead = make_lead(tenant)
    with unit_of_work() as session:
        return appointments.book_for_lead(
            session,
            principal=tenant.principal(Role.AGENT),
            lead_id=lead.id or 0,
            request=booking.Request(starts_at=when, **request),  # type: ignore[arg-type]
            now=NOW,
        )


@pytest.fixture
def tenant(db: Database) -> Tenant:
    return make_tenant(name="מרפאת שיניים")


@pytest.mark.parametrize("clock", ["10:00", "11:30", "14:00", "16:30"])
def test_two_bookings_of_one_slot_at_once_one_wins(tenant: Tenant, clock: str) -> None:
    """Both transactions are open before either writes: one is refused, never both booked.

    (Postgres may see the two overlapping inserts as a deadlock; the loser then tries again.)
    """
    leads = [make_lead(tenant) for _ in range(2)]
    agent = tenant.principal(Role.AGENT)
    start = threading.Barrier(2)
    results: list[object] = []

    def attempt(lead_id: int) -> None:
        try:
            with unit_of_work() as session:
                session.execute(sa.text("SELECT 1"))  # the transaction is open
                start.wait()
                made = appointments.book_for_lead(
                    session,
                    principal=agent,
                    lead_id=lead_id,
                    request=booking.Request(starts_at=at("2026-10-22", clock)),
                    now=NOW,
                )
                results.append(made.id)
        except Conflict as exc:
            results.append(exc)

    threads = [threading.Thread(target=attempt, args=(lead.id,)) for lead in leads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(refused) == 1 and refused[0].key == "errors.slot_taken"
    with unit_of_work() as session:
        held = session.exec(
            select(Appointment).where(col(Appointment.business_id) == tenant.id)
        ).all()
    assert [a.starts_at for a in held] == [at("2026-10-22", clock)]


def test_the_database_itself_refuses_overlapping_appointments(tenant: Tenant) -> None:
    make_appointment(tenant, None, at("2026-10-22", "10:00"), minutes=60)
    with pytest.raises(IntegrityError, match="ex_appointment_calendar_time"):
        make_appointment(tenant, None, at("2026-10-22", "10:30"), minutes=30)
    make_appointment(tenant, None, at("2026-10-22", "11:00"), minutes=30)  # touching is fine
    make_appointment(tenant, None, at("2026-10-22", "10:30"), status="cancelled")


def test_booking_by_hand_keeps_the_voice_agents_rules(tenant: Tenant) -> None:
    for when, key in (
        (at("2026-10-22", "08:30"), "errors.slot_outside_hours"),  # before opening
        (at("2026-10-22", "16:45"), "errors.slot_outside_hours"),  # ends after closing
        (at("2026-10-22", "10:10"), "errors.slot_outside_hours"),  # off the half-hour grid
        (at("2026-10-23", "10:00"), "errors.slot_outside_hours"),  # a Friday
        (at("2026-10-20", "09:30"), "errors.slot_out_of_window"),  # within the notice period
        (at("2026-12-01", "10:00"), "errors.slot_out_of_window"),  # past the 30-day window
    ):
        with pytest.raises(InvalidInput) as refused:
            book(tenant, when)
        assert refused.value.key == key, when
    made = book(tenant, at("2026-10-22", "16:30"))
    assert made.ends_at == at("2026-10-22", "17:00") and made.booked_by_id == tenant.agent.id


def test_a_move_across_the_clock_change_keeps_the_local_time_and_length(tenant: Tenant) -> None:
    made = book(tenant, at("2026-10-22", "10:00"))  # UTC+3
    assert made.starts_at.astimezone(UTC).hour == 7
    with unit_of_work() as session:
        moved = appointments.reschedule(
            session,
            principal=tenant.principal(Role.AGENT),
            appointment_id=made.id or 0,
            starts_at=at("2026-10-25", "10:00"),  # UTC+2 after the clocks went back
            now=NOW,
        )
        assert moved.starts_at.astimezone(UTC).hour == 8
        assert moved.ends_at - moved.starts_at == timedelta(minutes=30)
    with unit_of_work() as session:
        free = booking.free_slots(session, business_id=tenant.id, day=date(2026, 10, 25), now=NOW)
    assert free[0] == at("2026-10-25", "09:00") and free[0].astimezone(UTC).hour == 7
    assert at("2026-10-25", "10:00") not in free and at("2026-10-22", "10:00") not in free


def test_a_move_onto_a_taken_time_is_refused_and_changes_nothing(tenant: Tenant) -> None:
    first = book(tenant, at("2026-10-22", "10:00"))
    second = book(tenant, at("2026-10-22", "11:00"))
    with pytest.raises(Conflict), unit_of_work() as session:
        appointments.reschedule(
            session,
            principal=tenant.principal(Role.AGENT),
            appointment_id=second.id or 0,
            starts_at=first.starts_at,
            now=NOW,
        )
    with unit_of_work() as session:
        kept = session.get(Appointment, second.id)
        assert kept is not None and kept.starts_at == at("2026-10-22", "11:00")


def test_calendars_have_their_own_hours_and_types_their_own_length(tenant: Tenant) -> None:
    owner = tenant.principal()
    with unit_of_work() as session:
        room = calendars.create_calendar(
            session, principal=owner, name="חדר 2", hours={"thu": [["08:00", "12:00"]]}
        )
        cleaning = calendars.create_type(session, principal=owner, name="ניקוי", minutes=45)
    early = book(tenant, at("2026-10-22", "08:00"), calendar_id=room.id, type_id=cleaning.id)
    assert early.ends_at - early.starts_at == timedelta(minutes=45)
    assert early.title == "ניקוי"
    # 10:00 in the first calendar, then again: the second goes to the room (free then).
    assert book(tenant, at("2026-10-22", "10:00")).calendar_id != room.id
    assert book(tenant, at("2026-10-22", "10:00")).calendar_id == room.id
    with pytest.raises(Conflict):
        book(tenant, at("2026-10-22", "10:00"))
    with unit_of_work() as session:
        slots = booking.free_between(
            session,
            business_id=tenant.id,
            start=date(2026, 10, 22),
            end=date(2026, 10, 22),
            calendar_id=room.id,
            type_id=cleaning.id,
            now=NOW,
        )
    starts = [s.starts_at for s in slots]
    assert at("2026-10-22", "08:30") not in starts  # overlaps the 08:00 cleaning
    assert starts[-1] == at("2026-10-22", "11:00")  # 11:30 + 45 min would end after 12:00


def test_only_owners_and_admins_set_up_calendars_and_others_ids_are_not_found(
    tenant: Tenant,
) -> None:
    other = make_tenant(name="Other clinic", locale="en")
    with pytest.raises(PermissionDenied), unit_of_work() as session:
        calendars.create_calendar(
            session, principal=tenant.principal(Role.AGENT), name="x", hours=None
        )
    with unit_of_work() as session:
        theirs = booking.calendars(session, other.id)[0]
        kind = calendars.create_type(session, principal=other.principal(), name="Exam", minutes=20)
    with pytest.raises(NotFound):
        book(tenant, at("2026-10-22", "10:00"), calendar_id=theirs.id)
    with pytest.raises(NotFound):
        book(tenant, at("2026-10-22", "10:00"), type_id=kind.id)
    mine = book(tenant, at("2026-10-22", "10:00"))
    with pytest.raises(NotFound), unit_of_work() as session:
        appointments.get_appointment(
            session, principal=other.principal(), appointment_id=mine.id or 0
        )


def test_a_booking_queues_one_confirmation_and_a_move_another(tenant: Tenant) -> None:
    made = book(tenant, at("2026-10-22", "10:00"))
    with unit_of_work() as session:
        appointments.reschedule(
            session,
            principal=tenant.principal(Role.AGENT),
            appointment_id=made.id or 0,
            starts_at=at("2026-10-22", "12:00"),
            now=NOW,
        )
    with unit_of_work() as session:
        sent = session.exec(
            select(TextMessage).where(col(TextMessage.appointment_id) == made.id)
        ).all()
    by_state = sorted((t.state, t.body) for t in sent)
    assert [s for s, _ in by_state] == ["pending", "skipped"]
    assert "12:00" in by_state[0][1] and "10:00" in by_state[1][1]
    assert "יום חמישי 22.10" in by_state[0][1] and "מרפאת שיניים" in by_state[0][1]
