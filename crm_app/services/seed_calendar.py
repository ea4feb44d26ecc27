"""The demo businesses' calendars: a second calendar, appointment types and a fortnight booked."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from crm_app.models import Appointment, AppointmentType, Business, Calendar, Lead, utcnow

TYPES = {
    "he": (("בדיקה תקופתית", 20), ("ניקוי אבנית", 45), ("טיפול שורש", 60)),
    "en": (("Check-up", 20), ("Cleaning", 45), ("Root canal", 60)),
}
SECOND_CALENDAR = {"he": "שיננית", "en": "Hygienist"}
BOOKINGS = 14


def seed_calendar(session: Session, rng: random.Random, business: Business) -> None:
    """Types, a hygienist's calendar and appointments over the next two weeks (some confirmed)."""
    assert business.id is not None
    locale = business.locale if business.locale in TYPES else "he"
    kinds = [AppointmentType(business_id=business.id, name=n, minutes=m) for n, m in TYPES[locale]]
    second = Calendar(business_id=business.id, name=SECOND_CALENDAR[locale], position=1)
    session.add_all([*kinds, second])
    session.flush()
    first = session.exec(
        select(Calendar).where(col(Calendar.business_id) == business.id).order_by(col(Calendar.id))
    ).first()
    leads = list(session.exec(select(Lead).where(col(Lead.business_id) == business.id).limit(40)))
    assert first is not None and leads
    zone, today = ZoneInfo(business.timezone), datetime.now(ZoneInfo(business.timezone)).date()
    taken: list[tuple[int, datetime, datetime]] = []
    for _ in range(BOOKINGS * 4):
        if len(taken) >= BOOKINGS:
            break
        day = today + timedelta(days=rng.randint(0, 13))
        hours = business.business_hours.get(
            ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[day.weekday()]
        )
        if not hours:
            continue
        calendar, kind = rng.choice([first, second]), rng.choice(kinds)
        start = datetime.combine(day, time(rng.randint(9, 15), rng.choice((0, 30))), tzinfo=zone)
        end = start + timedelta(minutes=kind.minutes)
        clash = any(c == calendar.id and a < end and start < b for c, a, b in taken)
        if clash or start < utcnow():
            continue
        taken.append((calendar.id or 0, start, end))
        session.add(
            Appointment(
                business_id=business.id,
                calendar_id=calendar.id or 0,
                type_id=kind.id,
                lead_id=rng.choice(leads).id,
                starts_at=start,
                ends_at=end,
                title=kind.name,
                status=rng.choice(("scheduled", "scheduled", "confirmed")),
                created_at=utcnow() - timedelta(days=rng.randint(1, 10)),
            )
        )
    session.flush()
