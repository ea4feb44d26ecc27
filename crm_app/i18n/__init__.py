"""Interface strings in Hebrew (the default, right-to-left) and English.

``translate`` is the pure lookup used by services' callers and the API; the UI
wraps it in ``crm_app.components.i18n.t``, which follows the user's locale.
"""

from __future__ import annotations

from crm_app.i18n.en import MESSAGES as EN
from crm_app.i18n.he import MESSAGES as HE

DEFAULT_LOCALE = "he"
MESSAGES: dict[str, dict[str, str]] = {"he": HE, "en": EN}
DIRECTION = {"he": "rtl", "en": "ltr"}


def translate(key: str, locale: str = DEFAULT_LOCALE, **params: object) -> str:
    """The text of ``key`` in ``locale``, with ``{name}`` placeholders filled.

    An unknown locale falls back to Hebrew; an unknown key is returned as is,
    which a test prevents from reaching users.
    """
    table = MESSAGES.get(locale, MESSAGES[DEFAULT_LOCALE])
    text = table.get(key, key)
    return text.format(**params) if params else text


def direction(locale: str) -> str:
    """``rtl`` for Hebrew, ``ltr`` for English."""
    return DIRECTION.get(locale, "rtl")
