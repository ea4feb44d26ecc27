"""The lead list page's state."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import select

from crm_app.db import unit_of_work
from crm_app.i18n import translate
from crm_app.i18n.formats import local_datetime
from crm_app.models import User
from crm_app.services import leads, statuses
from crm_app.services.phones import display_phone
from crm_app.state.session import SessionState

PAGE_SIZE = 50


class LeadsState(SessionState):
    """One page of the business's leads, read from the database on load."""

    rows: list[dict[str, str]] = []

    @rx.event
    def load(self) -> EventSpec:
        """Check the session, then read the newest leads (never the whole table)."""
        principal = self.authenticated()
        if principal is None:
            return self.login_redirect()
        with unit_of_work() as session:
            found = leads.recent_leads(session, principal=principal, limit=PAGE_SIZE)
            labels = {
                s.id: (statuses.status_label(s, self.locale), s.color)
                for s in statuses.list_statuses(session, business_id=principal.business_id)
            }
            owner_ids = {lead.owner_id for lead in found if lead.owner_id}
            owners = (
                {
                    u.id: u.name
                    for u in session.exec(select(User).where(User.id.in_(owner_ids)))  # type: ignore[union-attr]
                }
                if owner_ids
                else {}
            )
        self.rows = [
            {
                "id": str(lead.id),
                "name": lead.name,
                "phone": display_phone(lead.phone_e164),
                "email": lead.email,
                "status": labels[lead.status_id][0],
                "status_color": labels[lead.status_id][1],
                "source": translate(f"source.{lead.source}", self.locale),
                "owner": owners.get(lead.owner_id, "") if lead.owner_id else "",
                "created": local_datetime(lead.created_at, principal.timezone),
            }
            for lead in found
        ]
        return self.language_script()
