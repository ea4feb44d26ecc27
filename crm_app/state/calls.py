"""The calls page (filters in the URL, one page of rows) and the call detail panel.

The detail panel (:class:`CallViewState`) is shared by ``/calls`` and the
lead page's Calls tab: the same player, transcript, summary and pipeline.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any
from urllib.parse import quote, urlencode

import reflex as rx
from reflex.event import EventSpec

from crm_app.db import unit_of_work
from crm_app.jobs.queue import enqueue_pipeline
from crm_app.models import Lead
from crm_app.services import call_query, calls, statuses, tasks
from crm_app.services.auth import Principal
from crm_app.services.call_pipeline import reset_failed
from crm_app.services.errors import DomainError, NotFound
from crm_app.services.lead_query import BIGINT_MAX, is_row_id
from crm_app.state.call_views import (
    CallDetail,
    CallRow,
    StepRow,
    TranscriptRow,
    call_detail_view,
    call_list_row,
    step_rows,
    transcript_rows,
)
from crm_app.state.days import day_from_input
from crm_app.state.guard import principal_for_key
from crm_app.state.session import SESSION_KEY, SessionState
from crm_app.state.task_views import snoozed_until

PAGE_SIZE = 25
ALL = "all"  # "no filter" (Radix selects cannot hold an empty value)
SPEEDS = ("0.75", "1", "1.25", "1.5", "2")
RUNNING = ("queued", "running", "waiting")  # pipeline states the open panel follows
FOLLOW_EVERY = 2.0  # seconds between reads while the steps run
FOLLOW_AT_MOST = 900.0  # then the Refresh button is still there
_CALL_PATH = re.compile(r"^/calls/([^/]+)/?$")  # /calls/{id}: one call open beside the list


class CallsState(SessionState):
    """The list's filters (mirroring the URL) and one page of calls."""

    rows: list[CallRow] = []
    total: int = 0
    total_exact: bool = True
    next_cursor: str = ""
    prev_cursor: str = ""
    q: str = ""
    direction: str = ALL
    status: str = ALL
    recording: str = ALL
    date_from: str = ""
    date_to: str = ""
    lead_id: str = ""  # the lead filter, as in the URL
    outcome: str = ""  # answered | missed, from the dashboard's tiles
    lead_name: str = ""
    error: str = ""
    cursor: str = ""  # the page shown, kept when a call opens or closes

    @rx.var
    def has_filters(self) -> bool:
        """Whether anything narrows the list."""
        return bool(
            self.q
            or self.direction != ALL
            or self.status != ALL
            or self.recording != ALL
            or self.date_from
            or self.date_to
            or self.lead_id
            or self.outcome
        )

    def _params(self, changes: dict[str, str] | None = None) -> dict[str, str]:
        params = {
            "q": self.q,
            "direction": "" if self.direction == ALL else self.direction,
            "status": "" if self.status == ALL else self.status,
            "has_recording": "" if self.recording == ALL else self.recording,
            "from": self.date_from,
            "to": self.date_to,
            "lead_id": self.lead_id,
            "outcome": self.outcome,
        }
        params.update(changes or {})
        return {k: v for k, v in params.items() if v}

    def _go(
        self, changes: dict[str, str], replace: bool = False, path: str = "/calls"
    ) -> EventSpec:
        query = urlencode(self._params(changes))
        return rx.redirect(f"{path}?{query}" if query else path, replace=replace)

    def _call_in_path(self) -> str | None:
        """The ``{id}`` of ``/calls/{id}`` as written (None on the list alone)."""
        match = _CALL_PATH.match(self.router.url.path)
        return match.group(1) if match else None

    def _read_url(self) -> tuple[str, str]:
        params = dict(self.router.url.query_parameters)
        self.q = params.get("q", "")
        self.direction = params.get("direction") or ALL
        self.status = params.get("status") or ALL
        self.recording = params.get("has_recording") or ALL
        self.date_from, self.date_to = params.get("from", ""), params.get("to", "")
        self.lead_id = params.get("lead_id", "")
        self.outcome = params.get("outcome", "")
        return params.get("cursor", ""), params.get("call", "")

    def _fetch(self, principal: Principal, cursor: str) -> None:
        filters = call_query.parse_filters(self._params())
        with unit_of_work(read_only=True) as session:
            page = call_query.fetch_page(
                session,
                principal=principal,
                filters=filters,
                cursor=cursor or None,
                limit=PAGE_SIZE,
            )
            lead = session.get(Lead, filters.lead_id) if filters.lead_id else None
        self.lead_name = lead.name if lead and lead.business_id == principal.business_id else ""
        tz = principal.timezone
        self.rows = [call_list_row(c, name, self.locale, tz) for c, name in page.rows]
        self.total, self.total_exact = page.total, page.total_exact
        self.next_cursor, self.prev_cursor = page.next_cursor or "", page.prev_cursor or ""

    @rx.event
    def load(self) -> list[EventSpec] | EventSpec:
        """Read the URL and fetch one page; open the call ``/calls/{id}`` names.

        ``/calls?call={id}`` (older links) goes to ``/calls/{id}``; on ``/calls``
        alone a panel left open elsewhere (the lead page) closes.
        """
        cursor, old_link = self._read_url()
        if old_link and self._call_in_path() is None:
            return self._go(
                {"cursor": cursor}, replace=True, path=f"/calls/{quote(old_link, safe='')}"
            )
        self.cursor, self.error = cursor, ""
        try:
            self._fetch(self._me(), cursor)
        except DomainError as exc:
            self.rows, self.total = [], 0
            self.error = self._say(exc)
        # The open call's row is scrolled into view by assets/keyboard.js.
        return [self._language_script(), self._panel_event()]

    def _panel_event(self) -> EventSpec:
        """Open the call the path names (a junk or foreign id reads as not found), or close."""
        written = self._call_in_path()
        # Reflex types a handler reached through its class as a namespace, not a callable.
        event: EventSpec
        if written is None:
            event = CallViewState.close()  # type: ignore[operator]
        else:
            call_id = int(written) if is_row_id(written) else 0  # 0 reads as not found
            event = CallViewState.open_call(call_id)  # type: ignore[operator]
        return event

    @rx.event
    def select(self, call_id: int) -> EventSpec:
        """Open a call at its own URL, keeping the filters and the page."""
        return self._go({"cursor": self.cursor}, path=f"/calls/{int(call_id)}")

    @rx.event
    def deselect(self) -> EventSpec:
        """Back to the list alone, with the same filters and page."""
        return self._go({"cursor": self.cursor})

    @rx.event
    def search(self, value: str) -> EventSpec:
        """Search by phone as the user types (debounced by the input)."""
        return self._go({"q": value.strip()}, replace=True)

    @rx.event
    def set_direction(self, value: str) -> EventSpec:
        """Incoming, outgoing or all."""
        return self._go({"direction": "" if value == ALL else value})

    @rx.event
    def set_status(self, value: str) -> EventSpec:
        """One call status, or all."""
        return self._go({"status": "" if value == ALL else value})

    @rx.event
    def set_recording(self, value: str) -> EventSpec:
        """Only calls with (or without) a recording."""
        return self._go({"has_recording": "" if value == ALL else value})

    @rx.event
    def set_date_from(self, value: str) -> EventSpec | None:
        """Calls on or after this day (typed or picked)."""
        day = day_from_input(value)
        return None if day == self.date_from else self._go({"from": day})

    @rx.event
    def set_date_to(self, value: str) -> EventSpec | None:
        """Calls on or before this day (typed or picked)."""
        day = day_from_input(value)
        return None if day == self.date_to else self._go({"to": day})

    @rx.event
    def clear_lead(self) -> EventSpec:
        """Drop the lead filter."""
        return self._go({"lead_id": ""})

    @rx.event
    def clear_filters(self) -> EventSpec:
        """Back to every call."""
        return rx.redirect("/calls")

    @rx.event
    def next_page(self) -> EventSpec:
        """Older calls."""
        return self._go({"cursor": self.next_cursor})

    @rx.event
    def prev_page(self) -> EventSpec:
        """Newer calls."""
        return self._go({"cursor": self.prev_cursor})


