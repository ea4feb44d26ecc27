"""A plain HTML form that the browser submits itself.

Reflex's ``rx.el.form`` always prevents the browser's submit and runs an event
handler instead. Sign-in and sign-out must be real POSTs so that the server
can set or clear the HttpOnly session cookie, so they use this element.
"""

from __future__ import annotations

import reflex as rx
from reflex_components_core.el.elements.base import BaseHTML


class NativeForm(BaseHTML):
    """``<form action method>`` with no client-side submit handler."""

    tag = "form"
    action: rx.Var[str]
    method: rx.Var[str]


native_form = NativeForm.create
