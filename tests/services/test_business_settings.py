"""The business's settings, and the audit log that records who changed what."""

from __future__ import annotations

from datetime import date

import pytest

from crm_app.db import unit_of_work
from crm_app.models import Business, Role
from crm_app.services import audit, auth, business_settings
from crm_app.services.business_settings import BusinessChanges
from crm_app.services.errors import AuthenticationFailed, Conflict, InvalidInput, PermissionDenied
from tests.conftest import Database
from tests.factories import PASSWORD, make_tenant, unique_landline


def _update(tenant: object, **changes: object) -> Business:
    with unit_of_work() as session:
        return business_settings.update_business(
            session,
            principal=tenant.principal(Role.OWNER),  # type: ignore[attr-defined]
            changes=BusinessChanges(**changes),  # type: ignore[arg-type]
        )


def test_hours_ranges_and_closed_dates_are_saved_in_order(db: Database) -> None:
    tenant = make_tenant()
    saved = _update(
        tenant,
        hours={"mon": [["14:00", "18:00"], ["08:00", "12:00"]], "sun": [["09:00", "13:00"]]},
        closed_dates=["2026-12-25", "2026-10-02", "2026-12-25"],
        timezone="Europe/London",
        locale="en",
        region="gb",
        phone="020 7946 0958",
    )
    assert saved.business_hours == {
        "mon": [["08:00", "12:00"], ["14:00", "18:00"]],
        "sun": [["09:00", "13:00"]],
    }
    assert saved.closed_dates == ["2026-10-02", "2026-12-25"]
    assert (saved.timezone, saved.locale, saved.default_region, saved.phone_number) == (
        "Europe/London",
        "en",
        "GB",
        "+442079460958",
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"hours": {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}}, "hours"),  # overlap
        ({"hours": {"mon": [["12:00", "09:00"]]}}, "hours"),
        ({"hours": {"someday": [["09:00", "12:00"]]}}, "hours"),
        ({"hours": {"mon": [["9am", "12:00"]]}}, "hours"),
        ({"closed_dates": ["2026-02-30"]}, "closed_dates"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"region": "XX"}, "region"),
        ({"name": "   "}, "name"),
        ({"phone": "12"}, "phone"),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(
    db: Database, changes: dict[str, object], field: str
) -> None:
    tenant = make_tenant()
    with pytest.raises(InvalidInput) as refused:
        _update(tenant, **changes)
    assert refused.value.field == field
    with unit_of_work() as session:
        assert session.get(Business, tenant.id).business_hours == {}  # type: ignore[union-attr]


def test_another_businesss_line_cannot_be_taken_and_agents_change_nothing(db: Database) -> None:
    mine, theirs = make_tenant(), make_tenant()
    with pytest.raises(Conflict):
        _update(mine, phone=theirs.business.phone_number)
    with pytest.raises(PermissionDenied), unit_of_work() as session:
        business_settings.update_business(
            session, principal=mine.principal(Role.AGENT), changes=BusinessChanges(name="x")
        )


def test_the_audit_log_shows_who_changed_what_and_sign_ins_with_their_failures(
    db: Database,
) -> None:
    tenant = make_tenant()
    phone = unique_landline()
    _update(tenant, name="שם חדש", phone=phone)
    auth.sign_in(email=tenant.agent.email, password=PASSWORD, ip="127.0.0.80")
    with pytest.raises(AuthenticationFailed):
        auth.sign_in(email=tenant.agent.email, password="not the password", ip="127.0.0.80")
    owner = tenant.principal(Role.OWNER)
    with unit_of_work() as session:
        page = audit.list_events(session, principal=owner, filters=audit.AuditFilters())
        signins = audit.list_events(
            session, principal=owner, filters=audit.AuditFilters(action="auth")
        )
        mine = audit.list_events(
            session,
            principal=owner,
            filters=audit.AuditFilters(actor_id=tenant.owner.id, date_from=date.today()),
        )
    assert [e.action for e, _ in page.rows] == [
        "auth.sign_in_failed",
        "auth.sign_in",
        "business.update",
    ]
    failed, signed_in, update = (e for e, _ in page.rows)
    assert failed.actor_id is None and failed.ip == "127.0.0.80"
    assert [name for _, name in page.rows] == ["", "agent user", "owner user"]
    assert update.details["changed"]["name"][1] == "שם חדש"
    assert update.details["changed"]["phone_number"][1] == phone
    assert [e.action for e, _ in signins.rows] == ["auth.sign_in_failed", "auth.sign_in"]
    assert [e.action for e, _ in mine.rows] == ["business.update"]


def test_the_audit_log_pages_by_keyset_and_stays_in_its_business(db: Database) -> None:
    mine, theirs = make_tenant(), make_tenant()
    for i in range(5):
        _update(mine, name=f"שם {i}")
    _update(theirs, name="של אחרים")
    owner = mine.principal(Role.OWNER)
    seen: list[str] = []
    cursor = ""
    with unit_of_work() as session:
        while True:
            page = audit.list_events(
                session, principal=owner, filters=audit.AuditFilters(), cursor=cursor, limit=2
            )
            seen += [e.details["changed"]["name"][1] for e, _ in page.rows]
            if not page.next_cursor:
                break
            cursor = page.next_cursor
        with pytest.raises(InvalidInput):
            audit.list_events(session, principal=owner, filters=audit.AuditFilters(), cursor="x|y")
        with pytest.raises(PermissionDenied):
            audit.list_events(
                session, principal=mine.principal(Role.AGENT), filters=audit.AuditFilters()
            )
    assert seen == [f"שם {i}" for i in reversed(range(5))]
