"""What the user is told when a handler fails: the one place errors become messages.

A handler lets a domain error escape when a toast is the right answer (a form
that shows its error inline catches it and uses ``SessionState._say``). Reflex
hands every escaped exception to :func:`on_backend_error`.
"""

from __future__ import annotations

import logging

import reflex as rx
from reflex.event import EventSpec

from crm_app.i18n import DEFAULT_LOCALE, translate
from crm_app.services.errors import DomainError
from crm_app.state.session import NotSignedIn, current_principal

logger = logging.getLogger("crm_app.ui")


def on_backend_error(exception: Exception) -> EventSpec:
    """A toast in the user's language; unexpected errors are logged with their traceback."""
    principal = current_principal()
    locale = principal.locale if principal else DEFAULT_LOCALE
    if isinstance(exception, NotSignedIn):
        return rx.redirect("/login")
    if isinstance(exception, DomainError):
        text = translate(exception.key, locale) if exception.key else exception.message
    else:
        logger.error("ui_handler_failed", exc_info=exception)
        text = translate("errors.generic", locale)
    toast: EventSpec = rx.toast.error(text)
    return toast
