"""The lead page: header, edits, status changes, tabs and previous/next."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import reflex as rx
from reflex.event import EventSpec

from crm_app.db import unit_of_work
from crm_app.i18n import translate
from crm_app.i18n.formats import local_datetime
from crm_app.models import Lead, LeadSource
from crm_app.services import (
    appointments,
    calls,
    lead_fields,
    lead_fill,
    lead_query,
    leads,
    statuses,
    timeline,
)
from crm_app.services.auth import Principal
from crm_app.services.errors import DomainError, NotFound
from crm_app.services.leads import LeadChanges
from crm_app.services.phones import display_phone
from crm_app.state.call_views import CallRow, call_list_row
from crm_app.state.lead_details import (
    DetailRow,
    FieldInput,
    SuggestionRow,
    custom_changes,
    detail_rows,
    field_inputs,
    suggestion_rows,
)
from crm_app.state.lead_views import AppointmentRow, TimelineRow, appointment_row, timeline_row
from crm_app.state.leads import Choice, StatusOption, owner_choices, status_options
from crm_app.state.session import SessionState

_LEAD_PATH = re.compile(r"^/leads/(\d+)/?$")
TABS = ("activity", "notes", "calls", "tasks", "files", "appointments")
DEFAULT_TAB = TABS[0]
# Puts ?tab= in the address without a navigation (no reload, no new history entry).
_TAB_IN_URL = (
    "(() => {{ const u = new URL(window.location.href); const tab = {tab};"
    " if (tab === {default}) u.searchParams.delete('tab'); else u.searchParams.set('tab', tab);"
    " window.history.replaceState(window.history.state, '', u); }})()"
)


def tab_from_url(value: str | None) -> str:
    """The tab named in ``?tab=``; the Activity tab for none or an unknown one."""
    return value if value in TABS else DEFAULT_TAB


def tab_in_url(tab: str) -> EventSpec:
    """Show ``tab`` in the address bar, so a reload or a shared link opens it."""
    return rx.call_script(_TAB_IN_URL.format(tab=json.dumps(tab), default=json.dumps(DEFAULT_TAB)))


@dataclass(frozen=True)
class LeadView:
    """The lead as its page shows it (form values are strings: ``status_id``, ``owner_id``)."""

    id: int = 0
    name: str = ""
    phone: str = ""
    phone_e164: str = ""
    email: str = ""
    city: str = ""
    status_id: str = ""
    status: str = ""
    status_color: str = "gray"
    owner_id: str = "none"
    owner: str = ""
    source: str = ""
    source_label: str = ""
    created: str = ""
    reason: str = ""
    service: str = ""
    urgency: str = ""


class LeadState(SessionState):
    """One lead of the signed-in user's business, with its activity."""

    found: bool = True
    lead_id: int = 0
    lead: LeadView = LeadView()
    status_options: list[StatusOption] = []
    owner_options: list[Choice] = []
    timeline: list[TimelineRow] = []
    calls: list[CallRow] = []
    appointments: list[AppointmentRow] = []
    prev_href: str = ""
    next_href: str = ""
    back_href: str = "/leads"
    tab: str = "activity"
    pending_status: str = ""
    reason: str = ""
    reason_open: bool = False
    edit_open: bool = False
    edit_error: str = ""
    details: list[DetailRow] = []
    suggestions: list[SuggestionRow] = []
    field_inputs: list[FieldInput] = []

    def _lead_id_from_url(self) -> int | None:
        match = _LEAD_PATH.match(self.router.url.path)
        return int(match.group(1)) if match and lead_query.is_row_id(match.group(1)) else None

    def _list_params(self) -> dict[str, str]:
        return dict(parse_qsl(self.router.url.query_parameters.get("from", "")))

    @rx.event
    def load(self) -> EventSpec:
        """Read the lead in the route; another business's id reads as not found."""
        lead_id = self._lead_id_from_url()
        self.tab = tab_from_url(self.router.url.query_parameters.get("tab"))
        try:
            if lead_id is None:
                raise NotFound("no such lead")
            self._refresh(self._me(), lead_id)
        except NotFound:
            self.found, self.lead, self.lead_id = False, LeadView(), 0
            self.timeline, self.calls, self.appointments = [], [], []
        return self._language_script()

    def _refresh(self, principal: Principal, lead_id: int) -> None:
        """Re-read the lead and everything on its tabs."""
        with unit_of_work() as session:
            lead = leads.get_lead(session, principal=principal, lead_id=lead_id)
            self._read_lead(session, principal, lead)
            items = timeline.lead_timeline(session, principal=principal, lead_id=lead_id)
            lead_calls = calls.calls_for_lead(session, principal=principal, lead_id=lead_id)
            booked = appointments.appointments_for_lead(
                session, principal=principal, lead_id=lead_id
            )
            self._neighbours(session, principal, lead_id)
        tz = principal.timezone
        self.timeline = [timeline_row(i, self.locale, tz) for i in items]
        lead_name = self.lead.name
        self.calls = [call_list_row(c, lead_name, self.locale, tz) for c in lead_calls]
        self.appointments = [appointment_row(a, self.locale, tz) for a in booked]

    def _read_lead(self, session: Any, principal: Principal, lead: Lead) -> None:
        status = leads.status_of(session, lead)
        owners = leads.business_users(session, principal=principal)
        owner = next((u for u in owners if u.id == lead.owner_id), None)
        self.found, self.lead_id = True, lead.id or 0
        self.lead = LeadView(
            id=lead.id or 0,
            name=lead.name,
            phone=display_phone(lead.phone_e164),
            phone_e164=lead.phone_e164,
            email=lead.email,
            city=lead.city,
            status_id=str(status.id),
            status=statuses.status_label(status, self.locale),
            status_color=status.color,
            owner_id=str(lead.owner_id or "none"),
            owner=owner.name if owner else "",
            source=lead.source,
            source_label=translate(f"source.{lead.source}", self.locale),
            created=local_datetime(lead.created_at, principal.timezone),
            reason=lead.reason,
            service=lead.service,
            urgency=lead.urgency or "none",
        )
        fields = lead_fields.list_fields(session, business_id=principal.business_id)
        self.details = detail_rows(lead, fields, self.locale)
        self.suggestions = suggestion_rows(lead, fields, self.locale)
        self.field_inputs = field_inputs(lead, fields, self.locale)
        self.status_options = status_options(
            statuses.list_statuses(session, business_id=principal.business_id), self.locale
        )
        self.owner_options = owner_choices(owners)

    def _neighbours(self, session: Any, principal: Principal, lead_id: int) -> None:
        params = self._list_params()
        self.back_href = f"/leads?{urlencode(params)}" if params else "/leads"
        self.prev_href = self.next_href = ""
        try:
            filters = lead_query.parse_filters(params)
        except DomainError:
            return
        prev_id, next_id = lead_query.neighbours(
            session, principal=principal, filters=filters, lead_id=lead_id
        )
        suffix = f"?{urlencode({'from': urlencode(params)})}" if params else ""
        self.prev_href = f"/leads/{prev_id}{suffix}" if prev_id else ""
        self.next_href = f"/leads/{next_id}{suffix}" if next_id else ""

    @rx.event
    def set_tab(self, tab: str) -> EventSpec:
        """Switch tabs; the address remembers the tab (``?tab=notes``)."""
        self.tab = tab_from_url(tab)
        return tab_in_url(self.tab)

    @rx.event
    def choose_status(self, status_id: str) -> Any:
        """Change the status at once, or ask for a reason when it is a closed one."""
        closed = any(o.id == status_id and o.closed for o in self.status_options)
        if closed:
            self.pending_status, self.reason, self.reason_open = status_id, "", True
            return None
        return self._apply_status(status_id, "")

    @rx.event
    def set_reason(self, value: str) -> None:
        """The reason typed in the dialog."""
        self.reason = value

    @rx.event
    def set_reason_open(self, value: bool) -> None:
        """Close the reason dialog (cancel)."""
        self.reason_open = value

    @rx.event
    def confirm_status(self) -> Any:
        """Apply the closed status with its reason."""
        return self._apply_status(self.pending_status, self.reason)

    def _apply_status(self, status_id: str, reason: str) -> Any:
        principal = self._me()
        with unit_of_work() as session:
            lead = leads.get_lead(session, principal=principal, lead_id=self.lead_id)
            leads.change_status(
                session, principal=principal, lead=lead, status_id=int(status_id), reason=reason
            )
        self.reason_open, self.pending_status = False, ""
        self._refresh(principal, self.lead_id)
        return rx.toast.success(self._t("lead.status_changed"))

    @rx.event
    def set_edit_open(self, value: bool) -> None:
        """Open or close the edit dialog."""
        self.edit_open, self.edit_error = value, ""

    @rx.event
    def save_edit(self, form: dict[str, str]) -> Any:
        """Validate and save the edited fields."""
        principal = self._me()
        self.edit_error = ""
        owner = form.get("owner", "none")
        changes = LeadChanges(
            name=form.get("name", ""),
            phone=form.get("phone", ""),
            email=form.get("email", ""),
            city=form.get("city", ""),
            reason=form.get("reason", ""),
            service=form.get("service", ""),
            urgency="" if form.get("urgency") in (None, "none") else form.get("urgency"),
            custom=custom_changes(form, self.field_inputs),
            source=LeadSource(form.get("source") or "manual"),
            owner_id=None if owner == "none" else int(owner),
            clear_owner=owner == "none",
        )
        try:
            with unit_of_work() as session:
                leads.update_lead(
                    session, principal=principal, lead_id=self.lead_id, changes=changes
                )
        except DomainError as exc:
            self.edit_error = self._say(exc)
            return None
        self.edit_open = False
        self._refresh(principal, self.lead_id)
        return rx.toast.success(self._t("lead.saved"))

    @rx.event
    def resolve_suggestion(self, key: str, accept: bool) -> Any:
        """Take the AI's value for a field, or dismiss it."""
        principal = self._me()
        with unit_of_work() as session:
            lead_fill.resolve_suggestion(
                session, principal=principal, lead_id=self.lead_id, key=key, accept=accept
            )
        self._refresh(principal, self.lead_id)
        return rx.toast.success(self._t("lead.suggestion_taken" if accept else "lead.dismissed"))
