"""Lead exports: XLSX (the default) and Excel-safe CSV, from the list's own query.

Both formats stream in constant memory. On Postgres the CSV is produced by
``COPY (the list query) TO STDOUT`` with labels, dates and formula
neutralising done in SQL, which keeps it near COPY's own speed (leads
anchors, addendum); elsewhere a server-side cursor feeds ``csv.writer``.
XLSX cells are typed strings, so phones stay text and nothing is a formula.
The phone comes twice: as the screen writes it (``050-120-5600``) and in E.164.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import IO, Any, Literal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import xlsxwriter
from sqlmodel import Session, col

from crm_app.db import unit_of_work
from crm_app.i18n import translate
from crm_app.models import Lead, LeadField, LeadSource, LeadStatus, Role, utcnow
from crm_app.services import audit, lead_fields
from crm_app.services.auth import Principal, require_role
from crm_app.services.lead_query import OWNER, LeadFilters, base_select, count, ordered
from crm_app.services.phones import display_phone

Format = Literal["xlsx", "csv"]
FORMATS: tuple[Format, ...] = ("xlsx", "csv")
BACKGROUND_THRESHOLD = 1000  # the UI exports more rows than this in the background
HEADERS = (
    "id",
    "name",
    "phone",
    "phone_e164",
    "email",
    "status",
    "source",
    "owner",
    "city",
    "created",
    "last_contact",
    "reason",
    "service",
    "urgency",
)  # then a column for each of the business's own lead fields
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
_BATCH = 2000
Progress = Callable[[int], None]


def neutralise(value: str) -> str:
    """A CSV cell Excel will not run as a formula: ``'`` before = + - @ tab CR."""
    return "'" + value if value.startswith(_DANGEROUS) else value


def header_row(locale: str, fields: list[LeadField] | None = None) -> list[str]:
    """Column titles in the user's language, the business's own fields last."""
    own = [f.label_en if locale == "en" else f.label_he for f in fields or []]
    return [translate(f"export.col.{name}", locale) for name in HEADERS] + own


def _urgency_labels(locale: str) -> dict[str, str]:
    return {u: translate(f"lead.urgency.{u}", locale) for u in ("low", "normal", "high")}


def _custom_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _source_labels(locale: str) -> dict[str, str]:
    return {s.value: translate(f"source.{s.value}", locale) for s in LeadSource}


def _status_label(locale: str) -> Any:
    return col(LeadStatus.label_en) if locale == "en" else col(LeadStatus.label_he)


def _python_query(principal: Principal, filters: LeadFilters, locale: str) -> sa.Select[Any]:
    columns = (
        col(Lead.id),
        col(Lead.name),
        col(Lead.phone_e164),
        col(Lead.email),
        _status_label(locale),
        col(Lead.source),
        col(OWNER.name),
        col(Lead.city),
        col(Lead.created_at),
        col(Lead.last_contact_at),
        col(Lead.reason),
        col(Lead.service),
        col(Lead.urgency),
        col(Lead.custom_fields),
    )
    return ordered(base_select(principal, filters, *columns), filters)


def _rows(
    session: Session,
    principal: Principal,
    filters: LeadFilters,
    locale: str,
    fields: list[LeadField],
) -> Iterator[tuple[Any, ...]]:
    """Export rows as Python values, fetched in batches through a server-side cursor."""
    query = _python_query(principal, filters, locale).execution_options(yield_per=_BATCH)
    sources, urgencies = _source_labels(locale), _urgency_labels(locale)
    for row in session.execute(query):
        custom = row[13] or {}
        yield (
            row[0],
            row[1],
            display_phone(row[2]),
            row[2],
            row[3],
            row[4],
            sources.get(row[5], row[5]),
            row[6] or "",
            row[7],
            row[8],
            row[9],
            row[10],
            row[11],
            urgencies.get(row[12], ""),
            *(_custom_text(custom.get(f.key)) for f in fields),
        )


