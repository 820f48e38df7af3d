"""Reminders: planned when a session is booked or moved, cancelled with it, claimed once and sent at most once."""

import datetime
import smtplib

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cases.choices import ReminderChannel
from cases.models import Partner
from jobs import reminders
from jobs.choices import Channel, ReminderStatus
from jobs.models import Reminder, ReminderLead
from sessions import services
from sessions.choices import Phase, Place
from sessions.tests.helpers import held

from .helpers import book

pytestmark = pytest.mark.django_db

WORKER = "test-worker"


@pytest.fixture
def planned(couple, therapist, django_capture_on_commit_callbacks):
    """An assessment booked 3 days ahead, with its reminders planned by the booking's on-commit hook."""
    with django_capture_on_commit_callbacks(execute=True):
        session = book(couple, therapist, hours=72)
    return session


def at_due(reminder_or_session, lead_hours: int):
    session = getattr(reminder_or_session, "session", reminder_or_session)
    return time_machine.travel(
        session.start - datetime.timedelta(hours=lead_hours) + datetime.timedelta(seconds=1), tick=False
    )


def test_booking_plans_a_reminder_per_person_and_lead_time(planned, therapist):
    rows = Reminder.objects.filter(session=planned)
    assert rows.count() == 6  # partners A and B and the therapist, at 48 h and 2 h
    assert set(rows.values_list("status", flat=True)) == {ReminderStatus.PENDING}
    assert set(rows.values_list("lead_minutes", flat=True)) == {48 * 60, 2 * 60}
    therapist_rows = rows.filter(user=therapist)
    assert {r.due_at for r in therapist_rows} == {
        planned.start - datetime.timedelta(hours=48),
        planned.start - datetime.timedelta(hours=2),
    }


def test_planning_twice_creates_nothing_new(planned):
    reminders.reminders_plan_for_session(planned.pk)
    reminders.reminders_plan_for_session(planned.pk)
    assert Reminder.objects.filter(session=planned).count() == 6


def test_lead_times_are_the_clinics_per_phase(couple, therapist, django_capture_on_commit_callbacks):
    ReminderLead.objects.filter(phase=Phase.ASSESSMENT).delete()
    ReminderLead.objects.create(phase=Phase.ASSESSMENT, minutes_before=24 * 60)
    with django_capture_on_commit_callbacks(execute=True):
        session = book(couple, therapist, hours=72)
    assert set(Reminder.objects.filter(session=session).values_list("lead_minutes", flat=True)) == {24 * 60}


def test_a_due_reminder_is_sent_once_however_often_the_dispatcher_runs(planned, therapist):
    with at_due(planned, 48):
        first = reminders.reminders_dispatch_due(worker="beat-1")
        second = reminders.reminders_dispatch_due(worker="beat-2")  # beat fired twice
    assert (first.sent, second.sent) == (3, 0)
    assert len(mail.outbox) == 3
    recipients = sorted(m.to[0] for m in mail.outbox)
    partners = sorted(planned.couple.partners.values_list("email", flat=True))
    assert recipients == sorted([*partners, therapist.email])
    sent = Reminder.objects.filter(session=planned, status=ReminderStatus.SENT)
    assert sent.count() == 3 and all(r.sent_at and r.attempts == 1 for r in sent)


def test_a_claimed_reminder_is_not_sent_by_another_worker(planned):
    reminder = Reminder.objects.filter(session=planned, lead_minutes=48 * 60).first()
    with at_due(planned, 48):
        Reminder.objects.filter(pk=reminder.pk).update(
            status=ReminderStatus.CLAIMED, claimed_by="other", claimed_at=timezone.now()
        )
        assert reminders.reminder_send(reminder.pk, worker=WORKER) is None
    assert mail.outbox == []


def test_a_claim_whose_worker_died_is_sent_by_the_next_worker_once_its_lease_ends(planned, settings):
    settings.JOBS_STALE_SECONDS = 600  # the documents' timeout: reminders do not wait for it
    settings.JOBS_REMINDER_LEASE_SECONDS = 60
    reminder = Reminder.objects.filter(session=planned, lead_minutes=48 * 60).first()
    with at_due(planned, 48) as clock:
        Reminder.objects.filter(pk=reminder.pk).update(
            status=ReminderStatus.CLAIMED, claimed_by="dead", claimed_at=timezone.now()
        )
        reminders.reminders_dispatch_due(worker=WORKER)
        assert Reminder.objects.get(pk=reminder.pk).status == ReminderStatus.CLAIMED  # not stale yet
        clock.shift(datetime.timedelta(seconds=61))
        reminders.reminders_dispatch_due(worker=WORKER)
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SENT
    address = reminder.partner.email if reminder.partner else reminder.user.email
    assert len([m for m in mail.outbox if address in m.to]) == 1


