"""The voice agent's settings: validated, saved as numbered revisions, restorable.

The business row holds the current settings (the bridge reads them at the
start of every call); each save also writes the whole set as a numbered
:class:`~crm_app.models.AgentRevision`, so any revision can be looked at,
compared with the one before it, and restored (which is itself a new
revision). A business that never saved gets revision 1 from its current
columns the first time the history is needed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlmodel import Session, col, select

from crm_app.models import AgentRevision, Business, Role, User
from crm_app.services import audit, lead_fields
from crm_app.services.auth import Principal, require_role
from crm_app.services.errors import InvalidInput, NotFound

logger = logging.getLogger(__name__)
# The Realtime API's voices.
VOICES = ("alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar")
BUILTIN_FIELDS = ("name", "reason", "callback_time", "city", "service", "urgency")
DEFAULT_COLLECT: list[dict[str, str]] = [{"key": key} for key in BUILTIN_FIELDS[:3]]


class CollectField(BaseModel):
    """Something the agent asks every caller: a built-in field, or one the owner named."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={  # what the validator below checks, for API clients
            "anyOf": [
                {"properties": {"key": {"enum": list(BUILTIN_FIELDS)}}},
                {"required": ["label"], "properties": {"label": {"pattern": r"\S"}}},
            ]
        },
    )

    key: str = Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_-]*$")
    label: str = Field(default="", max_length=80)

    @model_validator(mode="after")
    def _custom_fields_have_labels(self) -> CollectField:
        if self.key not in BUILTIN_FIELDS and not self.label.strip():
            raise ValueError("a field of your own needs a label")
        return self


class AgentSettings(BaseModel):
    """Everything the owner sets about the voice agent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    instructions: str = Field(default="", max_length=8000)
    greeting: str = Field(default="", max_length=500)
    voice: Literal[VOICES] = "marin"  # type: ignore[valid-type]
    locale: Literal["", "he", "en"] = ""  # "": the business's language
    collect: tuple[CollectField, ...] = Field(
        default=tuple(CollectField(**f) for f in DEFAULT_COLLECT),
        description="what to ask every caller; each key once",
    )
    books_appointments: bool = False
    slot_minutes: int = Field(default=30, ge=5, le=240)
    booking_window_days: int = Field(default=30, ge=1, le=365)
    min_notice_minutes: int = Field(default=120, ge=0, le=10080)
    silence_seconds: int | None = Field(default=None, ge=5, le=600)
    max_call_seconds: int | None = Field(default=None, ge=30, le=3600)

    @field_validator("collect")
    @classmethod
    def _unique_keys(cls, fields: tuple[CollectField, ...]) -> tuple[CollectField, ...]:
        keys = [f.key for f in fields]
        if len(keys) != len(set(keys)):
            raise ValueError("each field is asked once")
        return fields


@dataclass(frozen=True)
class Change:
    """One setting that differs between two revisions."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class RevisionView:
    """A revision as the history shows it."""

    number: int
    author: str
    created_at: Any
    restored_from: int | None
    changes: list[Change]
    current: bool


def parse(values: dict[str, Any]) -> AgentSettings:
    """Validate settings from a form or the API; ``InvalidInput`` names the first bad field."""
    try:
        return AgentSettings.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        raise InvalidInput(
            f"{field}: {first['msg']}", field=field, key="errors.agent_invalid"
        ) from exc


def _columns(business: Business) -> dict[str, Any]:
    return dict(
        instructions=business.ai_instructions,
        greeting=business.greeting,
        voice=business.voice if business.voice in VOICES else "marin",
        locale=business.agent_locale if business.agent_locale in ("he", "en") else "",
        collect=tuple(business.collect_fields or DEFAULT_COLLECT),
        books_appointments=business.books_appointments,
        slot_minutes=business.slot_minutes,
        booking_window_days=business.booking_window_days,
        min_notice_minutes=business.min_notice_minutes,
        silence_seconds=business.silence_seconds,
        max_call_seconds=business.max_call_seconds,
    )


def current(business: Business) -> AgentSettings:
    """The settings the next call will use."""
    return AgentSettings.model_validate(_columns(business))


def _apply(business: Business, settings: AgentSettings) -> None:
    business.ai_instructions = settings.instructions
    business.greeting = settings.greeting
    business.voice = settings.voice
    business.agent_locale = settings.locale
    business.collect_fields = [f.model_dump(exclude_defaults=True) for f in settings.collect]
    business.books_appointments = settings.books_appointments
    business.slot_minutes = settings.slot_minutes
    business.booking_window_days = settings.booking_window_days
    business.min_notice_minutes = settings.min_notice_minutes
    business.silence_seconds = settings.silence_seconds
    business.max_call_seconds = settings.max_call_seconds


def _locked_business(session: Session, business_id: int) -> Business:
    business = session.exec(
        select(Business).where(col(Business.id) == business_id).with_for_update()
    ).first()
    if business is None:
        raise NotFound("no such business")
    return business


def _snapshot(settings: AgentSettings) -> dict[str, Any]:
    return settings.model_dump(mode="json")


