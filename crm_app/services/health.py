"""Health: is the database reachable, and is its schema at the newest migration."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from crm_app.db import get_engine
from crm_app.migrate import current_revision, head_revision


@dataclass(frozen=True)
class Health:
    """The result of a health check."""

    database: bool
    revision: str | None
    head: str

    @property
    def migrations_at_head(self) -> bool:
        """Whether the schema is at the newest revision."""
        return self.revision == self.head

    @property
    def ok(self) -> bool:
        """Healthy: database up and schema current."""
        return self.database and self.migrations_at_head


def check() -> Health:
    """Check the database and the migration state without raising."""
    engine = get_engine()
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = current_revision(engine)
        reachable = True
    except SQLAlchemyError:
        reachable, revision = False, None
    return Health(database=reachable, revision=revision, head=head_revision())
