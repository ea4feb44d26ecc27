"""``t()``: interface strings that follow the signed-in user's language."""

from __future__ import annotations

import re

import reflex as rx
from reflex.vars import StringVar

from crm_app.i18n import MESSAGES
from crm_app.i18n.plurals import OTHER, forms, js_rule
from crm_app.state.session import SessionState

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def t(key: str) -> rx.Var[str]:
    """The text of ``key`` in the user's language (a missing key fails the build)."""
    return rx.cond(SessionState.is_en, MESSAGES["en"][key], MESSAGES["he"][key])


def tf(key: str, **params: rx.Var | str | int) -> rx.Var[str]:
    """Like :func:`t`, with ``{name}`` placeholders filled from vars or values."""
    return rx.cond(
        SessionState.is_en,
        _fill(MESSAGES["en"][key], params),
        _fill(MESSAGES["he"][key], params),
    )


def tn(key: str, count: rx.Var[int], **params: rx.Var | str | int) -> rx.Var[str]:
    """The plural form of the ``key`` family for ``count``, by Babel's rules, in the browser.

    ``{count}`` is filled with ``count``; other placeholders from ``params``.
    """
    return rx.cond(
        SessionState.is_en,
        _plural_var(key, "en", count, params),
        _plural_var(key, "he", count, params),
    )


def _plural_var(
    key: str, locale: str, count: rx.Var[int], params: dict[str, rx.Var | str | int]
) -> rx.Var[str]:
    members = forms(key, locale)
    filled = {name: _fill(text, {**params, "count": count}) for name, text in members.items()}
    picked = rx.Var(
        f"({js_rule(locale)})({count})",
        _var_type=str,
        _var_data=count._get_all_var_data(),
    )
    cases = [(name, var) for name, var in filled.items() if name != OTHER]
    return rx.match(picked, *cases, filled[OTHER])  # type: ignore[return-value]


def _fill(template: str, params: dict[str, rx.Var | str | int]) -> rx.Var[str]:
    pieces: list[rx.Var] = []
    for i, part in enumerate(_PLACEHOLDER.split(template)):
        if i % 2:
            value = rx.Var.create(params[part])
            pieces.append(value if isinstance(value, StringVar) else value.to_string())
        elif part:
            pieces.append(rx.Var.create(part))
    result = pieces[0]
    for piece in pieces[1:]:
        result = result + piece
    return result


def ltr(value: rx.Var | str, **props: object) -> rx.Component:
    """A phone number, email, size or number: left-to-right, isolated, never broken across lines."""
    return rx.el.bdi(value, dir="ltr", class_name="ltr", **props)


def label(key: str, html_for: str) -> rx.Component:
    """A form field's label in the user's language, tied to its control by id.

    A plain ``<label for>``: Radix's ``Text as="label"`` drops ``for``, which leaves
    the control without an accessible name.
    """
    return rx.el.label(
        t(key), html_for=html_for, class_name="rt-Text rt-r-size-2 rt-r-weight-medium"
    )


def _run(run: rx.Var) -> rx.Component:
    return rx.match(
        run["kind"],
        ("whole", ltr(run["text"])),
        ("ltr", rx.el.bdi(run["text"], dir="ltr")),
        rx.el.span(run["text"]),
    )


def bidi_text(runs: rx.Var, **props: object) -> rx.Component:
    """Free text from :func:`crm_app.state.text_runs.text_runs`, each run in its own isolate.

    Every line takes the direction of its own first letter (``unicode-bidi: plaintext``).
    """
    return rx.text(rx.foreach(runs.to(list[dict[str, str]]), _run), class_name="bidi-text", **props)
