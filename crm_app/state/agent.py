"""The Voice agent section: what the agent says and does, its revisions, and restoring one.

The form's plain fields (instructions, greeting, voice, limits) are read from
the submitted form; the fields the agent collects are a list kept in the page's
state, because the owner adds and removes their own. Every save is a numbered
revision; the history shows what each one changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import json
import logging
import re
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import reflex as rx

from crm_app.db import unit_of_work
from crm_app.i18n import formats, translate
from crm_app.models import Business
from crm_app.services import agent, business_settings
from crm_app.services.agent import BUILTIN_FIELDS, AgentSettings, Change, RevisionView
from crm_app.services.agent_templates import TEMPLATES
from crm_app.services.auth import Principal
from crm_app.services.errors import DomainError
from crm_app.settings import get_settings
from crm_app.state.session import SessionState
from crm_app.state.settings import SECTION_LOADERS

# What a template, a revision's diff and the form are built from (compiled into the page).
VOICES = list(agent.VOICES)
TEMPLATE_KINDS = list(TEMPLATES)
LONG_TEXT = ("instructions", "greeting")
# A test call that has not ended by then is stopped.
TEST_CALL_SECONDS = 180
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FieldRow:
    """Something the agent asks every caller."""

    key: str
    label: str
    builtin: bool
    on: bool


@dataclass(frozen=True)
class DiffLine:
    """A line of a revision's diff: ``+`` added, ``-`` removed, ``=`` a value before/after."""

    sign: str
    text: str


@dataclass(frozen=True)
class ChangeRow:
    """One setting a revision changed."""

    field: str
    lines: tuple[DiffLine, ...]


@dataclass(frozen=True)
class TestLine:
    """A line of the test call, as it was said."""

    speaker: str
    text: str


@dataclass(frozen=True)
class RevisionRow:
    """A revision in the history."""

    number: int
    author: str
    when: str
    restored_from: int
    current: bool
    changes: tuple[ChangeRow, ...]


def _show_value(value: Any, locale: str) -> str:
    if value is None:
        return translate("agent.default_value", locale)
    if isinstance(value, bool):
        return translate("agent.on" if value else "agent.off", locale)
    if isinstance(value, list):
        return ", ".join(
            str(v.get("label") or translate(f"agent.collect.{v['key']}", locale)) for v in value
        )
    return str(value) if value != "" else translate("agent.empty_value", locale)


def _change_lines(change: Change, locale: str) -> tuple[DiffLine, ...]:
    if change.field in LONG_TEXT:
        before = str(change.before).splitlines()
        after = str(change.after).splitlines()
        return tuple(
            DiffLine(line[0], line[2:])
            for line in difflib.ndiff(before, after)
            if line[:1] in "+-" and line[2:].strip()
        ) or (DiffLine("=", translate("agent.whitespace_only", locale)),)
    return (
        DiffLine("-", _show_value(change.before, locale)),
        DiffLine("+", _show_value(change.after, locale)),
    )


def _revision_row(view: RevisionView, timezone: str, locale: str) -> RevisionRow:
    return RevisionRow(
        number=view.number,
        author=view.author or translate("agent.author_unknown", locale),
        when=formats.local_datetime(view.created_at, timezone),
        restored_from=view.restored_from or 0,
        current=view.current,
        changes=tuple(
            ChangeRow(translate(f"agent.field.{c.field}", locale), _change_lines(c, locale))
            for c in view.changes
        ),
    )


