"""Exports: XLSX with phones as text, Excel-safe CSV with a BOM, the list's filters, audited."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl
import pytest
from sqlmodel import select

from crm_app.db import unit_of_work
from crm_app.models import AuditEvent, Lead, Role
from crm_app.services import exports, lead_fields
from crm_app.services.errors import PermissionDenied
from crm_app.services.lead_query import LeadFilters
from crm_app.services.phones import display_phone
from tests.conftest import Database
from tests.factories import Tenant, make_lead, make_tenant


def _export(
    tenant: Tenant,
    fmt: exports.Format,
    locale: str = "he",
    role: Role = Role.OWNER,
    **filters: object,
) -> bytes:
    out = io.BytesIO()
    exports.export_leads(
        principal=tenant.principal(role),
        filters=LeadFilters(**filters),
        fmt=fmt,
        locale=locale,
        out=out,
    )
    return out.getvalue()


def _tricky_tenant() -> Tenant:
    tenant = make_tenant()
    lead = make_lead(tenant, name='=HYPERLINK("http://evil")', phone="054-1234567", email="a@b.co")
    make_lead(
        tenant, name="דנה כהן", phone="+12025550123", city="-tel aviv", owner_id=tenant.agent.id
    )
    with unit_of_work() as session:  # a fixed time, to check the business's time zone
        row = session.get(Lead, lead.id)
        assert row is not None
        row.created_at = datetime(2026, 11, 28, 22, 30, tzinfo=UTC)
    return tenant


def test_csv_has_a_bom_translated_headers_and_neutralised_cells(db: Database) -> None:
    tenant = _tricky_tenant()
    data = _export(tenant, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == [
        "מזהה",
        "שם",
        "טלפון",
        "טלפון (E.164)",
        "אימייל",
        "סטטוס",
        "מקור",
        "אחראי",
        "עיר",
        "נוצר",
        "קשר אחרון",
        "סיבת הפנייה",
        "השירות המבוקש",
        "דחיפות",
    ]
    by_name = {r[1]: r for r in rows[1:]}
    evil = by_name['\'=HYPERLINK("http://evil")']
    assert evil[2:4] == ["054-123-4567", "+972541234567"]  # as displayed, then E.164
    assert evil[5] == "חדש" and evil[6] == "ידני"
    assert evil[9] == "29/11/2026 00:30"  # Asia/Jerusalem, not UTC
    other = by_name["דנה כהן"]
    assert other[2:4] == ["'+12025550123", "+12025550123"]  # a foreign number keeps E.164
    assert other[8] == "'-tel aviv" and other[7] == "agent user"


def test_csv_in_english_follows_the_users_language(db: Database) -> None:
    tenant = _tricky_tenant()
    rows = list(csv.reader(io.StringIO(_export(tenant, "csv", locale="en").decode("utf-8-sig"))))
    assert rows[0][:3] == ["ID", "Name", "Phone"]
    assert rows[0][3] == "Phone (E.164)"
    assert {r[5] for r in rows[1:]} == {"New"} and {r[6] for r in rows[1:]} == {"Manual"}


def test_xlsx_keeps_phones_as_text_and_formulas_as_text(db: Database) -> None:
    tenant = _tricky_tenant()
    sheet = openpyxl.load_workbook(io.BytesIO(_export(tenant, "xlsx"))).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][2] == "טלפון"
    evil = next(r for r in values[1:] if str(r[1]).startswith("=HYPERLINK"))
    cell = next(c for c in sheet["B"] if str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s"  # a string cell, not a formula
    assert evil[2:4] == ("054-123-4567", "+972541234567")
    assert {c.data_type for c in sheet["C"] + sheet["D"]} == {"s"}  # phones are text cells
    other = next(r for r in values[1:] if r[1] == "דנה כהן")
    assert other[2:4] == ("+1 202-555-0123", "+12025550123")  # international, as on screen
    assert evil[9] == datetime(2026, 11, 29, 0, 30)  # local time in the business's zone
    assert sheet.sheet_view.rightToLeft


def test_export_uses_the_lists_filters_and_selection(db: Database) -> None:
    tenant = make_tenant()
    keep = make_lead(tenant, name="כהן ראשון")
    make_lead(tenant, name="לוי")
    second = make_lead(tenant, name="כהן שני")
    rows = list(
        csv.reader(io.StringIO(_export(tenant, "csv", q="כהן", sort="name").decode("utf-8-sig")))
    )
    assert [r[1] for r in rows[1:]] == ["כהן ראשון", "כהן שני"]
    rows = list(
        csv.reader(
            io.StringIO(_export(tenant, "csv", ids=(keep.id, second.id)).decode("utf-8-sig"))
        )
    )
    assert sorted(r[1] for r in rows[1:]) == ["כהן ראשון", "כהן שני"]


def test_agents_cannot_export(db: Database) -> None:
    tenant = make_tenant()
    with pytest.raises(PermissionDenied):
        _export(tenant, "csv", role=Role.AGENT)


def test_every_export_is_audited_with_who_filters_rows_and_format(db: Database) -> None:
    tenant = make_tenant()
    make_lead(tenant, name="כהן")
    _export(tenant, "xlsx", role=Role.ADMIN, q="כהן")
    with unit_of_work() as session:
        event = session.exec(
            select(AuditEvent).where(
                AuditEvent.business_id == tenant.id, AuditEvent.action == "lead.export"
            )
        ).one()
    assert event.actor_id == tenant.admin.id
    assert event.details == {"format": "xlsx", "filters": {"q": "כהן"}, "rows": 1}


def test_export_of_another_business_is_empty(db: Database) -> None:
    tenant, other = make_tenant(), make_tenant()
    foreign = make_lead(other)
    rows = list(
        csv.reader(io.StringIO(_export(tenant, "csv", ids=(foreign.id,)).decode("utf-8-sig")))
    )
    assert rows[1:] == []


@pytest.mark.parametrize(
    ("e164", "shown"),
    [
        ("+972501205600", "050-120-5600"),
        ("+972722345678", "072-234-5678"),
        ("+97221234567", "02-123-4567"),
        ("+97298765432", "09-876-5432"),
    ],
)
def test_csv_phones_read_as_the_screen_shows_them(db: Database, e164: str, shown: str) -> None:
    tenant = make_tenant()
    make_lead(tenant, phone=e164)
    rows = list(csv.reader(io.StringIO(_export(tenant, "csv").decode("utf-8-sig"))))
    assert rows[1][2:4] == [shown, e164]
    assert display_phone(e164) == shown  # the screen's own formatting


def test_file_name_uses_the_business_local_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "utcnow", lambda: datetime(2026, 11, 28, 22, 30, tzinfo=UTC))
    assert exports.export_filename("csv", "Asia/Jerusalem") == "leads-20261129-0030.csv"
    assert exports.export_filename("xlsx", "UTC") == "leads-20261128-2230.xlsx"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_businesss_own_fields_and_the_callers_reason_are_exported(
    db: Database, fmt: str
) -> None:
    tenant = _tricky_tenant()
    with unit_of_work() as session:
        for label, kind in (("Car model", "text"), ("Visits", "number")):
            lead_fields.create_field(
                session,
                principal=tenant.principal(Role.OWNER),
                new=lead_fields.FieldInput(label_he=label, label_en=label, kind=kind),
            )
        lead = session.exec(select(Lead).where(Lead.business_id == tenant.id)).first()
        assert lead is not None
        lead.reason, lead.urgency = "=evil()", "high"
        lead.custom_fields = {"x-car-model": "@Mazda", "x-visits": 3}
        lead_id = lead.id
    data = _export(tenant, fmt)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(data)).active
        assert sheet is not None
        rows = [["" if v is None else str(v) for v in r] for r in sheet.iter_rows(values_only=True)]
    assert rows[0][-5:] == ["סיבת הפנייה", "השירות המבוקש", "דחיפות", "Car model", "Visits"]
    row = next(r for r in rows[1:] if r[0] == str(lead_id))
    reason = "'=evil()" if fmt == "csv" else "=evil()"  # XLSX cells are text, never formulas
    car = "'@Mazda" if fmt == "csv" else "@Mazda"
    assert row[-5:] == [reason, "", "דחוף", car, "3"]
