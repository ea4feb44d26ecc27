"""Texts to customers through the Twilio fake: a confirmation per booking, each reminder once.

"Once" is tested the hard ways: two workers at the same time, a worker killed
while Twilio holds its request (the text did reach Twilio), and one killed
before it asked (it did not).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from crm_app.db import unit_of_work
from crm_app.jobs import tasks
from crm_app.models import Appointment, Lead, TextMessage, utcnow
from crm_app.services import sms, texts
from crm_app.settings import reload_settings
from tests.conftest import Database
from tests.factories import Tenant, make_appointment, make_lead, make_tenant
from tests.jobs.conftest import Outside


@pytest.fixture(autouse=True)
def _no_texts_waiting(db: Database) -> None:
    """Texts earlier tests left waiting are not this test's to send (the database is shared)."""
    with unit_of_work() as session:
        session.execute(
            sa.update(TextMessage)
            .where(col(TextMessage.state).in_(["pending", "sending"]))
            .values(state="skipped")
        )


def sms_config(outside: Outside) -> sms.SmsConfig:
    return sms.SmsConfig(
        account_sid=outside.config.twilio_account_sid,
        auth_token=outside.config.twilio_auth_token,
        api_base_url=outside.config.twilio_api_base_url,
    )


def booked(tenant: Tenant, lead: Lead, days: float = 3) -> Appointment:
    """An appointment ``days`` ahead, booked a week ago (so every reminder applies)."""
    starts = (utcnow() + timedelta(days=days)).replace(second=0, microsecond=0)
    week_ago = utcnow() - timedelta(days=7)
    return make_appointment(tenant, lead, starts, created_at=week_ago, timed_at=week_ago)


def texts_of(appointment: Appointment) -> list[TextMessage]:
    with unit_of_work() as session:
        query = select(TextMessage).where(col(TextMessage.appointment_id) == appointment.id)
        return list(session.exec(query.order_by(col(TextMessage.id))))


def remind(at: object) -> None:
    with unit_of_work() as session:
        texts.queue_reminders(session, now=at)  # type: ignore[arg-type]


def test_a_confirmation_reaches_the_customer_once_in_the_business_language(
    outside: Outside, tenant: Tenant, lead: Lead
) -> None:
    english = make_tenant(name="Bright Smile", locale="en")
    theirs = make_lead(english, name="Dana")
    for who, person in ((tenant, lead), (english, theirs)):
        appointment = booked(who, person)
        with unit_of_work() as session:
            found = session.get(Appointment, appointment.id)
            assert found is not None and texts.confirm_booking(session, found) is not None
            assert texts.confirm_booking(session, found) is None  # one key, one text
    config = sms_config(outside)
    texts.send_waiting(config)
    texts.send_waiting(config)
    hebrew, = outside.rest.texts_to(lead.phone_e164)  # fmt: skip
    assert hebrew.from_ == tenant.business.phone_number
    assert hebrew.body.startswith("מרפאת השיניים: נקבע לך תור") and "השב/י 1" in hebrew.body
    english_text, = outside.rest.texts_to(theirs.phone_e164)  # fmt: skip
    assert english_text.body.startswith("Bright Smile: you are booked for")
    assert "Reply 1 to confirm or 2 to cancel" in english_text.body
    with unit_of_work() as session:
        row = session.exec(
            select(TextMessage).where(col(TextMessage.to_e164) == lead.phone_e164)
        ).one()
    assert row.state == "sent" and row.twilio_sid == hebrew.sid and row.attempts == 1


def test_reminders_come_24_and_2_hours_before_each_once_with_two_workers(
    outside: Outside, tenant: Tenant, lead: Lead
) -> None:
    appointment = booked(tenant, lead)
    config = sms_config(outside)
    remind(appointment.starts_at - timedelta(hours=25))
    texts.send_waiting(config)
    assert outside.rest.texts_to(lead.phone_e164) == []  # not due yet
    go = threading.Barrier(2)

    def worker(at: object) -> None:
        go.wait()
        for _ in range(3):  # periodic runs, again and again
            remind(at)
            texts.send_waiting(config)

    for due in (timedelta(hours=24) - timedelta(minutes=1), timedelta(hours=2)):
        at = appointment.starts_at - due
        pair = [threading.Thread(target=worker, args=(at,)) for _ in range(2)]
        for thread in pair:
            thread.start()
        for thread in pair:
            thread.join()
        go.reset()
    sent = outside.rest.texts_to(lead.phone_e164)
    assert len(sent) == 2 and all("תזכורת" in t.body for t in sent)
    assert [t.kind for t in texts_of(appointment)] == ["reminder", "reminder"]


