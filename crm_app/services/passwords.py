"""Password hashing with argon2id."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from crm_app.services.errors import InvalidInput

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10


@functools.cache
def _dummy_hash() -> str:
    """A real hash to check unknown emails against, so they take as long as known ones.

    Made on first use, not at import: an argon2 hash takes 64 MB of memory.
    """
    return _hasher.hash("timing-equaliser-not-a-password")


def hash_password(password: str) -> str:
    """Hash a new password after checking its length."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters",
            field="password",
            key="errors.password_short",
        )
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; an unknown user (``None``) costs the same time."""
    try:
        return (
            _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False
