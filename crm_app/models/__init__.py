"""SQLModel tables. Importing this package registers every table on the metadata."""

from crm_app.models.activity import (
    Appointment,
    AuditEvent,
    Call,
    CallDirection,
    ExportJob,
    Note,
    NoteDraft,
    NoteKind,
    Payment,
    TwilioCallback,
    WhatsappMessage,
)
from crm_app.models.base import utcnow
from crm_app.models.business import (
    AgentRevision,
    ApiToken,
    Business,
    LoginAttempt,
    PasswordLink,
    Role,
    User,
    UserSession,
)
from crm_app.models.lead import (
    Lead,
    LeadField,
    LeadFieldKind,
    LeadSource,
    LeadStatus,
    LeadStatusChange,
)
from crm_app.models.notification import ALL_KINDS, AlertKind, Notification
from crm_app.models.tally import CallTally, LeadStatusTally, LeadTally
from crm_app.models.task import Task, TaskKind, TaskState

__all__ = [
    "CallTally",
    "LeadStatusTally",
    "LeadTally",
    "ALL_KINDS",
    "AlertKind",
    "AgentRevision",
    "ApiToken",
    "Appointment",
    "AuditEvent",
    "Business",
    "Call",
    "CallDirection",
    "ExportJob",
    "Lead",
    "LeadField",
    "LeadFieldKind",
    "LeadSource",
    "LeadStatus",
    "LeadStatusChange",
    "LoginAttempt",
    "Note",
    "NoteDraft",
    "NoteKind",
    "Notification",
    "PasswordLink",
    "Payment",
    "Role",
    "Task",
    "TaskKind",
    "TaskState",
    "TwilioCallback",
    "User",
    "UserSession",
    "WhatsappMessage",
    "utcnow",
]