def _local(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    return value.astimezone(zone).replace(tzinfo=None) if value is not None else None


def write_xlsx(
    session: Session,
    *,
    principal: Principal,
    filters: LeadFilters,
    locale: str,
    out: IO[bytes],
    progress: Progress | None = None,
) -> int:
    """Write the leads as an XLSX workbook to ``out``; returns the row count."""
    zone = ZoneInfo(principal.timezone)
    workbook = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            "in_memory": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    sheet = workbook.add_worksheet(translate("leads.title", locale))
    if locale == "he":
        sheet.right_to_left()
    bold = workbook.add_format({"bold": True})
    when = workbook.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    fields = lead_fields.list_fields(session, business_id=principal.business_id)
    sheet.write_row(0, 0, header_row(locale, fields), bold)
    sheet.set_column(1, 1, 24)
    sheet.set_column(2, 4, 18)
    sheet.set_column(9, 10, 16)
    written = 0
    rows = _rows(session, principal, filters, locale, fields)
    for written, row in enumerate(rows, start=1):
        sheet.write_number(written, 0, row[0])
        for column in (*range(1, 9), *range(11, len(row))):
            sheet.write_string(written, column, row[column] or "")
        for column in (9, 10):
            if (value := _local(row[column], zone)) is not None:
                sheet.write_datetime(written, column, value, when)
        if progress and written % _BATCH == 0:
            progress(written)
    workbook.close()
    return written


def _sql_neutralised(expression: Any) -> Any:
    first = sa.func.substr(expression, 1, 1)
    return sa.case((first.in_(_DANGEROUS), sa.literal("'") + expression), else_=expression)


def _sql_display_phone(e164: Any) -> Any:
    """``phones.il_national`` in SQL; other numbers keep E.164 behind the formula guard."""
    prefix, length = sa.func.left(e164, 5), sa.func.length(e164)
    mobile = sa.and_(length == 13, prefix.in_(("+9725", "+9727")))
    landline = sa.and_(length == 12, prefix.in_(tuple(f"+972{d}" for d in "23489")))

    def part(start: int, size: int) -> Any:
        return sa.func.substr(e164, start, size)

    dash = sa.literal("-")
    return sa.case(
        (mobile, "0" + part(5, 2) + dash + part(7, 3) + dash + part(10, 4)),
        (landline, "0" + part(5, 1) + dash + part(6, 3) + dash + part(9, 4)),
        else_=_sql_neutralised(e164),
    )


def _sql_local(expression: Any, timezone: str) -> Any:
    return sa.func.coalesce(
        sa.func.to_char(sa.func.timezone(timezone, expression), "DD/MM/YYYY HH24:MI"), ""
    )


def copy_query(
    principal: Principal, filters: LeadFilters, locale: str, fields: list[LeadField] | None = None
) -> sa.Select[Any]:
    """The list query with every CSV cell computed by Postgres."""
    sources = _source_labels(locale)
    source = sa.case(
        *((col(Lead.source) == k, v) for k, v in sources.items()), else_=col(Lead.source)
    )
    urgency = sa.case(
        *((col(Lead.urgency) == k, v) for k, v in _urgency_labels(locale).items()), else_=""
    )
    own = [
        _sql_neutralised(sa.func.coalesce(col(Lead.custom_fields)[f.key].as_string(), ""))
        for f in fields or []
    ]
    columns = (
        col(Lead.id),
        _sql_neutralised(col(Lead.name)),
        _sql_display_phone(col(Lead.phone_e164)),
        col(Lead.phone_e164),  # validated E.164: its + must stay
        _sql_neutralised(col(Lead.email)),
        _sql_neutralised(_status_label(locale)),
        source,
        _sql_neutralised(sa.func.coalesce(col(OWNER.name), "")),
        _sql_neutralised(col(Lead.city)),
        _sql_local(col(Lead.created_at), principal.timezone),
        _sql_local(col(Lead.last_contact_at), principal.timezone),
        _sql_neutralised(col(Lead.reason)),
        _sql_neutralised(col(Lead.service)),
        urgency,
        *own,
    )
    return ordered(base_select(principal, filters, *columns), filters)


class _CountingWriter(io.RawIOBase):
    """Passes COPY's chunks on and counts finished lines for the progress bar."""

    def __init__(self, out: IO[bytes], progress: Progress | None) -> None:
        self.out, self.progress, self.lines, self._reported = out, progress, 0, 0

    def writable(self) -> bool:
        return True

    def write(self, chunk: Any) -> int:
        data = bytes(chunk)
        self.out.write(data)
        self.lines += data.count(b"\n")
        if self.progress and self.lines - self._reported >= _BATCH:
            self._reported = self.lines
            self.progress(self.lines)
        return len(data)


def _csv_copy(
    session: Session,
    principal: Principal,
    filters: LeadFilters,
    locale: str,
    out: IO[bytes],
    progress: Progress | None,
) -> int:
    connection = session.connection()
    fields = lead_fields.list_fields(session, business_id=principal.business_id)
    compiled = copy_query(principal, filters, locale, fields).compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        select_sql = cursor.mogrify(str(compiled), compiled.params).decode()
        writer = _CountingWriter(out, progress)
        cursor.copy_expert(f"COPY ({select_sql}) TO STDOUT WITH (FORMAT csv)", writer)
        return int(cursor.rowcount)
    finally:
        cursor.close()


def write_csv(
    session: Session,
    *,
    principal: Principal,
    filters: LeadFilters,
    locale: str,
    out: IO[bytes],
    progress: Progress | None = None,
) -> int:
    """Write the leads as CSV (UTF-8 with BOM, CRLF) to ``out``; returns the row count."""
    out.write(codecs.BOM_UTF8)
    header = io.StringIO()
    fields = lead_fields.list_fields(session, business_id=principal.business_id)
    csv.writer(header, lineterminator="\r\n").writerow(header_row(locale, fields))
    out.write(header.getvalue().encode())
    return _csv_copy(session, principal, filters, locale, out, progress)


def export_leads(
    *,
    principal: Principal,
    filters: LeadFilters,
    fmt: Format,
    locale: str,
    out: IO[bytes],
    progress: Progress | None = None,
    ip: str = "",
) -> int:
    """Export the filtered leads to ``out``, then audit it (owners and admins only).

    The export reads in a read-only transaction, however long it runs; the
    audit event is its own transaction.

    Raises:
        PermissionDenied: for agents.
    """
    require_role(principal, Role.OWNER, Role.ADMIN)
    writer = write_xlsx if fmt == "xlsx" else write_csv
    with unit_of_work(read_only=True) as session:
        rows = writer(
            session, principal=principal, filters=filters, locale=locale, out=out, progress=progress
        )
    with unit_of_work() as session:
        audit.record(
            session,
            principal=principal,
            business_id=principal.business_id,
            action="lead.export",
            entity="lead",
            details={"format": fmt, "filters": filters.to_params(), "rows": rows},
            ip=ip,
        )
    return rows


def export_filename(fmt: Format, timezone: str) -> str:
    """``leads-20261128-1405.xlsx``, in the business's local time (``timezone``)."""
    return f"leads-{utcnow().astimezone(ZoneInfo(timezone)):%Y%m%d-%H%M}.{fmt}"


def expected_rows(session: Session, *, principal: Principal, filters: LeadFilters) -> int:
    """About how many rows an export will have (for the progress bar and the threshold)."""
    total, _exact = count(session, principal=principal, filters=filters)
    return total