def _slug(label: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
    base = base if base[:1].isalpha() else f"field_{base}".rstrip("_")
    key, n = base[:36], 2
    while key in taken:
        key, n = f"{base[:33]}_{n}", n + 1
    return key


def _number(form: dict[str, Any], name: str) -> int | None:
    raw = str(form.get(name, "")).strip()
    return int(raw) if raw.isdigit() else None


class AgentState(SessionState):
    """The agent's current settings as the form shows them, and their history."""

    instructions: str = ""
    greeting: str = ""
    voice: str = "marin"
    agent_locale: str = ""
    asked: list[FieldRow] = []
    books_appointments: bool = False
    slot_minutes: int = 30
    booking_window_days: int = 30
    min_notice_minutes: int = 120
    silence_seconds: str = ""
    max_call_seconds: str = ""
    revision: int = 0
    history: list[RevisionRow] = []
    new_field: str = ""
    error: str = ""
    # Bumped whenever the fields are replaced from outside the form (a read, a template).
    version: int = 0
    test_running: bool = False
    test_lines: list[TestLine] = []
    test_call_id: int = 0
    test_error: str = ""
    _testing_draft: bool = False
    _draft: dict[str, Any] = {}  # the form a test call answers with

    @rx.var
    def default_silence(self) -> str:
        """The server's silence limit, shown when the business sets none."""
        return str(get_settings().call_silence_seconds)

    @rx.var
    def default_max_call(self) -> str:
        """The server's call length limit, shown when the business sets none."""
        return str(get_settings().max_call_seconds)

    def _show(self, settings: AgentSettings, number: int) -> None:
        self.instructions, self.greeting = settings.instructions, settings.greeting
        self.voice, self.agent_locale = settings.voice, settings.locale
        chosen = {f.key: f for f in settings.collect}
        self.asked = [
            FieldRow(key, translate(f"agent.collect.{key}", self.locale), True, key in chosen)
            for key in BUILTIN_FIELDS
        ] + [
            FieldRow(f.key, f.label, False, True)
            for f in settings.collect
            if f.key not in BUILTIN_FIELDS
        ]
        self.books_appointments = settings.books_appointments
        self.slot_minutes = settings.slot_minutes
        self.booking_window_days = settings.booking_window_days
        self.min_notice_minutes = settings.min_notice_minutes
        self.silence_seconds = str(settings.silence_seconds or "")
        self.max_call_seconds = str(settings.max_call_seconds or "")
        self.revision = number
        self.version += 1

    def _read_history(self) -> None:
        principal = self._me()
        with unit_of_work() as session:
            views = agent.revisions(session, principal=principal)
            business = session.get(Business, principal.business_id)
            timezone = business.timezone if business else "UTC"
        self.history = [_revision_row(v, timezone, self.locale) for v in views]

    @rx.event
    def load(self) -> None:
        """Read the current settings and the history."""
        self.error = ""
        try:
            self._read_history()  # first: a business that never saved gets revision 1
            with unit_of_work() as session:
                settings, number = agent.get_current(session, principal=self._me())
            self._show(settings, number)
        except DomainError as exc:
            self.error = self._say(exc)

    @rx.event
    def use_template(self, form: dict[str, Any]) -> Any:
        """Replace the instructions, greeting and own fields with a template's (not saved yet)."""
        kind = str(form.get("template", ""))
        language = self.agent_locale or self.locale
        template = TEMPLATES.get(kind, {}).get(language)
        if template is None:
            return None
        self.instructions, self.greeting = template.instructions, template.greeting
        builtin = [f for f in self.asked if f.builtin]
        self.asked = builtin + [FieldRow(k, label, False, True) for k, label in template.collect]
        self.version += 1
        return rx.toast.info(self._t("agent.template_used"))

    @rx.event
    def toggle_field(self, key: str) -> None:
        """Ask, or stop asking, a built-in field."""
        self.asked = [
            FieldRow(f.key, f.label, f.builtin, not f.on) if f.key == key else f for f in self.asked
        ]

    @rx.event
    def set_new_field(self, value: str) -> None:
        """The label typed for a field of the owner's own."""
        self.new_field = value

    @rx.event
    def add_own_field(self) -> None:
        """Ask every caller something of the owner's own."""
        label = self.new_field.strip()[:80]
        if label:
            key = _slug(label, {f.key for f in self.asked})
            self.asked = [*self.asked, FieldRow(key, label, False, True)]
        self.new_field = ""

    @rx.event
    def remove_field(self, key: str) -> None:
        """Stop asking a field of the owner's own."""
        self.asked = [f for f in self.asked if f.builtin or f.key != key]

    def _from_form(self, form: dict[str, Any]) -> AgentSettings:
        return agent.parse(
            {
                "instructions": str(form.get("instructions", "")),
                "greeting": str(form.get("greeting", "")),
                "voice": str(form.get("voice", self.voice)),
                "locale": str(form.get("locale", "")),
                "collect": [
                    {"key": f.key} if f.builtin else {"key": f.key, "label": f.label}
                    for f in self.asked
                    if f.on
                ],
                "books_appointments": bool(form.get("books_appointments")),
                "slot_minutes": _number(form, "slot_minutes") or self.slot_minutes,
                "booking_window_days": _number(form, "booking_window_days")
                or self.booking_window_days,
                "min_notice_minutes": _number(form, "min_notice_minutes") or 0,
                "silence_seconds": _number(form, "silence_seconds"),
                "max_call_seconds": _number(form, "max_call_seconds"),
            }
        )

    @rx.event
    def mark_test(self) -> None:
        """The form is being submitted for a test call, not to be saved."""
        self._testing_draft = True

    @rx.event
    def save(self, form: dict[str, Any]) -> Any:
        """Save the form as the next revision (the next call uses it), or test-call it."""
        self.error = ""
        testing, self._testing_draft = self._testing_draft, False
        try:
            settings = self._from_form(form)
            if testing:
                self._draft = settings.model_dump(mode="json")
                return AgentState.test_call
            with unit_of_work() as session:
                saved = agent.save(session, principal=self._me(), settings=settings)
                number = saved.number
        except DomainError as exc:
            self.error = self._say(exc)
            return None
        self._show(settings, number)
        self._read_history()
        return rx.toast.success(self._t("agent.saved", number=number))

    @rx.event
    def restore(self, number: int) -> Any:
        """Bring an older revision back (as a new revision)."""
        self.error = ""
        try:
            with unit_of_work() as session:
                agent.restore(session, principal=self._me(), number=int(number))
                settings, current = agent.get_current(session, principal=self._me())
        except DomainError as exc:
            self.error = self._say(exc)
            return None
        self._show(settings, current)
        self._read_history()
        return rx.toast.success(self._t("agent.restored", number=int(number)))

    @rx.event(background=True)
    async def test_call(self) -> AsyncIterator[Any]:
        """Place a whole simulated call answered by the form as it is, line by line.

        The call runs in a process of its own (``simulate-call --lines --draft -``),
        with the bundled fakes and a job queue of its own, so that nothing of it
        reaches the server's real services; it lands in the CRM like any call (with
        no revision: the settings are not saved) and is linked here.
        """
        principal = self._me()
        async with self:
            if self.test_running or not self._draft:
                return
            draft, self._draft = self._draft, {}
            self.test_running, self.test_lines = True, []
            self.test_call_id, self.test_error = 0, ""
        try:
            phone = await asyncio.to_thread(_business_phone, principal)
            settings = agent.parse(draft)  # the page's own form, checked again
            async for event in _simulated_call(phone, settings):
                async with self:
                    if "line" in event:
                        line = event["line"]
                        speaker = self._t(f"calls.speaker.{line.get('speaker', 'call')}")
                        self.test_lines = [*self.test_lines, TestLine(speaker, line["text"])]
                    elif "done" in event:
                        self.test_call_id = int(event["done"]["call_id"])
                yield
        except DomainError as exc:
            async with self:
                self.test_error = self._say(exc)
        finally:
            async with self:
                self.test_running = False
                if not self.test_call_id and not self.test_error:
                    self.test_error = self._t("agent.test_failed")


def _business_phone(principal: Principal) -> str:
    with unit_of_work(read_only=True) as session:
        return business_settings.get_business(session, principal=principal).phone_number


async def _simulated_call(phone: str, draft: AgentSettings) -> AsyncIterator[dict[str, Any]]:
    """The test call's events: each line as it is said, then ``done`` with the call."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "crm_app",
        "simulate-call",
        "--business-phone",
        phone,
        "--lines",
        "--draft",
        "-",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdin and process.stdout and process.stderr
    process.stdin.write(draft.model_dump_json().encode())
    await process.stdin.drain()
    process.stdin.close()
    try:
        async with asyncio.timeout(TEST_CALL_SECONDS):
            async for raw in process.stdout:
                with contextlib.suppress(ValueError):
                    event = json.loads(raw)
                    if isinstance(event, dict):
                        yield event
            await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        if process.returncode:
            problem = (await process.stderr.read()).decode(errors="replace")[-2000:]
            logger.warning("test_call_failed code=%s %s", process.returncode, problem)


SECTION_LOADERS["agent"] = AgentState.load
