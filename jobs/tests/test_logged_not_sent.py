"""A message that no mail or SMS service took is never shown as "Sent": with Django's console, file or in-memory
mail backend, or the log-only SMS backend, reminders and change notices read "Logged, not sent (no mail/SMS
service configured)" on the session page, with the reason; a real mail service (the suite's stand-in) is "Sent"."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from cases.choices import ReminderChannel
from cases.models import Partner
from jobs import reminders
from jobs.choices import ReminderStatus
from jobs.models import Reminder, SessionNotice
from jobs.reminders import LOGGED_NOT_SENT
from kapcouples.mail import email_logs_only
from sessions import services
from sessions.choices import Place

from .helpers import book

pytestmark = pytest.mark.django_db

LABEL = "Logged, not sent (no mail/SMS service configured)"
WORKER = "test-worker"


@pytest.fixture
def planned(couple, therapist, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return book(couple, therapist, hours=72)


def dispatch_48h(session):
    moment = session.start - datetime.timedelta(hours=48) + datetime.timedelta(seconds=1)
    with time_machine.travel(moment, tick=False):
        return reminders.reminders_dispatch_due(worker=WORKER)


def session_page(client_for, therapist, session) -> str:
    return client_for(therapist).get(reverse("sessions:session_detail", args=[session.uuid])).content.decode()


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
    ],
)
def test_e_mail_reminders_through_a_logging_backend_say_logged_not_sent(
    settings, tmp_path, backend, planned, client_for, therapist
):
    settings.EMAIL_BACKEND = backend
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    result = dispatch_48h(planned)
    assert result.sent == 0
    rows = Reminder.objects.filter(session=planned, lead_minutes=48 * 60)
    assert set(rows.values_list("status", flat=True)) == {ReminderStatus.LOGGED}
    assert set(rows.values_list("error", flat=True)) == {LOGGED_NOT_SENT[ReminderChannel.EMAIL]}
    page = session_page(client_for, therapist, planned)
    assert LABEL in page and "only logged on the server" in page
    assert ">Sent</span>" not in page


def test_a_real_mail_service_still_says_sent(planned, client_for, therapist):
    assert dispatch_48h(planned).sent == 3
    assert len(mail.outbox) == 3
    page = session_page(client_for, therapist, planned)
    assert ">Sent</span>" in page and LABEL not in page


def test_text_reminders_through_the_log_only_sms_backend_say_why(settings, couple, therapist, client_for, planned):
    settings.SMS_BACKEND = "jobs.sms.LoggingSMSBackend"
    Partner.objects.filter(couple=couple, label="A").update(reminder_channel=ReminderChannel.SMS, phone="+14155552671")
    Reminder.objects.filter(session=planned, partner__label="A").update(channel=ReminderChannel.SMS)
    dispatch_48h(planned)
    row = Reminder.objects.get(session=planned, partner__label="A", lead_minutes=48 * 60)
    assert (row.status, row.error) == (ReminderStatus.LOGGED, LOGGED_NOT_SENT[ReminderChannel.SMS])
    assert LABEL in session_page(client_for, therapist, planned)


def test_change_notices_through_a_logging_backend_say_logged_not_sent(
    settings, planned, therapist, client_for, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        services.session_reschedule(
            by=therapist, session=planned, start=planned.start + datetime.timedelta(days=1), place=Place.TELEHEALTH
        )
    notices = SessionNotice.objects.filter(session=planned)
    assert notices.count() == 2
    assert set(notices.values_list("status", flat=True)) == {ReminderStatus.LOGGED}
    page = session_page(client_for, therapist, planned)
    assert page.count(LABEL) >= 2


def test_a_backend_may_declare_itself(settings):
    settings.EMAIL_BACKEND = "tests.mail_backend.MailServiceStandIn"
    assert email_logs_only() is False
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert email_logs_only() is False
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    assert email_logs_only() is True


def test_the_settings_page_says_when_e_mails_are_only_logged(settings, client_for, clinic_admin):
    url = reverse("clinic:settings")
    assert 'id="mail-logs-only"' not in client_for(clinic_admin).get(url).content.decode()
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    page = client_for(clinic_admin).get(url).content.decode()
    assert 'id="mail-logs-only"' in page and "no mail service is configured" in page
