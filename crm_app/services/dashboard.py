"""Dashboard figures, computed in the database with bounds passed as parameters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from crm_app.models import Call, Lead, LeadStatus, utcnow
from crm_app.services.auth import Principal


@dataclass(frozen=True)
class Summary:
    """The figures on the dashboard's tiles."""

    leads_total: int
    leads_new_week: int
    open_leads: int
    calls_today: int


def _start_of_today(timezone: str) -> datetime:
    zone = ZoneInfo(timezone)
    return datetime.combine(utcnow().astimezone(zone).date(), time.min, tzinfo=zone)


def summary(session: Session, *, principal: Principal) -> Summary:
    """Lead and call counts of the principal's business."""
    business = principal.business_id
    week_ago = utcnow() - timedelta(days=7)
    lead_counts = (
        select(
            func.count(),
            func.count().filter(col(Lead.created_at) >= week_ago),
            func.count().filter(col(LeadStatus.is_closed).is_(False)),
        )
        .select_from(Lead)
        .join(LeadStatus, col(LeadStatus.id) == col(Lead.status_id))
        .where(Lead.business_id == business)
    )
    total, new_week, open_leads = session.exec(lead_counts).one()
    calls_today = session.exec(
        select(func.count())
        .select_from(Call)
        .where(Call.business_id == business, Call.created_at >= _start_of_today(principal.timezone))
    ).one()
    return Summary(total, new_week, open_leads, calls_today)