def test_the_periodic_task_queues_and_sends_due_reminders(
    outside: Outside, tenant: Tenant, lead: Lead, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in outside.environment().items():
        monkeypatch.setenv(name, value)
    reload_settings()
    appointment = booked(tenant, lead, days=0.5)  # twelve hours ahead: the 24-hour one is due
    tasks.reminders(int(time.time()))
    tasks.reminders(int(time.time()))
    assert len(outside.rest.texts_to(lead.phone_e164)) == 1
    assert texts_of(appointment)[0].key.endswith(
        f":reminder-1440:{appointment.starts_at:%Y%m%dT%H%MZ}"
    )


def test_no_reminder_for_a_cancelled_appointment_or_when_texts_are_off(
    outside: Outside, tenant: Tenant, lead: Lead
) -> None:
    booked_one = booked(tenant, lead, days=0.5)
    with unit_of_work() as session:
        found = session.get(Appointment, booked_one.id)
        assert found is not None
        found.status = "cancelled"
        session.add(found)
    quiet = make_tenant(name="שקט")
    with unit_of_work() as session:
        business = session.get(type(quiet.business), quiet.id)
        assert business is not None
        business.texts_customers = False
        session.add(business)
    quiet_lead = make_lead(quiet)
    booked(quiet, quiet_lead, days=0.5)
    remind(utcnow())
    texts.send_waiting(sms_config(outside))
    assert outside.rest.texts_to(lead.phone_e164) == []
    assert outside.rest.texts_to(quiet_lead.phone_e164) == []


def test_an_appointment_moved_into_tomorrow_gets_no_late_reminder_for_its_old_time(
    outside: Outside, tenant: Tenant, lead: Lead
) -> None:
    appointment = booked(tenant, lead, days=5)
    with unit_of_work() as session:  # moved to twelve hours from now, just now
        found = session.get(Appointment, appointment.id)
        assert found is not None
        found.starts_at = utcnow() + timedelta(hours=12)
        found.ends_at, found.timed_at = found.starts_at + timedelta(minutes=30), utcnow()
        session.add(found)
    remind(utcnow())
    texts.send_waiting(sms_config(outside))
    assert outside.rest.texts_to(lead.phone_e164) == []  # the 24-hour one came before the move
    remind(found.starts_at - timedelta(hours=2))
    texts.send_waiting(sms_config(outside))
    assert len(outside.rest.texts_to(lead.phone_e164)) == 1  # the 2-hour one goes


def test_a_failed_send_is_tried_again_on_the_next_run(
    outside: Outside, tenant: Tenant, lead: Lead
) -> None:
    appointment = booked(tenant, lead, days=0.5)
    remind(utcnow())
    outside.rest.fail_texts = 1
    config = sms_config(outside)
    texts.send_waiting(config)  # tried once in this run, not again at once
    assert texts_of(appointment)[0].state == "pending"
    assert texts_of(appointment)[0].attempts == 1
    texts.send_waiting(config)
    assert texts_of(appointment)[0].state == "sent"
    assert len(outside.rest.texts_to(lead.phone_e164)) == 1


CHILD = """
import sys
from crm_app.services import sms, texts
from crm_app.settings import reload_settings
texts.send_waiting(sms.SmsConfig(sys.argv[1], sys.argv[2], sys.argv[3]))
"""


def test_a_worker_killed_while_twilio_holds_the_text_does_not_send_it_twice(
    outside: Outside, tenant: Tenant, lead: Lead
) -> None:
    appointment = booked(tenant, lead, days=0.5)
    remind(utcnow())
    outside.rest.hold_texts = threading.Event()
    config = sms_config(outside)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, config.account_sid, config.auth_token, config.api_base_url],
        env=os.environ.copy(),
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        deadline = time.monotonic() + 60
        while not outside.rest.texts and time.monotonic() < deadline:
            time.sleep(0.05)
        assert outside.rest.texts, "the worker never reached Twilio"
        child.send_signal(signal.SIGKILL)  # Twilio has the text; the worker never hears back
        child.wait(timeout=10)
    finally:
        outside.rest.hold_texts.set()
        outside.rest.hold_texts = None
        if child.poll() is None:
            child.kill()
    assert texts_of(appointment)[0].state == "sending"
    texts.send_waiting(config)  # the claim is fresh: it may still be sending
    assert texts_of(appointment)[0].state == "sending"
    later = utcnow() + texts.STALE_CLAIM + timedelta(seconds=1)
    texts.send_waiting(config, now=later)
    row = texts_of(appointment)[0]
    assert row.state == "sent" and row.twilio_sid == outside.rest.texts[0].sid
    assert len(outside.rest.texts_to(lead.phone_e164)) == 1


def test_a_worker_that_died_before_asking_twilio_leaves_the_text_to_the_next(
    outside: Outside, tenant: Tenant, lead: Lead
) -> None:
    appointment = booked(tenant, lead, days=0.5)
    remind(utcnow())
    with unit_of_work() as session:  # claimed by a worker that then died
        row = session.exec(
            select(TextMessage).where(col(TextMessage.appointment_id) == appointment.id)
        ).one()
        row.state, row.claimed_at, row.attempts = "sending", utcnow() - timedelta(minutes=5), 1
        session.add(row)
    texts.send_waiting(sms_config(outside))
    assert len(outside.rest.texts_to(lead.phone_e164)) == 1
    assert texts_of(appointment)[0].attempts == 2


def test_without_twilio_texts_land_in_the_local_outbox(
    tenant: Tenant, lead: Lead, tmp_path: Path
) -> None:
    appointment = booked(tenant, lead, days=0.5)
    remind(utcnow())
    config = sms.SmsConfig("", "", (tmp_path / "texts").as_uri())
    texts.send_waiting(config)
    kept = [p for p in (tmp_path / "texts").glob("SM*.json") if lead.phone_e164 in p.read_text()]
    assert len(kept) == 1
    kept = kept[0]
    assert texts_of(appointment)[0].twilio_sid == kept.stem
