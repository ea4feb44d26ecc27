"""Demo data: a Hebrew-named business with users, 200 leads, notes and calls.

Only for ``DEMO_MODE``: the demo users have a published password, and
:func:`crm_app.services.auth` refuses them whenever demo mode is off.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from crm_app.models import Business, Call, Lead, LeadSource, LeadStatus, Note, Role, User, utcnow
from crm_app.services import accounts
from crm_app.services.call_pipeline import STEPS
from crm_app.services.phones import phone_digits
from crm_app.settings import get_settings

T = TypeVar("T")

DEMO_PASSWORD = "demo-password-123"
DEMO_OWNER = "owner@demo.example.com"
DEMO_BUSINESS_PHONE = "+97235550100"

HEBREW_FIRST = (
    "נועה",
    "יוסי",
    "מיכל",
    "אבי",
    "שירה",
    "דני",
    "תמר",
    "איתי",
    "רונית",
    "משה",
    "הילה",
    "עומר",
    "יעל",
    "אורי",
    "ליאת",
    "גיל",
    "מאיה",
    "רועי",
    "ענבל",
    "אלון",
)
HEBREW_LAST = (
    "כהן",
    "לוי",
    "מזרחי",
    "פרץ",
    "ביטון",
    "אברהם",
    "פרידמן",
    "אזולאי",
    "דהן",
    "אוחיון",
    "גבאי",
    "שפירא",
    "רוזנברג",
    "בן דוד",
    "חדד",
    "קליין",
)
ENGLISH_FIRST = (
    "David",
    "Sarah",
    "Michael",
    "Emily",
    "Daniel",
    "Rachel",
    "Jonathan",
    "Hannah",
    "Adam",
    "Olivia",
    "Ethan",
    "Leah",
)
ENGLISH_LAST = (
    "Cohen",
    "Smith",
    "Levy",
    "Goldberg",
    "Miller",
    "Katz",
    "Brown",
    "Friedman",
    "Stein",
    "Green",
)
CITIES = ("תל אביב", "ירושלים", "חיפה", "באר שבע", "רמת גן", "נתניה", "ראשון לציון", "")
STATUS_WEIGHTS: dict[str, int] = {
    "new": 30,
    "attempting": 20,
    "contacted": 18,
    "qualified": 10,
    "won": 6,
    "lost": 10,
    "unqualified": 6,
}
SOURCE_WEIGHTS: dict[LeadSource, int] = {
    LeadSource.PHONE_AI: 35,
    LeadSource.WEB_FORM: 25,
    LeadSource.MANUAL: 15,
    LeadSource.WHATSAPP: 12,
    LeadSource.REFERRAL: 8,
    LeadSource.IMPORT: 5,
}
NOTE_TEXTS = (
    "ביקש שנחזור אליו אחרי החגים",
    "מעוניין בהצעת מחיר לשירות החודשי",
    "Asked for a quote by email",
    "לא ענה, ננסה שוב מחר",
    "קבענו פגישה ליום שלישי",
)


@dataclass(frozen=True)
class DemoLogin:
    """What ``make run`` prints so a new user can sign in."""

    email: str
    password: str


class DemoModeRequired(RuntimeError):
    """Demo data (with its published password) needs DEMO_MODE=1."""


def database_is_empty(session: Session) -> bool:
    """Whether no business exists yet."""
    return session.exec(select(func.count()).select_from(Business)).one() == 0


def database_state(engine: Engine) -> str:
    """``empty`` (no business, or no schema yet), ``demo`` (only demo users) or ``data``."""
    if "user" not in sa.inspect(engine).get_table_names():
        return "empty"
    with Session(engine) as session:
        users = session.exec(select(func.count()).select_from(User)).one()
        real = session.exec(
            select(func.count()).select_from(User).where(col(User.is_demo).is_(False))
        ).one()
    if users == 0:
        return "empty"
    return "data" if real else "demo"


def seed_demo(session: Session, *, leads: int = 200, rng_seed: int = 7) -> DemoLogin:
    """Create the demo business, its three users and ``leads`` leads with history."""
    if not get_settings().demo_mode:
        raise DemoModeRequired("seed-demo creates published demo logins: set DEMO_MODE=1")
    rng = random.Random(rng_seed)
    business = accounts.create_business(
        session, name="מרפאת השיניים של ד״ר לוי", phone=DEMO_BUSINESS_PHONE, locale="he"
    )
    assert business.id is not None
    users = [
        accounts.add_user(
            session,
            business_id=business.id,
            email=email,
            password=DEMO_PASSWORD,
            role=role,
            name=name,
            locale=locale,
            is_demo=True,
        )
        for email, role, name, locale in (
            (DEMO_OWNER, Role.OWNER, "רות לוי", "he"),
            ("admin@demo.example.com", Role.ADMIN, "Dana Admin", "en"),
            ("agent@demo.example.com", Role.AGENT, "יואב הנציג", "he"),
        )
    ]
    statuses = {
        s.key: s
        for s in session.exec(select(LeadStatus).where(LeadStatus.business_id == business.id))
    }
    for i in range(leads):
        _seed_lead(session, rng, business, users, statuses, i)
    return DemoLogin(email=DEMO_OWNER, password=DEMO_PASSWORD)


def _pick(rng: random.Random, weights: dict[T, int]) -> T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _name(rng: random.Random) -> str:
    if rng.random() < 0.75:
        return f"{rng.choice(HEBREW_FIRST)} {rng.choice(HEBREW_LAST)}"
    return f"{rng.choice(ENGLISH_FIRST)} {rng.choice(ENGLISH_LAST)}"


def _email(rng: random.Random, name: str, index: int) -> str:
    first = name.split()[0]
    return f"{first.lower()}.{index}@example.com" if first.isascii() and rng.random() < 0.8 else ""


def _seed_lead(
    session: Session,
    rng: random.Random,
    business: Business,
    users: list[User],
    statuses: dict[str, LeadStatus],
    index: int,
) -> None:
    assert business.id is not None
    phone = f"+9725{rng.choice('0234578')}{index:03d}{rng.randint(1000, 9999)}"
    name = _name(rng)
    created = utcnow() - timedelta(days=rng.uniform(0, 120), minutes=index)
    source = _pick(rng, SOURCE_WEIGHTS)
    status_id = statuses[_pick(rng, STATUS_WEIGHTS)].id
    assert status_id is not None
    lead = Lead(
        business_id=business.id,
        name=name,
        phone_e164=phone,
        phone_digits=phone_digits(phone),
        email=_email(rng, name, index),
        city=rng.choice(CITIES),
        source=source.value,
        status_id=status_id,
        owner_id=rng.choice([*[u.id for u in users], None]),
        created_at=created,
        updated_at=created,
    )
    session.add(lead)
    session.flush()
    assert lead.id is not None
    if rng.random() < 0.3:
        session.add(
            Note(
                business_id=business.id,
                lead_id=lead.id,
                author_id=users[2].id,
                text=rng.choice(NOTE_TEXTS),
                created_at=created + timedelta(hours=2),
            )
        )
    if source == LeadSource.PHONE_AI:
        _seed_call(session, rng, business, lead, started=created)


DEMO_TRANSCRIPT = [
    {
        "speaker": "agent",
        "text": "שלום, כאן המרפאה. איך אפשר לעזור?",
        "start_ms": 0,
        "end_ms": 3200,
        "interrupted": False,
    },
    {
        "speaker": "caller",
        "text": "רציתי לשאול כמה עולה בדיקה ואם יש תור השבוע.",
        "start_ms": 3900,
        "end_ms": 8100,
        "interrupted": False,
    },
    {
        "speaker": "agent",
        "text": "בדיקה עולה 250 ש״ח. נציג יחזור אליך עם מועד. תודה ולהתראות.",
        "start_ms": 8600,
        "end_ms": 13900,
        "interrupted": False,
    },
]


def _seed_call(
    session: Session, rng: random.Random, business: Business, lead: Lead, *, started: datetime
) -> None:
    assert business.id is not None and lead.id is not None
    duration = rng.randint(40, 400)
    session.add(
        Call(
            business_id=business.id,
            call_sid=f"CAdemo{lead.id:08d}{rng.randint(0, 10**8):08d}",
            lead_id=lead.id,
            from_number=lead.phone_e164,
            to_number=business.phone_number,
            status="completed",
            started_at=started,
            answered_at=started,
            ended_at=started + timedelta(seconds=duration),
            duration_sec=duration,
            end_reason="caller_hangup",
            summary="הלקוח התעניין בתור לבדיקה ושאל על מחירים.",
            transcript=DEMO_TRANSCRIPT,
            realtime_transcript=DEMO_TRANSCRIPT,
            transcript_source="realtime",
            # Demo calls have no recording to process: their pipeline is finished.
            pipeline={
                "state": "done",
                "steps": {n: {"state": "skipped", "message": "demo data"} for n in STEPS},
            },
            created_at=started,
        )
    )
