"""The lead page's state."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec

from crm_app.db import unit_of_work
from crm_app.i18n import translate
from crm_app.i18n.formats import local_datetime
from crm_app.models import LeadStatus, User
from crm_app.services import leads
from crm_app.services.errors import NotFound
from crm_app.services.phones import display_phone
from crm_app.services.statuses import status_label
from crm_app.state.session import SessionState


class LeadState(SessionState):
    """One lead of the signed-in user's business."""

    found: bool = True
    lead: dict[str, str] = {}

    @rx.event
    def load(self) -> EventSpec:
        """Read the lead in the route; another business's id reads as not found."""
        principal = self.authenticated()
        if principal is None:
            return self.login_redirect()
        raw_id = self.router.url.path.rstrip("/").rsplit("/", 1)[-1]
        try:
            with unit_of_work() as session:
                lead = leads.get_lead(session, principal=principal, lead_id=int(raw_id))
                status = session.get(LeadStatus, lead.status_id)
                owner = session.get(User, lead.owner_id) if lead.owner_id else None
        except (NotFound, ValueError):
            self.found, self.lead = False, {}
            return self.language_script()
        assert status is not None
        self.found = True
        self.lead = {
            "id": str(lead.id),
            "name": lead.name,
            "phone": display_phone(lead.phone_e164),
            "phone_e164": lead.phone_e164,
            "email": lead.email,
            "status": status_label(status, self.locale),
            "status_color": status.color,
            "owner": owner.name if owner else "",
            "source": translate(f"source.{lead.source}", self.locale),
            "created": local_datetime(lead.created_at, principal.timezone),
        }
        return self.language_script()