def test_a_send_interrupted_after_the_mark_is_flagged_for_a_person_and_never_resent(planned, settings):
    settings.JOBS_STALE_SECONDS = 600
    settings.JOBS_REMINDER_LEASE_SECONDS = 60
    reminder = Reminder.objects.filter(session=planned, lead_minutes=48 * 60).first()
    with at_due(planned, 48) as clock:
        # A worker wrote 'sending' and died: the message may have left.
        Reminder.objects.filter(pk=reminder.pk).update(
            status=ReminderStatus.SENDING, claimed_by="dead", claimed_at=timezone.now(), sending_at=timezone.now()
        )
        clock.shift(datetime.timedelta(seconds=61))
        reminders.reminders_dispatch_due(worker=WORKER)
        reminders.reminders_dispatch_due(worker=WORKER)
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.UNKNOWN
    assert "may or may not have arrived" in reminder.error
    assert len(mail.outbox) == 2  # the two other people's; never this one


def test_a_live_worker_slower_than_its_lease_keeps_its_batch_by_renewing_it(
    planned, settings, monkeypatch, client_for, therapist
):
    """Each message takes 25 s against a 60 s lease, and another dispatcher looks for dead claims during every
    send: the worker renews its leases as it goes, so it sends all its batch and nothing is taken from it."""
    settings.JOBS_REMINDER_LEASE_SECONDS = 60
    for lead in (48 * 60, 47 * 60, 46 * 60):
        ReminderLead.objects.get_or_create(phase=Phase.ASSESSMENT, minutes_before=lead)
    reminders.reminders_plan_for_session(planned.pk)
    deliver = reminders._Batch.deliver
    with at_due(planned, 46) as clock:
        due = Reminder.objects.filter(session=planned, lead_minutes__gte=46 * 60, status=ReminderStatus.PENDING)
        assert due.count() == 9

        def slow_deliver(batch, reminder, *args):
            clock.shift(datetime.timedelta(seconds=25))
            reminders.reminders_release_stale()  # another dispatcher, meanwhile
            return deliver(batch, reminder, *args)

        monkeypatch.setattr(reminders._Batch, "deliver", slow_deliver)
        result = reminders.reminders_dispatch_due(worker=WORKER)
    assert result.sent == 9
    rows = Reminder.objects.filter(session=planned, lead_minutes__gte=46 * 60)
    assert set(rows.values_list("status", flat=True)) == {ReminderStatus.SENT}
    assert len(mail.outbox) == 9
    # The session page lists them as sent, with no "unknown" row waiting for a person.
    response = client_for(therapist).get(reverse("sessions:session_detail", args=[planned.uuid]))
    assert "Unknown: check by hand" not in response.content.decode()


def test_a_dead_workers_unsent_claims_go_back_after_the_lease_and_its_send_in_flight_is_unknown(
    planned, settings, client_for, therapist
):
    """The lease is what a dead worker's claims wait for: not a moment before it ends, at once after. The one it
    was sending is shown on the session page for a person, with a button to send it again."""
    settings.JOBS_STALE_SECONDS = 600
    settings.JOBS_REMINDER_LEASE_SECONDS = 60
    rows = list(Reminder.objects.filter(session=planned, lead_minutes=48 * 60).order_by("pk"))
    with at_due(planned, 48) as clock:
        now = timezone.now()
        Reminder.objects.filter(pk=rows[0].pk).update(
            status=ReminderStatus.SENDING, claimed_by="dead", claimed_at=now, sending_at=now
        )
        Reminder.objects.filter(pk__in=[r.pk for r in rows[1:]]).update(
            status=ReminderStatus.CLAIMED, claimed_by="dead", claimed_at=now
        )
        clock.shift(datetime.timedelta(seconds=59))
        assert reminders.reminders_dispatch_due(worker=WORKER).sent == 0
        clock.shift(datetime.timedelta(seconds=2))
        assert reminders.reminders_dispatch_due(worker=WORKER).sent == 2
    statuses = dict(Reminder.objects.filter(pk__in=[r.pk for r in rows]).values_list("pk", "status"))
    assert statuses[rows[0].pk] == ReminderStatus.UNKNOWN
    assert {statuses[r.pk] for r in rows[1:]} == {ReminderStatus.SENT}
    assert len(mail.outbox) == 2
    page = client_for(therapist).get(reverse("sessions:session_detail", args=[planned.uuid])).content.decode()
    row = page[page.index(f'id="reminder-{rows[0].pk}"') :].split("</tr>")[0]
    assert "Unknown: check by hand" in row and "may or may not have arrived" in row
    assert reverse("jobs:reminder_resend", args=[planned.uuid, rows[0].pk]) in row


