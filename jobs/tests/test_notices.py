"""Reminders follow the session and the couple hears of changes: a move re-plans the reminders and sends a change
notice by each partner's channel, a cancellation withdraws them and sends a cancellation notice; once only."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cases.choices import ReminderChannel
from cases.models import Partner
from jobs import notices, tasks
from jobs.choices import NoticeKind, ReminderStatus
from jobs.models import Reminder, SessionNotice
from sessions import services
from sessions.choices import Place

from .helpers import book

pytestmark = pytest.mark.django_db


@pytest.fixture
def planned(couple, therapist, django_capture_on_commit_callbacks):
    Partner.objects.filter(couple=couple, label="A").update(reminder_channel=ReminderChannel.SMS, phone="+14155552671")
    with django_capture_on_commit_callbacks(execute=True):
        session = book(couple, therapist, hours=72)
    return session


def test_a_move_replans_reminders_and_tells_each_partner_by_their_channel(
    planned, therapist, sms_outbox, django_capture_on_commit_callbacks
):
    new_start = planned.start + datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_reschedule(by=therapist, session=planned, start=new_start, place=Place.TELEHEALTH)
    open_rows = Reminder.objects.filter(session=planned, status=ReminderStatus.PENDING)
    assert set(open_rows.values_list("session_start", flat=True)) == {new_start}
    a, b = planned.couple.partners.order_by("label")
    local = timezone.localtime(new_start)
    [text] = sms_outbox
    assert text["to"] == a.phone
    assert (
        f"{a.first_name}, your appointment has moved to {local:%a} {local.day} {local:%b, %H:%M} (Telehealth)"
        in text["body"]
    )
    assert b.last_name not in text["body"] and planned.couple.case_number not in text["body"]
    [letter] = [m for m in mail.outbox if m.to == [b.email]]
    assert letter.subject == "Your appointment has moved"
    assert set(SessionNotice.objects.values_list("status", flat=True)) == {ReminderStatus.SENT}


def test_a_cancellation_withdraws_reminders_and_sends_a_cancellation_notice(
    planned, therapist, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.session_cancel(by=therapist, session=planned, reason="Illness")
    assert not Reminder.objects.filter(session=planned, status=ReminderStatus.PENDING).exists()
    assert "is cancelled" in sms_outbox[0]["body"]
    assert "Illness" not in sms_outbox[0]["body"]
    assert [m.subject for m in mail.outbox if m.to == [planned.couple.partners.get(label="B").email]] == [
        "Your appointment is cancelled"
    ]


def test_a_notice_is_sent_once_however_often_the_work_runs(
    planned, therapist, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.session_cancel(by=therapist, session=planned)
    notices.session_notices_plan(session_id=planned.pk, kind=NoticeKind.CANCELLED)
    tasks.reminders_dispatch()
    tasks.reminders_dispatch()
    assert len(sms_outbox) == 1
    assert SessionNotice.objects.filter(session=planned).count() == 2


def test_only_the_latest_change_is_announced_if_the_first_notice_has_not_gone(planned, therapist, sms_outbox):
    first = planned.start + datetime.timedelta(days=1)
    services.session_reschedule(by=therapist, session=planned, start=first, place=Place.TELEHEALTH)
    notices.session_notices_plan(session_id=planned.pk, kind=NoticeKind.MOVED)
    services.session_cancel(by=therapist, session=planned)
    notices.session_notices_plan(session_id=planned.pk, kind=NoticeKind.CANCELLED)
    notices.notices_dispatch_due()
    assert len(sms_outbox) == 1 and "is cancelled" in sms_outbox[0]["body"]
    moved = SessionNotice.objects.filter(kind=NoticeKind.MOVED)
    assert set(moved.values_list("status", flat=True)) == {ReminderStatus.SKIPPED}


def test_a_partner_who_opted_out_gets_no_notice(planned, therapist, sms_outbox, django_capture_on_commit_callbacks):
    Partner.objects.filter(couple=planned.couple).update(reminder_channel=ReminderChannel.NONE)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_cancel(by=therapist, session=planned)
    partner_addresses = [[p.email] for p in planned.couple.partners.all()]
    assert sms_outbox == [] and not [m for m in mail.outbox if m.to in partner_addresses]
    assert set(SessionNotice.objects.values_list("status", flat=True)) == {ReminderStatus.SKIPPED}


def test_a_mail_server_that_cannot_be_reached_is_retried_with_backoff(planned, therapist, monkeypatch, sms_outbox):
    def refuse(self):
        raise ConnectionRefusedError("no server")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.open", refuse, raising=False)
    services.session_cancel(by=therapist, session=planned)
    notices.session_notices_plan(session_id=planned.pk, kind=NoticeKind.CANCELLED)
    notices.notices_dispatch_due()
    row = SessionNotice.objects.get(partner__label="B")
    assert row.status == ReminderStatus.PENDING and row.next_attempt_at > timezone.now()
    monkeypatch.undo()
    SessionNotice.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    notices.notices_dispatch_due()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (ReminderStatus.SENT, 2)


def test_the_session_page_shows_the_notices(planned, therapist, client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.session_cancel(by=therapist, session=planned)
    page = client_for(therapist).get(reverse("sessions:session_detail", args=[planned.uuid])).content.decode()
    assert "Change notices to the couple" in page and "Session cancelled" in page