def ensure_first_revision(session: Session, business: Business) -> None:
    """Give a business that never saved its settings revision 1: what it has now."""
    if business.agent_revision == 0:
        assert business.id is not None
        session.add(
            AgentRevision(business_id=business.id, number=1, settings=_snapshot(current(business)))
        )
        business.agent_revision = 1
        session.add(business)
        session.flush()


def _write(
    session: Session,
    principal: Principal,
    business: Business,
    settings: AgentSettings,
    restored_from: int | None,
) -> AgentRevision:
    ensure_first_revision(session, business)
    before = current(business)
    _apply(business, settings)
    lead_fields.ensure_for_questions(
        session, business_id=principal.business_id, questions=business.collect_fields
    )
    business.agent_revision += 1
    revision = AgentRevision(
        business_id=principal.business_id,
        number=business.agent_revision,
        settings=_snapshot(settings),
        author_id=principal.user_id,
        restored_from=restored_from,
    )
    session.add_all([business, revision])
    audit.record(
        session,
        principal=principal,
        business_id=principal.business_id,
        action="agent.restore" if restored_from else "agent.update",
        entity="agent_revision",
        entity_id=revision.number,
        details={
            "revision": revision.number,
            "restored_from": restored_from,
            "changed": [c.field for c in diff(before, settings)],
        },
    )
    session.flush()
    return revision


def save(session: Session, *, principal: Principal, settings: AgentSettings) -> AgentRevision:
    """Make ``settings`` the agent's, as the next revision (owners and admins)."""
    require_role(principal, Role.OWNER, Role.ADMIN)
    business = _locked_business(session, principal.business_id)
    return _write(session, principal, business, settings, None)


def restore(session: Session, *, principal: Principal, number: int) -> AgentRevision:
    """Bring revision ``number`` back, as a new revision (owners and admins)."""
    require_role(principal, Role.OWNER, Role.ADMIN)
    business = _locked_business(session, principal.business_id)
    ensure_first_revision(session, business)
    old = _revision(session, principal.business_id, number)
    return _write(session, principal, business, AgentSettings.model_validate(old.settings), number)


def _revision(session: Session, business_id: int, number: int) -> AgentRevision:
    found = session.exec(
        select(AgentRevision).where(
            col(AgentRevision.business_id) == business_id, col(AgentRevision.number) == number
        )
    ).first()
    if found is None:
        raise NotFound(f"no revision {number}", key="errors.revision_not_found")
    return found


def diff(before: AgentSettings, after: AgentSettings) -> list[Change]:
    """The settings that differ, in the order they are declared."""
    old, new = _snapshot(before), _snapshot(after)
    return [Change(name, old[name], new[name]) for name in new if old.get(name) != new[name]]


def revisions(session: Session, *, principal: Principal, limit: int = 50) -> list[RevisionView]:
    """The newest revisions first, each with what it changed (owners and admins)."""
    require_role(principal, Role.OWNER, Role.ADMIN)
    business = _locked_business(session, principal.business_id)
    ensure_first_revision(session, business)
    rows = list(
        session.exec(
            select(AgentRevision)
            .where(col(AgentRevision.business_id) == principal.business_id)
            .order_by(col(AgentRevision.number).desc())
            .limit(limit + 1)
        )
    )
    authors = {
        u.id: u.name
        for u in session.exec(select(User).where(col(User.business_id) == principal.business_id))
    }
    views: list[RevisionView] = []
    for row, older in zip(rows, [*rows[1:], None], strict=False):
        if len(views) == limit:
            break
        after = AgentSettings.model_validate(row.settings)
        changes = diff(AgentSettings.model_validate(older.settings), after) if older else []
        views.append(
            RevisionView(
                number=row.number,
                author=authors.get(row.author_id, "") if row.author_id else "",
                created_at=row.created_at,
                restored_from=row.restored_from,
                changes=changes,
                current=row.number == business.agent_revision,
            )
        )
    return views


def get_current(session: Session, *, principal: Principal) -> tuple[AgentSettings, int]:
    """The current settings and their revision number (owners and admins)."""
    require_role(principal, Role.OWNER, Role.ADMIN)
    business = session.get(Business, principal.business_id)
    if business is None:
        raise NotFound("no such business")
    return current(business), business.agent_revision


def for_call(session: Session, *, business_id: int) -> tuple[Business, AgentSettings]:
    """The business and the settings a new call uses; ``business.agent_revision`` numbers them.

    The business row is locked while a business that never saved gets its
    revision 1, so two first calls at once do not both write it.
    """
    business = _locked_business(session, business_id)
    try:
        settings = current(business)
    except ValidationError:
        # Columns written outside the settings page (by hand, by an old version) still answer
        # the phone: the call uses them as they are, and the revision count is left alone.
        logger.warning("agent_settings_invalid business_id=%s", business_id)
        values = _columns(business)
        values["collect"] = tuple(CollectField.model_construct(**f) for f in values["collect"])
        return business, AgentSettings.model_construct(**values)
    ensure_first_revision(session, business)
    return business, settings
