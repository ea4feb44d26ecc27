"""Plural forms by CLDR's rules (through Babel) for Hebrew and English.

A counted message is a family of keys, ``leads.total.one`` and
``leads.total.other`` (and ``.two``, ``.few``... where a language needs them):
:func:`plural` picks the member for the count. The browser gets the same
rules compiled to JavaScript by :func:`js_rule`.
"""

from __future__ import annotations

from functools import cache

from babel import Locale
from babel.plural import PluralRule, to_javascript

from crm_app.i18n import DEFAULT_LOCALE, MESSAGES, translate

OTHER = "other"


@cache
def _rule(locale: str) -> PluralRule:
    return Locale.parse(locale if locale in MESSAGES else DEFAULT_LOCALE).plural_form


def category(count: int, locale: str = DEFAULT_LOCALE) -> str:
    """CLDR's plural category of ``count`` in ``locale``: ``one``, ``two`` or ``other``..."""
    return str(_rule(locale)(count))


def forms(key: str, locale: str = DEFAULT_LOCALE) -> dict[str, str]:
    """The members of the ``key`` family in ``locale``: ``{"one": ..., "other": ...}``."""
    table = MESSAGES.get(locale, MESSAGES[DEFAULT_LOCALE])
    prefix = key + "."
    found = {k[len(prefix) :]: v for k, v in table.items() if k.startswith(prefix)}
    return {name: text for name, text in found.items() if name in _rule(locale).tags | {OTHER}}


def plural(key: str, count: int, locale: str = DEFAULT_LOCALE, **params: object) -> str:
    """``plural("leads.total", 1, "he")`` is "ליד אחד"; 3 in English is "3 leads".

    Falls back to ``key.other`` when the language has no member for the
    count's category; ``count`` fills ``{count}``.
    """
    table = MESSAGES.get(locale, MESSAGES[DEFAULT_LOCALE])
    name = f"{key}.{category(count, locale)}"
    member = name if name in table else f"{key}.{OTHER}"
    return translate(member, locale, count=count, **params)


def js_rule(locale: str) -> str:
    """The locale's plural rule as a JavaScript function of a number (for the browser)."""
    return str(to_javascript(_rule(locale)))
