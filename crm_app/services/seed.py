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
from crm_app.services import accounts, agent, agent_templates
from crm_app.services.call_pipeline import STEPS
from crm_app.services.phones import phone_digits
from crm_app.services.seed_calendar import seed_calendar
from crm_app.settings import get_settings

T = TypeVar("T")

DEMO_PASSWORD = "demo-password-123"
DEMO_OWNER = "owner@demo.example.com"
DEMO_BUSINESS_PHONE = "+97235550100"
# A second demo business, whose language is English, beside the Hebrew one.
DEMO_EN_OWNER = "owner@brightsmile.example.com"
DEMO_EN_BUSINESS_PHONE = "+12125550100"

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
EN_CITIES = ("New York", "Brooklyn", "Queens", "Jersey City", "Hoboken", "")
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
EN_NOTE_TEXTS = (
    "Asked us to call back after the holidays",
    "Wants a quote for whitening",
    "No answer, will try again tomorrow",
    "Booked a check-up for Tuesday",
)
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
    business: str = ""
    phone: str = ""


@dataclass(frozen=True)
class DemoBusiness:
    """One demo business: who works there, in which language, and how its leads look."""

    name: str
    phone: str
    locale: str
    timezone: str
    region: str
    users: tuple[tuple[str, Role, str, str], ...]  # email, role, name, locale
    leads: int
    workdays: tuple[str, ...]  # open 09:00-17:00 on these days


DEMO_BUSINESSES = (
    DemoBusiness(
        name="מרפאת השיניים של ד״ר לוי",
        phone=DEMO_BUSINESS_PHONE,
        locale="he",
        timezone="Asia/Jerusalem",
        region="IL",
        users=(
            (DEMO_OWNER, Role.OWNER, "רות לוי", "he"),
            ("admin@demo.example.com", Role.ADMIN, "Dana Admin", "en"),
            ("agent@demo.example.com", Role.AGENT, "יואב הנציג", "he"),
        ),
        leads=200,
        workdays=("sun", "mon", "tue", "wed", "thu"),
    ),
    DemoBusiness(
        name="Bright Smile Dental",
        phone=DEMO_EN_BUSINESS_PHONE,
        locale="en",
        timezone="America/New_York",
        region="US",
        users=(
            (DEMO_EN_OWNER, Role.OWNER, "Grace Miller", "en"),
            ("agent@brightsmile.example.com", Role.AGENT, "Sam Agent", "en"),
        ),
        leads=60,
        workdays=("mon", "tue", "wed", "thu", "fri"),
    ),
)


def demo_logins() -> list[DemoLogin]:
    """The owners' logins of the demo businesses, for ``make run`` to print."""
    return [
        DemoLogin(b.users[0][0], DEMO_PASSWORD, business=b.name, phone=b.phone)
        for b in DEMO_BUSINESSES
    ]


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
    """Create the demo businesses (Hebrew and English), their users, leads and history.

    ``leads`` is the Hebrew business's count; the English one gets a third of it.
    Returns the Hebrew business owner's login.
    """
    if not get_settings().demo_mode:
        raise DemoModeRequired("seed-demo creates published demo logins: set DEMO_MODE=1")
    rng = random.Random(rng_seed)
    for demo in DEMO_BUSINESSES:
        count = leads if demo.locale == "he" else max(1, leads * demo.leads // 200)
        _seed_business(session, rng, demo, count)
    return demo_logins()[0]


def _seed_business(session: Session, rng: random.Random, demo: DemoBusiness, leads: int) -> None:
    business = accounts.create_business(
        session, name=demo.name, phone=demo.phone, locale=demo.locale, timezone=demo.timezone
    )
    business.default_region = demo.region
    business.business_hours = {day: [["09:00", "17:00"]] for day in demo.workdays}
    # The demo clinics' voice agent starts from the clinic template, in their language.
    clinic = agent_templates.TEMPLATES["clinic"][demo.locale]
    business.ai_instructions, business.greeting = clinic.instructions, clinic.greeting
    business.collect_fields = [
        *agent.DEFAULT_COLLECT,
        *({"key": key, "label": label} for key, label in clinic.collect),
    ]
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
        for email, role, name, locale in demo.users
    ]
    statuses = {
        s.key: s
        for s in session.exec(select(LeadStatus).where(LeadStatus.business_id == business.id))
    }
    for i in range(leads):
        _seed_lead(session, rng, business, users, statuses, i)
    seed_calendar(session, rng, business)


def _pick(rng: random.Random, weights: dict[T, int]) -> T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _name(rng: random.Random, locale: str) -> str:
    if locale == "he" and rng.random() < 0.75:
        return f"{rng.choice(HEBREW_FIRST)} {rng.choice(HEBREW_LAST)}"
    return f"{rng.choice(ENGLISH_FIRST)} {rng.choice(ENGLISH_LAST)}"


def _phone(rng: random.Random, business: Business, index: int) -> str:
    if business.locale == "he":
        return f"+9725{rng.choice('0234578')}{index:03d}{rng.randint(1000, 9999)}"
    return f"+1{rng.choice(('212', '646', '718', '917'))}555{index:04d}"


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
    phone = _phone(rng, business, index)
    name = _name(rng, business.locale)
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
        city=rng.choice(CITIES if business.locale == "he" else EN_CITIES),
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
                author_id=users[-1].id,  # the agent
                text=rng.choice(NOTE_TEXTS if business.locale == "he" else EN_NOTE_TEXTS),
                created_at=created + timedelta(hours=2),
            )
        )
    if source == LeadSource.PHONE_AI:
        _seed_call(session, rng, business, lead, started=created)


def _turn(speaker: str, text: str, start_ms: int, end_ms: int) -> dict[str, object]:
    return {
        "speaker": speaker,
        "text": text,
        "start_ms": start_ms,
        "end_ms": end_ms,
        "interrupted": False,
    }


DEMO_CALLS = {
    "he": (
        [
            _turn("agent", "שלום, כאן המרפאה. איך אפשר לעזור?", 0, 3200),
            _turn("caller", "רציתי לשאול כמה עולה בדיקה ואם יש תור השבוע.", 3900, 8100),
            _turn(
                "agent", "בדיקה עולה 250 ש״ח. נציג יחזור אליך עם מועד. תודה ולהתראות.", 8600, 13900
            ),
        ],
        "הלקוח התעניין בתור לבדיקה ושאל על מחירים.",
    ),
    "en": (
        [
            _turn("agent", "Hello, Bright Smile Dental. How can I help?", 0, 2900),
            _turn(
                "caller", "How much is a check-up, and do you have anything this week?", 3500, 7600
            ),
            _turn(
                "agent",
                "A check-up is $120. We will call you back with a time. Goodbye.",
                8100,
                12800,
            ),
        ],
        "The caller asked about the price of a check-up and an appointment this week.",
    ),
}


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
            summary=DEMO_CALLS[business.locale][1],
            transcript=DEMO_CALLS[business.locale][0],
            realtime_transcript=DEMO_CALLS[business.locale][0],
            transcript_source="realtime",
            # Demo calls have no recording to process: their pipeline is finished.
            pipeline={
                "state": "done",
                "steps": {n: {"state": "skipped", "message": "demo data"} for n in STEPS},
            },
            created_at=started,
        )
    )