CallView = tuple[CallDetail, list[TranscriptRow], list[StepRow]]


def _call_view(principal: Principal, call_id: int, locale: str) -> CallView:
    """The panel's call, transcript and steps (NotFound for another business's call)."""
    with unit_of_work(read_only=True) as session:
        call = calls.get_call(session, principal=principal, call_id=call_id)
        lead = session.get(Lead, call.lead_id) if call.lead_id else None
        labels = {
            status.key: statuses.status_label(status, locale)
            for status in statuses.list_statuses(session, business_id=call.business_id)
        }
    recommended = call.recommended_status
    label = labels.get(recommended, recommended) if recommended else ""
    return (
        call_detail_view(call, lead.name if lead else "", locale, principal.timezone, label),
        transcript_rows(call, locale),
        step_rows(call, locale, labels),
    )


def _fresh_view(session_key: str, call_id: int, locale: str) -> CallView | None:
    """:func:`_call_view` for a follower: None once signed out or the call is gone."""
    principal = principal_for_key(session_key)
    if principal is None:
        return None
    try:
        return _call_view(principal, call_id, locale)
    except NotFound:
        return None


class CallViewState(SessionState):
    """One call, open in the detail panel."""

    call: CallDetail = CallDetail()
    transcript: list[TranscriptRow] = []
    steps: list[StepRow] = []
    speed: str = "1"
    notice: str = ""

    @rx.var
    def is_open(self) -> bool:
        """Whether a call is shown."""
        return self.call.id != 0

    _following: bool = False

    def _show(self, principal: Principal, call_id: int) -> None:
        self.call, self.transcript, self.steps = _call_view(principal, call_id, self.locale)

    def _open(self, call_id: int) -> EventSpec | None:
        try:
            if not 0 < call_id <= BIGINT_MAX:
                raise NotFound("no such call")
            self._show(self._me(), call_id)
        except NotFound:
            self.call, self.transcript, self.steps = CallDetail(), [], []
            self.notice = self._t("errors.call_not_found")
        return self._follow_while_running()

    def _follow_while_running(self) -> EventSpec | None:
        running = self.call.pipeline_state in RUNNING and not self._following
        return CallViewState.follow if running else None

    @rx.event(background=True)
    async def follow(self) -> None:
        """While the call's post-call steps run, show their progress as it happens.

        Reads the call every few seconds until its steps finish, the panel shows
        another call or closes, or the session ends; one follower per panel.
        """
        async with self:
            if self._following:
                return
            self._following = True
        try:
            deadline = time.monotonic() + FOLLOW_AT_MOST
            while time.monotonic() < deadline:
                await asyncio.sleep(FOLLOW_EVERY)
                async with self:
                    call_id, locale = self.call.id, self.locale
                    # The session of the tab's latest event: signing out ends the follower.
                    key = str(self.router_data.get(SESSION_KEY, ""))
                    if self.call.pipeline_state not in RUNNING:
                        return
                view = await asyncio.to_thread(_fresh_view, key, call_id, locale)
                async with self:
                    if self.call.id != call_id:
                        continue  # the panel moved on to another call: follow that one
                    if view is None:
                        return
                    self.call, self.transcript, self.steps = view
        finally:
            async with self:
                self._following = False

    @rx.event
    def open_call(self, call_id: int) -> EventSpec | None:
        """Show a call of the user's business (another business's id reads as not found)."""
        self.notice, self.speed = "", "1"
        return self._open(int(call_id))

    @rx.event
    def refresh(self) -> EventSpec | None:
        """Read the call again (its pipeline may have moved on)."""
        return self._open(self.call.id) if self.call.id else None

    @rx.event
    def close(self) -> None:
        """Hide the panel."""
        self.call, self.transcript, self.steps, self.notice = CallDetail(), [], [], ""

    @rx.event
    def follow_up(self) -> Any:
        """One click: a task for me to call the caller back in an hour."""
        principal, call = self._me(), self.call
        if not call.lead_id:
            return None
        title = self._t("tasks.callback_title", name=call.lead_name or call.caller)
        due = snoozed_until("hour", timezone=principal.timezone)
        with unit_of_work() as session:
            tasks.create_task(
                session, principal=principal, title=title, due_at=due, lead_id=call.lead_id
            )
        return rx.toast.success(self._t("tasks.added"))

    @rx.event
    def set_speed(self, value: str) -> EventSpec | None:
        """Play the recording faster or slower."""
        if value not in SPEEDS:
            return None
        self.speed = value
        return rx.call_script(
            f"(document.getElementById('call-audio') || {{}}).playbackRate = {float(value)}"
        )

    @rx.event
    def rerun(self) -> EventSpec | None:
        """Queue the failed post-call steps again (owners and admins)."""
        principal, call_id = self._me(), self.call.id
        try:
            with unit_of_work() as session:
                steps = reset_failed(session, principal=principal, call_id=call_id)
        except DomainError as exc:
            self.notice = self._say(exc)
            return None
        if steps:
            enqueue_pipeline(call_id)
        self._show(principal, call_id)
        self.notice = self._t("calls.detail.rerun_queued")
        return self._follow_while_running()