@pytest.mark.parametrize("detail", ["full", "basic"])
def test_a_medicine_session_reminder_carries_the_pre_session_instructions(
    therapist, prescriber, couple, detail, django_capture_on_commit_callbacks
):
    from clinic.models import ClinicSettings
    from dosing.tests.factories import approval_on_file
    from sessions.tests.helpers import history

    ClinicSettings.objects.update_or_create(pk=1, defaults={"reminder_detail": detail})
    approval_on_file(couple, prescriber)
    now = timezone.now()
    history(
        couple,
        therapist,
        [
            (Phase.ASSESSMENT, now - datetime.timedelta(days=30)),
            (Phase.PREPARATION, now - datetime.timedelta(days=20)),
            (Phase.PREPARATION, now - datetime.timedelta(days=10)),
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        session = book(couple, therapist, hours=72, phase=Phase.MEDICINE)
    with at_due(session, 48):
        reminders.reminders_dispatch_due(worker=WORKER)
    partner_mail = [m for m in mail.outbox if m.to[0] != therapist.email]
    assert len(partner_mail) == 2
    for message in partner_mail:
        if detail == "full":
            assert "fasting" in message.body
            assert "ride home" in message.body
            assert "Do not drive until the next day" in message.body
        else:  # the clinic's default names no treatment, no therapist, no kind of session
            assert "Please follow the instructions your care team gave you" in message.body
            assert "fasting" not in message.body and "Medicine" not in message.body
            assert str(therapist) not in message.body


def test_a_moved_session_sends_for_the_new_time_only(planned, therapist, django_capture_on_commit_callbacks):
    old_start = planned.start
    new_start = old_start + datetime.timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_reschedule(by=therapist, session=planned, start=new_start, place=Place.TELEHEALTH)
    old = Reminder.objects.filter(session=planned, session_start=old_start)
    new = Reminder.objects.filter(session=planned, session_start=new_start)
    assert set(old.values_list("status", flat=True)) == {ReminderStatus.CANCELLED}
    assert new.count() == 6 and set(new.values_list("status", flat=True)) == {ReminderStatus.PENDING}
    with at_due(planned, 48):  # the old time's 48 h mark: nothing goes out
        assert reminders.reminders_dispatch_due(worker=WORKER).sent == 0
    with time_machine.travel(new_start - datetime.timedelta(hours=2) + datetime.timedelta(seconds=1), tick=False):
        result = reminders.reminders_dispatch_due(worker=WORKER)
    assert result.sent == 6  # the new time's 48 h and 2 h reminders, both now due
    assert all(timezone.localtime(new_start).strftime("%H:%M") in m.body for m in mail.outbox)


def test_a_cancelled_session_sends_nothing(planned, therapist, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.session_cancel(by=therapist, session=planned, reason="Couple unwell")
    assert set(Reminder.objects.filter(session=planned).values_list("status", flat=True)) == {ReminderStatus.CANCELLED}
    with at_due(planned, 2):
        assert reminders.reminders_dispatch_due(worker=WORKER).sent == 0
    # Only the cancellation notice to each partner (jobs/notices.py); no reminder.
    assert [m.subject for m in mail.outbox] == ["Your appointment is cancelled"] * 2


def test_a_cancellation_the_hook_missed_is_caught_before_sending(planned, therapist):
    from jobs import tasks

    services.session_cancel(by=therapist, session=planned)  # on-commit hook never ran (test transaction)
    with at_due(planned, 48):
        tasks.reminders_dispatch()
    assert mail.outbox == []
    assert not Reminder.objects.filter(session=planned, status=ReminderStatus.PENDING).exists()


def test_each_partners_channel_and_opt_out_are_honoured(
    couple, therapist, sms_outbox, django_capture_on_commit_callbacks
):
    Partner.objects.filter(couple=couple, label="A").update(reminder_channel=ReminderChannel.SMS)
    Partner.objects.filter(couple=couple, label="B").update(reminder_channel=ReminderChannel.NONE)
    with django_capture_on_commit_callbacks(execute=True):
        session = book(couple, therapist, hours=72)
    with at_due(session, 48):
        reminders.reminders_dispatch_due(worker=WORKER)
    a = couple.partners.get(label="A")
    assert [m["to"] for m in sms_outbox] == [a.phone]
    assert "reminder of your appointment" in sms_outbox[0]["body"]
    assert [m.to for m in mail.outbox] == [[therapist.email]]
    b_rows = Reminder.objects.filter(session=session, partner__label="B")
    assert set(b_rows.values_list("status", flat=True)) == {ReminderStatus.SKIPPED}
    assert b_rows.first().error == reminders.OPTED_OUT


def test_an_opt_out_after_planning_stops_the_reminder(planned):
    Partner.objects.filter(couple=planned.couple, label="A").update(reminder_channel=ReminderChannel.NONE)
    with at_due(planned, 48):
        reminders.reminders_dispatch_due(worker=WORKER)
    row = Reminder.objects.get(session=planned, partner__label="A", lead_minutes=48 * 60)
    assert (row.status, row.channel) == (ReminderStatus.SKIPPED, Channel.NONE)
    assert len(mail.outbox) == 2


def test_no_address_is_a_clear_failure_and_the_others_still_go(planned, therapist):
    type(therapist).objects.filter(pk=therapist.pk).update(email="")
    with at_due(planned, 48):
        result = reminders.reminders_dispatch_due(worker=WORKER)
    assert (result.sent, result.failed) == (2, 1)
    row = Reminder.objects.get(session=planned, user=therapist, lead_minutes=48 * 60)
    assert row.status == ReminderStatus.FAILED
    assert row.error == f"{therapist} has no e-mail address on file."


def test_a_mail_server_that_cannot_be_reached_is_retried_with_backoff(planned, monkeypatch):
    def refuse(self):
        raise ConnectionRefusedError("no server")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.open", refuse, raising=False)
    with at_due(planned, 48) as clock:
        reminders.reminders_dispatch_due(worker=WORKER)
        row = Reminder.objects.filter(session=planned, lead_minutes=48 * 60).first()
        assert row.status == ReminderStatus.PENDING and row.attempts == 1
        assert row.next_attempt_at == timezone.now() + datetime.timedelta(minutes=1)
        assert "could not be reached" in row.error
        monkeypatch.undo()
        clock.shift(datetime.timedelta(minutes=2))
        reminders.reminders_dispatch_due(worker=WORKER)
    row.refresh_from_db()
    assert row.status == ReminderStatus.SENT and row.attempts == 2
    assert len(mail.outbox) == 3


def test_a_refused_address_fails_without_retrying(planned, monkeypatch):
    def refuse(self, messages):
        raise smtplib.SMTPRecipientsRefused({"x@example": (550, b"no such user")})

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    with at_due(planned, 48):
        reminders.reminders_dispatch_due(worker=WORKER)
    rows = Reminder.objects.filter(session=planned, lead_minutes=48 * 60)
    assert set(rows.values_list("status", flat=True)) == {ReminderStatus.FAILED}


def test_a_late_booking_skips_reminders_already_past(couple, therapist, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        session = book(couple, therapist, hours=10)
    rows = Reminder.objects.filter(session=session)
    assert set(rows.filter(lead_minutes=48 * 60).values_list("status", flat=True)) == {ReminderStatus.SKIPPED}
    assert set(rows.filter(lead_minutes=2 * 60).values_list("status", flat=True)) == {ReminderStatus.PENDING}


def test_the_sweep_plans_sessions_whose_hook_never_ran(couple, therapist):
    start = timezone.now() + datetime.timedelta(hours=30)
    session = held(couple, therapist, Phase.ASSESSMENT, start, status="scheduled")
    assert reminders.reminders_plan_missing() == 1
    assert Reminder.objects.filter(session=session).count() == 6
    assert reminders.reminders_plan_missing() == 0


def test_booking_works_and_reminders_follow_when_the_broker_is_down(
    couple, therapist, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from jobs import tasks
    from outbox.models import OutboxMessage

    settings.CELERY_TASK_ALWAYS_EAGER = False

    def broker_down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(tasks.outbox_deliver, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        session = book(couple, therapist, hours=72)
    # The booking stands, and what it asks for waits in the outbox instead of in the broker.
    assert OutboxMessage.objects.filter(object_id=session.pk, sent_at__isnull=True).count() == 1
    with at_due(session, 48):
        assert tasks.outbox_sweep() == 1  # what beat runs once a worker is back
        assert Reminder.objects.filter(session=session).count() == 6
        tasks.reminders_dispatch()
        assert tasks.outbox_sweep() == 0  # delivered once
    assert len(mail.outbox) == 3


def test_the_session_page_shows_what_was_sent_and_failures(planned, therapist, client_for):
    type(therapist).objects.filter(pk=therapist.pk).update(email="")
    with at_due(planned, 48):
        reminders.reminders_dispatch_due(worker=WORKER)
    response = client_for(therapist).get(reverse("sessions:session_detail", args=[planned.uuid]))
    html = response.content.decode()
    assert "Reminders" in html
    assert html.count('text-bg-success">Sent<') == 2
    assert "has no e-mail address on file." in html
