"""The API tokens section of the settings page: create (shown once), list, revoke."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import reflex as rx

from crm_app.db import unit_of_work
from crm_app.i18n.formats import local_datetime
from crm_app.services import api_tokens
from crm_app.services.auth import Principal
from crm_app.services.errors import DomainError
from crm_app.state.session import SessionState
from crm_app.state.settings import SECTION_LOADERS


@dataclass(frozen=True)
class TokenRow:
    """A token as the list shows it (never its secret)."""

    id: int
    name: str
    prefix: str
    creator: str
    created: str
    last_used: str
    revoked: str  # when it was revoked; empty while it works


class TokensState(SessionState):
    """The business's tokens, and the secret of the one just created (until dismissed)."""

    tokens: list[TokenRow] = []
    token_error: str = ""
    new_token: str = ""
    new_token_name: str = ""

    @rx.event
    def load(self) -> Any:
        """Read the tokens (owners and admins); a secret shown before is gone for good."""
        self.token_error = ""
        self.new_token = self.new_token_name = ""
        try:
            self._read(self._me())
        except DomainError as exc:
            self.tokens = []
            self.token_error = self._say(exc)

    def _read(self, principal: Principal) -> None:
        with unit_of_work(read_only=True) as session:
            found = api_tokens.list_tokens(session, principal=principal)
        zone = principal.timezone
        self.tokens = [
            TokenRow(
                id=view.id,
                name=view.name,
                prefix=view.prefix,
                creator=view.creator,
                created=local_datetime(view.created_at, zone),
                last_used=local_datetime(view.last_used_at, zone),
                revoked=local_datetime(view.revoked_at, zone),
            )
            for view in found
        ]

    @rx.event
    def create(self, form: dict[str, Any]) -> Any:
        """Create a token acting as you; its secret is shown this once."""
        principal = self._me()
        self.token_error = ""
        self.new_token = self.new_token_name = ""
        try:
            with unit_of_work() as session:
                token, secret = api_tokens.create_token(
                    session, principal=principal, name=str(form.get("name", ""))
                )
                name = token.name
        except DomainError as exc:
            self.token_error = self._say(exc)
            return None
        self.new_token, self.new_token_name = secret, name
        self._read(principal)
        return rx.set_value("token-name", "")

    @rx.event
    def revoke(self, token_id: int) -> Any:
        """Revoke a token: its next request is refused."""
        principal = self._me()
        self.token_error = ""
        try:
            with unit_of_work() as session:
                api_tokens.revoke_token(session, principal=principal, token_id=int(token_id))
        except DomainError as exc:
            self.token_error = self._say(exc)
            return None
        self._read(principal)
        return rx.toast.success(self._t("tokens.revoked"))

    @rx.event
    def dismiss_token(self) -> None:
        """Hide the new token's secret (it cannot be shown again)."""
        self.new_token = self.new_token_name = ""


SECTION_LOADERS["tokens"] = TokensState.load
