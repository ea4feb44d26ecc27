"""The dashboard on the real database: ranges in the business's zone, figures equal their lists."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlmodel import col

from crm_app.db import unit_of_work
from crm_app.models import Business, Call, Lead, LeadSource, Role, utcnow
from crm_app.services import (
    appointments,
    call_query,
    dashboard,
    lead_query,
    leads,
    notes,
    statuses,
)
from crm_app.services.errors import InvalidInput
from tests.conftest import Database
from tests.factories import Tenant, make_appointment, make_call, make_lead, make_tenant

ZONE = ZoneInfo("Asia/Jerusalem")
SAID = [{"speaker": "caller", "text": "שלום", "start_ms": 0, "end_ms": 900}]


@pytest.fixture
def tenant(db: Database) -> Tenant:
    made = make_tenant(name="מרפאה")
    dana = make_lead(made, name="דנה", source=LeadSource.PHONE_AI)
    make_lead(made, name="אבי", source=LeadSource.MANUAL)
    now = utcnow()
    for minutes, seconds in ((10, 60), (20, 120)):
        make_call(made, dana, transcript=SAID, duration_sec=seconds,
                  started_at=now - timedelta(minutes=minutes))  # fmt: skip
    make_call(made, dana, transcript=[], duration_sec=3, started_at=now - timedelta(minutes=30))
    make_call(made, dana, transcript=SAID, started_at=now - timedelta(days=40))  # outside 30d
    for hours, booked_ago in ((0, timedelta(hours=1)), (1, timedelta(days=40))):  # outside 30d
        make_appointment(
            made, dana, now + timedelta(days=2, hours=hours), created_at=now - booked_ago
        )
    return made


def _figures(tile: dashboard.Tile) -> dict[str, dashboard.Part]:
    return {part.key: part for part in tile.parts}


def _list_total(tenant: Tenant, href: str) -> int:
    """How many rows the list at ``href`` shows, counted as its page counts them."""
    parts = urlsplit(href)
    params = dict(parse_qsl(parts.query))
    principal = tenant.principal(Role.OWNER)
    with unit_of_work(read_only=True) as session:
        if parts.path == "/appointments":
            period = dashboard.parse_range("custom", params["from"], params["to"], ZONE.key)
            return len(appointments.booked_between(
                session, principal=principal, start=period.start, end=period.end
            ))  # fmt: skip
        if parts.path == "/calls":
            filters = call_query.parse_filters(params)
            return call_query.fetch_page(session, principal=principal, filters=filters).total
        filters = lead_query.parse_filters(params)
        return lead_query.fetch_page(session, principal=principal, filters=filters).total


def test_every_figure_equals_the_list_it_links_to(tenant: Tenant) -> None:
    principal = tenant.principal(Role.OWNER)
    period = dashboard.parse_range("30d", "", "", principal.timezone)

    calls = _figures(dashboard.compute("calls", principal=principal, period=period))
    assert (calls["answered"].value, calls["missed"].value) == (2, 1)
    assert calls["average_seconds"].value == 90
    sources = _figures(dashboard.compute("sources", principal=principal, period=period))
    assert {k: p.value for k, p in sources.items()} == {"phone_ai": 1, "manual": 1}
    funnel = _figures(dashboard.compute("funnel", principal=principal, period=period))
    assert funnel["new"].value == 2
    booked = _figures(dashboard.compute("appointments", principal=principal, period=period))
    assert booked["booked"].value == 1
    counts = [calls["answered"], calls["missed"], *sources.values(), *funnel.values(),
              booked["booked"]]  # fmt: skip
    for part in counts:
        assert _list_total(tenant, part.href) == part.value, part

    days = dashboard.compute("per_day", principal=principal, period=period).parts
    assert len(days) == 30 and sum(p.value for p in days) == 3


def test_a_range_is_counted_in_the_businesss_zone() -> None:
    period = dashboard.parse_range("custom", "2026-12-01", "2026-12-01", "Asia/Jerusalem")
    # 23:30 in Israel on 1 December is 21:30 UTC: inside; 00:30 on 2 December is outside.
    assert period.start == datetime(2026, 12, 1, tzinfo=ZONE)
    assert period.end == datetime(2026, 12, 2, tzinfo=ZONE)
    assert len(dashboard.parse_range("7d", "", "", "Asia/Jerusalem").days()) == 7
    for bad in (("custom", "2026-12-05", "2026-12-01"), ("custom", "2025-01-01", "2026-12-01"),
                ("forever", "", "")):  # fmt: skip
        with pytest.raises(InvalidInput):
            dashboard.parse_range(*bad, "Asia/Jerusalem")


def test_a_tile_that_fails_shows_its_error_and_the_others_still_count(
    tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> list[dashboard.Part]:
        raise RuntimeError("the sources query failed")

    monkeypatch.setitem(dashboard.TILES, "sources", broken)
    principal = tenant.principal(Role.OWNER)
    period = dashboard.parse_range("7d", "", "", principal.timezone)

    failed = dashboard.compute("sources", principal=principal, period=period)
    assert failed.error == "RuntimeError" and failed.parts == []
    calls = dashboard.compute("calls", principal=principal, period=period)
    assert calls.error == "" and _figures(calls)["answered"].value == 2


def test_another_business_is_never_counted(tenant: Tenant) -> None:
    other = make_tenant(name="עסק אחר")
    principal = other.principal(Role.OWNER)
    period = dashboard.parse_range("30d", "", "", principal.timezone)
    calls = _figures(dashboard.compute("calls", principal=principal, period=period))
    assert (calls["answered"].value, calls["missed"].value) == (0, 0)


def test_the_latest_activity_merges_leads_calls_notes_and_status_changes(tenant: Tenant) -> None:
    principal = tenant.principal(Role.OWNER)
    with unit_of_work() as session:
        dana = lead_query.fetch_page(
            session, principal=principal, filters=lead_query.parse_filters({"q": "דנה"})
        ).rows[0]
        won = next(s for s in statuses.list_statuses(session, business_id=tenant.id)
                   if s.key == "contacted")  # fmt: skip
        lead = leads.get_lead(session, principal=principal, lead_id=dana.id)
        leads.change_status(session, principal=principal, lead=lead, status_id=won.id or 0)
        notes.add_note(session, principal=principal, lead_id=dana.id,
                       text="  ביקשה   הצעת מחיר " + "x" * 100)  # fmt: skip
    other = make_tenant(name="עסק אחר")
    make_lead(other, name="של אחר")
    period = dashboard.parse_range("7d", "", "", principal.timezone)

    with unit_of_work(read_only=True) as session:
        latest = dashboard.latest_activity(session, principal=principal, before=period.end)

    assert [a.kind for a in latest[:2]] == ["note", "status"]  # newest first
    assert latest[0].detail.startswith("ביקשה הצעת מחיר x") and latest[0].detail.endswith("…")
    assert latest[1].detail == "contacted" and latest[1].href == f"/leads/{dana.id}"
    assert {a.kind for a in latest} == {"note", "status", "call", "lead"}
    assert len(latest) == dashboard.LATEST
    assert all(a.lead_name != "של אחר" for a in latest)
    with unit_of_work(read_only=True) as session:  # the range's end bounds the list
        earlier = dashboard.latest_activity(
            session, principal=principal, before=utcnow() - timedelta(days=20)
        )
    assert [a.kind for a in earlier] == ["call"]  # only the call 40 days ago


def _tiles_both_ways(tenant: Tenant, period: dashboard.Range) -> None:
    principal = tenant.principal(Role.OWNER)
    with unit_of_work(read_only=True) as session:
        for name, counted in dashboard.COUNTED.items():
            tallied = dashboard.TILES[name](session, principal, period)
            assert tallied == counted(session, principal, period), (name, period)


def test_the_running_totals_equal_counting_the_rows_through_every_kind_of_write(
    db: Database,
) -> None:
    tenant = make_tenant(name="Kathmandu clinic", locale="en")
    zone = "Asia/Kathmandu"  # +05:45: its midnight is on a quarter hour, not an hour
    now = utcnow()
    with unit_of_work() as session:
        session.execute(
            sa.update(Business).where(col(Business.id) == tenant.id).values(timezone=zone)
        )
    lead = make_lead(tenant, name="Dana", source=LeadSource.PHONE_AI)
    made = [
        make_call(
            tenant,
            lead,
            transcript=SAID if n % 3 else [],
            duration_sec=n * 7 or None,
            started_at=now - timedelta(hours=n * 5, minutes=n * 11),
        )  # fmt: skip
        for n in range(24)
    ]
    for n in range(6):
        make_lead(tenant, name=f"Lead {n}", source=(LeadSource.MANUAL, LeadSource.WEB_FORM)[n % 2])
    with unit_of_work() as session:
        ids = [c.id for c in made]
        # One statement, many rows: a transcript arrives, a length is corrected, calls move.
        session.execute(sa.update(Call).where(col(Call.id).in_(ids[:8])).values(transcript=SAID))
        session.execute(sa.update(Call).where(col(Call.id) == ids[9]).values(duration_sec=400))
        session.execute(
            sa.update(Call)
            .where(col(Call.id).in_(ids[10:14]))
            .values(created_at=Call.created_at - sa.text("interval '2 days 20 minutes'"))
        )
        session.execute(sa.update(Call).where(col(Call.id) == ids[15]).values(direction="outbound"))
        session.execute(sa.update(Call).where(col(Call.id) == ids[16]).values(summary="no count"))
        session.execute(sa.delete(Call).where(col(Call.id).in_(ids[18:20])))
        won = statuses.list_statuses(session, business_id=tenant.id)[-1]
        session.execute(
            sa.update(Lead)
            .where(col(Lead.business_id) == tenant.id, col(Lead.name).like("Lead %"))
            .values(status_id=won.id)
        )
        session.execute(sa.update(Lead).where(col(Lead.id) == lead.id).values(source="referral"))
    with unit_of_work() as session:
        session.execute(sa.delete(Lead).where(col(Lead.name) == "Lead 0"))

    today = utcnow().astimezone(ZoneInfo(zone)).date()
    for preset in ("today", "7d", "30d"):
        period = dashboard.parse_range(preset, "", "", zone)
        assert period.tallied
        _tiles_both_ways(tenant, period)
    _tiles_both_ways(tenant, dashboard.Range(today - timedelta(days=3), today, zone))
    principal = tenant.principal(Role.OWNER)
    with unit_of_work(read_only=True) as session:
        funnel = {p.key: p.value for p in dashboard.funnel_tile(session, principal, period)}
    assert funnel[won.key] == 5 and sum(funnel.values()) == 6


def test_a_range_whose_ends_are_off_the_quarter_hour_is_counted_from_the_rows() -> None:
    # Jerusalem kept its local mean time (+02:20:40) before 1880: no quarter hour.
    old = dashboard.Range(date(1870, 1, 1), date(1870, 1, 2), "Asia/Jerusalem")
    assert not old.tallied
    assert dashboard.parse_range("30d", "", "", "Asia/Jerusalem").tallied
