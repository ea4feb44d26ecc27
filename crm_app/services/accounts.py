"""Businesses and their users: creation by the CLI and by admins."""

from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from crm_app.models import Business, Calendar, Role, User
from crm_app.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from crm_app.services.passwords import hash_password
from crm_app.services.phones import normalize_phone
from crm_app.services.statuses import seed_default_statuses

_NOT_IN_EMAIL = r"@\s\x00-\x1f\x7f\x85\ufeff"  # spaces and controls, in every regex dialect
EMAIL_PATTERN = rf"^[^{_NOT_IN_EMAIL}]+@[^{_NOT_IN_EMAIL}]+\.[^{_NOT_IN_EMAIL}]+$"
"""What an email address looks like (the API documents the same pattern)."""
_EMAIL = re.compile(EMAIL_PATTERN)
LOCALES = ("he", "en")


def normalize_email(email: str) -> str:
    """Lower-case and validate an email address."""
    email = (email or "").strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise InvalidInput(
            f"{email!r} is not a valid email", field="email", key="errors.email_invalid"
        )
    return email


def _check_locale(locale: str) -> str:
    if locale not in LOCALES:
        raise InvalidInput(f"locale must be one of {LOCALES}", field="locale")
    return locale


def create_business(
    session: Session, *, name: str, phone: str, locale: str = "he", timezone: str = "Asia/Jerusalem"
) -> Business:
    """Create a business with its default statuses.

    Raises:
        Conflict: when another business already has this phone number.
    """
    name = name.strip()
    if not name:
        raise InvalidInput("the business needs a name", field="name")
    e164 = normalize_phone(phone)
    if session.exec(select(Business).where(Business.phone_number == e164)).first():
        raise Conflict(f"a business with {e164} already exists")
    business = Business(
        name=name, phone_number=e164, locale=_check_locale(locale), timezone=timezone
    )
    session.add(business)
    session.flush()
    assert business.id is not None
    seed_default_statuses(session, business_id=business.id)
    session.add(Calendar(business_id=business.id, name=name[:100]))
    return business


def add_user(
    session: Session,
    *,
    business_id: int,
    email: str,
    password: str,
    role: Role,
    name: str = "",
    locale: str = "he",
    is_demo: bool = False,
) -> User:
    """Add a user to a business.

    Raises:
        Conflict: when the email is already taken.
    """
    email = normalize_email(email)
    if session.exec(select(User).where(User.email == email)).first():
        raise Conflict(f"{email} already has an account", key="errors.email_taken")
    user = User(
        business_id=business_id,
        email=email,
        name=name.strip() or email.split("@")[0],
        role=role.value,
        password_hash=hash_password(password),
        locale=_check_locale(locale),
        is_demo=is_demo,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent insert of the same email
        raise Conflict(f"{email} already has an account", key="errors.email_taken") from exc
    return user


def find_user(session: Session, *, email: str) -> User:
    """The user with this email, or ``NotFound``."""
    user = session.exec(select(User).where(User.email == normalize_email(email))).first()
    if user is None:
        raise NotFound(f"no user with email {email}")
    return user


def create_user_by(
    session: Session, *, manager_email: str, email: str, password: str, role: Role
) -> User:
    """Add a user to the business of ``manager_email``, who must be an owner or admin.

    Only an owner may create another admin; nobody creates a second owner here.
    """
    manager = find_user(session, email=manager_email)
    if manager.role not in (Role.OWNER, Role.ADMIN):
        raise PermissionDenied(f"{manager_email} is not an owner or admin")
    if role == Role.OWNER or (role == Role.ADMIN and manager.role != Role.OWNER):
        raise PermissionDenied(f"{manager_email} may not create a user with role {role}")
    return add_user(
        session, business_id=manager.business_id, email=email, password=password, role=role
    )


def set_user_locale(session: Session, *, user_id: int, locale: str) -> None:
    """Remember a user's interface language."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such user")
    user.locale = _check_locale(locale)
    session.add(user)


def business_by_phone(session: Session, *, phone_e164: str) -> Business | None:
    """The business whose line is ``phone_e164`` (the Twilio ``To``), if any."""
    return session.exec(select(Business).where(Business.phone_number == phone_e164)).first()
