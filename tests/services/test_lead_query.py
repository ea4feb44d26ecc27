"""The one lead query: search by phone variants and text, filters, sort, keyset paging."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from crm_app.db import unit_of_work
from crm_app.models import Lead, LeadSource, Role, utcnow
from crm_app.services import lead_query, leads, statuses
from crm_app.services.errors import InvalidInput
from crm_app.services.lead_query import LeadFilters, fetch_page, parse_filters
from tests.conftest import Database
from tests.factories import Tenant, make_lead, make_tenant


def _names(tenant: Tenant, **filters: object) -> list[str]:
    with unit_of_work() as session:
        page = fetch_page(
            session, principal=tenant.principal(), filters=LeadFilters(**filters), limit=200
        )
    return [row.name for row in page.rows]


@pytest.mark.parametrize(
    "typed",
    ["054-123", "0541234567", "+972541234567", "972 54 123 4567", "054-1234567", "4567", "1234"],
)
def test_every_way_of_typing_the_phone_finds_the_lead(db: Database, typed: str) -> None:
    tenant = make_tenant()
    make_lead(tenant, name="דנה כהן", phone="+972541234567")
    make_lead(tenant, name="Other", phone="+972529876543")
    assert _names(tenant, q=typed) == ["דנה כהן"]


def test_text_search_over_name_and_email_in_hebrew_and_english(db: Database) -> None:
    tenant = make_tenant()
    make_lead(tenant, name="דנה כהן")
    make_lead(tenant, name="Adam Smith", email="adam@Gmail.com")
    make_lead(tenant, name="יוסי לוי", email="yossi@walla.co.il")
    assert _names(tenant, q="כהן") == ["דנה כהן"]
    assert _names(tenant, q="SMITH") == ["Adam Smith"]
    assert _names(tenant, q="gmail") == ["Adam Smith"]
    assert _names(tenant, q="walla") == ["יוסי לוי"]


def test_search_treats_like_wildcards_as_text(db: Database) -> None:
    tenant = make_tenant()
    make_lead(tenant, name="100% לקוח")
    make_lead(tenant, name="1000 לקוח")
    assert _names(tenant, q="100%") == ["100% לקוח"]
    assert _names(tenant, q="_") == []


def test_search_never_crosses_businesses(db: Database) -> None:
    mine, theirs = make_tenant(), make_tenant()
    make_lead(theirs, name="כהן של אחרים", phone="+972541112233")
    assert _names(mine, q="כהן") == []
    assert _names(mine, q="0541112233") == []


def test_filters_by_status_source_owner_and_dates(db: Database) -> None:
    tenant = make_tenant()
    a = make_lead(tenant, name="a", source=LeadSource.PHONE_AI, owner_id=tenant.agent.id)
    make_lead(tenant, name="b", source=LeadSource.WEB_FORM)
    c = make_lead(tenant, name="c", source=LeadSource.WEB_FORM, owner_id=tenant.admin.id)
    with unit_of_work() as session:
        won = statuses.status_by_key(session, business_id=tenant.id, key="won")
        lead_c = session.get(Lead, c.id)
        assert lead_c is not None and won.id is not None
        leads.change_status(
            session, principal=tenant.principal(), lead=lead_c, status_id=won.id, reason="signed"
        )
        lead_a = session.get(Lead, a.id)
        assert lead_a is not None
        lead_a.created_at = utcnow() - timedelta(days=10)
    assert _names(tenant, statuses=("won",)) == ["c"]
    assert sorted(_names(tenant, statuses=("new", "won"))) == ["a", "b", "c"]
    assert sorted(_names(tenant, sources=("web_form",))) == ["b", "c"]
    assert _names(tenant, owner="unassigned") == ["b"]
    assert _names(tenant, owner=str(tenant.admin.id)) == ["c"]
    agent = tenant.principal(role=Role.AGENT)
    with unit_of_work() as session:
        mine = fetch_page(session, principal=agent, filters=LeadFilters(owner="me"))
    assert [r.name for r in mine.rows] == ["a"]
    today = utcnow().date()
    assert sorted(_names(tenant, created_from=today - timedelta(days=1))) == ["b", "c"]
    assert _names(tenant, created_to=today - timedelta(days=5)) == ["a"]


def test_sorts_are_total_and_reversible(db: Database) -> None:
    tenant = make_tenant()
    for name in ("בני", "אבי", "גל"):
        make_lead(tenant, name=name)
    assert _names(tenant, sort="name") == ["אבי", "בני", "גל"]
    assert _names(tenant, sort="-name") == ["גל", "בני", "אבי"]
    assert _names(tenant) == ["גל", "אבי", "בני"]  # newest first by default


def test_keyset_pages_cover_every_lead_once_even_with_equal_timestamps(db: Database) -> None:
    tenant = make_tenant()
    same_moment = utcnow()
    for i in range(23):
        make_lead(tenant, name=f"lead {i:02d}")
    with unit_of_work() as session:  # an import: many leads share one created_at
        for lead in session.exec(select(Lead).where(Lead.business_id == tenant.id)):
            lead.created_at = same_moment
            session.add(lead)
    seen: list[str] = []
    cursor = None
    with unit_of_work() as session:
        while True:
            page = fetch_page(
                session, principal=tenant.principal(), filters=LeadFilters(), cursor=cursor, limit=5
            )
            seen += [r.name for r in page.rows]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert page.total == 23 and page.total_exact
        back = fetch_page(
            session,
            principal=tenant.principal(),
            filters=LeadFilters(),
            cursor=page.prev_cursor,
            limit=5,
        )
    assert len(seen) == 23 and len(set(seen)) == 23
    assert [r.name for r in back.rows] == seen[-8:-3]


def test_neighbours_follow_the_list_order(db: Database) -> None:
    tenant = make_tenant()
    made = [make_lead(tenant, name=n) for n in ("אבי", "בני", "גל")]
    with unit_of_work() as session:
        prev_id, next_id = lead_query.neighbours(
            session,
            principal=tenant.principal(),
            filters=LeadFilters(sort="name"),
            lead_id=made[1].id,
        )
    assert (prev_id, next_id) == (made[0].id, made[2].id)


def test_parse_filters_reads_the_url_and_refuses_nonsense() -> None:
    filters = parse_filters(
        {
            "q": " כהן ",
            "status": "new,won",
            "source": "phone_ai",
            "owner": "me",
            "created_from": "2026-11-01",
            "sort": "name",
        }
    )
    assert filters == LeadFilters(
        q="כהן",
        statuses=("new", "won"),
        sources=("phone_ai",),
        owner="me",
        created_from=date(2026, 11, 1),
        sort="name",
    )
    assert parse_filters(filters.to_params()) == filters
    for bad in (
        {"sort": "password"},
        {"source": "x"},
        {"owner": "everyone"},
        {"created_to": "soon"},
        {"ids": "1,a"},
    ):
        with pytest.raises(InvalidInput):
            parse_filters(bad)


def test_count_is_exact_below_the_cap(db: Database) -> None:
    tenant = make_tenant()
    for _ in range(3):
        make_lead(tenant)
    with unit_of_work() as session:
        assert lead_query.count(session, principal=tenant.principal(), filters=LeadFilters()) == (
            3,
            True,
        )


def test_count_above_the_cap_uses_an_estimate_on_postgres(db: Database) -> None:
    tenant = make_tenant()
    with unit_of_work() as session:
        status = statuses.default_status(session, business_id=tenant.id)
        session.add_all(
            [
                Lead(
                    business_id=tenant.id,
                    name=f"bulk {i}",
                    phone_e164=f"+97250{i:07d}",
                    phone_digits=f"97250{i:07d}",
                    status_id=status.id,
                )  # type: ignore[arg-type]
                for i in range(1200)
            ]
        )
    with unit_of_work() as session:
        session.connection().exec_driver_sql("ANALYZE lead")
        total, exact = lead_query.count(
            session, principal=tenant.principal(), filters=LeadFilters()
        )
        by_status = lead_query.count(
            session, principal=tenant.principal(), filters=LeadFilters(statuses=("new", "won"))
        )
    assert not exact and total >= 1001
    assert not by_status[1] and by_status[0] >= 1001


@pytest.mark.parametrize("typed", ["072-2345", "0722345", "722345"])
def test_middle_of_number_search_with_its_leading_zero(db: Database, typed: str) -> None:
    tenant = make_tenant()
    make_lead(tenant, name="starts with it", phone="+972722345678")
    make_lead(tenant, name="landline", phone="03-072-2345")
    make_lead(tenant, name="mobile", phone="054-072-2345")
    make_lead(tenant, name="Other", phone="+972529876543")
    assert sorted(_names(tenant, q=typed)) == ["landline", "mobile", "starts with it"]


def test_a_short_national_fragment_is_still_a_prefix(db: Database) -> None:
    tenant = make_tenant()
    make_lead(tenant, name="starts with 0541", phone="+972541234567")
    make_lead(tenant, name="541 in the middle", phone="+972525411111")
    assert _names(tenant, q="0541") == ["starts with 0541"]
