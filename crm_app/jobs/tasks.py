"""The procrastinate tasks (Postgres): what ``python -m crm_app worker`` runs.

Three tasks. ``crm:call_pipeline``: jobs of a call share a procrastinate
``lock``, so two runs of one call never overlap; a queueing lock keeps at
most one waiting run per call and kind. The "final" run that goes on without
a late recording is deferred at a lower priority, so a recording callback's
run is never stuck behind it. ``crm:purge_exports`` runs every hour (a
periodic task: the workers' periodic deferrer queues it once per tick, however
many workers there are) and expires exports older than ``EXPORT_RETENTION_DAYS``;
``crm:alerts`` runs every minute: tasks that came due alert their assignees,
and alert e-mails still waiting (a mail server that was down) are sent.
``crm:texts`` sends the texts to customers that are waiting (deferred when an
appointment is booked, moved or cancelled), and ``crm:reminders`` runs every
minute: the reminders that came due are queued (once each, by their key) and
sent.
"""

from __future__ import annotations

from datetime import UTC, datetime

import procrastinate
from sqlalchemy.engine import make_url

from crm_app.db import unit_of_work
from crm_app.jobs import config
from crm_app.jobs.pipeline import run_pipeline
from crm_app.services import alert_mail, export_jobs, notifications, texts

QUEUE = "calls"
MAINTENANCE_QUEUE = "maintenance"
QUEUES = [QUEUE, MAINTENANCE_QUEUE]  # what a worker runs
TASK = "crm:call_pipeline"
PURGE_CRON = "17 * * * *"  # hourly
ALERTS_CRON = "* * * * *"  # every minute
TEXTS_TASK = "crm:texts"
REMINDERS_CRON = "* * * * *"  # every minute
RETRY = procrastinate.RetryStrategy(max_attempts=6, exponential_wait=3)


def call_pipeline(call_id: int, final: bool = False) -> None:
    """Run the post-call pipeline of one call (retried by procrastinate on any error)."""
    run_pipeline(call_id, final=final, config=config.current())


def purge_exports(timestamp: int) -> int:
    """Expire the exports that are older than ``EXPORT_RETENTION_DAYS`` (periodic)."""
    return export_jobs.expire_old(now=datetime.fromtimestamp(timestamp, UTC))


def alerts(timestamp: int) -> int:
    """Tell assignees of tasks that came due, and send the alert e-mails waiting (periodic)."""
    with unit_of_work() as session:
        notifications.alert_due_tasks(session, now=datetime.fromtimestamp(timestamp, UTC))
    return alert_mail.send_pending()


def send_texts() -> int:
    """Send the texts to customers that are waiting."""
    return texts.send_waiting()


def reminders(timestamp: int) -> int:
    """Queue the appointment reminders that came due, then send what waits (periodic)."""
    now = datetime.fromtimestamp(timestamp, UTC)
    with unit_of_work() as session:
        texts.queue_reminders(session, now=now)
    return texts.send_waiting()


def conninfo(database_url: str) -> str:
    """The libpq form of ``DATABASE_URL`` (procrastinate speaks psycopg 3)."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def build_app(connector: procrastinate.BaseConnector) -> procrastinate.App:
    """An app with the CRM's tasks on ``connector``.

    Each app gets a blueprint of its own: procrastinate renames a blueprint's
    tasks when it is added, so one shared blueprint would give a second app in
    the same process ``crm:crm:call_pipeline``.
    """
    blueprint = procrastinate.Blueprint()
    blueprint.task(name="call_pipeline", queue=QUEUE, retry=RETRY)(call_pipeline)
    purge = blueprint.task(name="purge_exports", queue=MAINTENANCE_QUEUE)(purge_exports)
    blueprint.periodic(cron=PURGE_CRON)(purge)
    every_minute = blueprint.task(name="alerts", queue=MAINTENANCE_QUEUE)(alerts)
    blueprint.periodic(cron=ALERTS_CRON)(every_minute)
    blueprint.task(name="texts", queue=MAINTENANCE_QUEUE, retry=RETRY)(send_texts)
    remind = blueprint.task(name="reminders", queue=MAINTENANCE_QUEUE)(reminders)
    blueprint.periodic(cron=REMINDERS_CRON)(remind)
    app = procrastinate.App(connector=connector)
    app.add_tasks_from(blueprint, namespace="crm")
    return app


def defer(
    app: procrastinate.App, call_id: int, *, final: bool, delay: float, queue: str = QUEUE
) -> None:
    """Queue a run of the call's pipeline (a duplicate of a waiting run is dropped)."""
    deferrer = app.configure_task(
        TASK,
        queue=queue,  # explicit: a deferring-only app need not have the task registered
        lock=f"call-{call_id}",
        queueing_lock=f"call-{call_id}-{'final' if final else 'now'}",
        priority=-1 if final else 0,
        schedule_in={"seconds": int(delay)} if delay > 0 else None,
    )
    try:
        deferrer.defer(call_id=call_id, final=final)
    except procrastinate.exceptions.AlreadyEnqueued:
        pass  # the waiting run will see everything this one would


def defer_texts(app: procrastinate.App) -> None:
    """Queue a run that sends the waiting texts (one waiting run is enough)."""
    deferrer = app.configure_task(
        TEXTS_TASK, queue=MAINTENANCE_QUEUE, queueing_lock="texts", lock="texts"
    )
    try:
        deferrer.defer()
    except procrastinate.exceptions.AlreadyEnqueued:
        pass  # the waiting run will send this text too
