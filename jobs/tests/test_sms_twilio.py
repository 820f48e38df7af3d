"""Text reminders through Twilio's library against a local fake of its HTTP API: send, signed and forged status
callbacks, failures and retries with backoff, resending, and the logging backend that never claims "sent"."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases.choices import ReminderChannel
from cases.models import Partner
from jobs import reminders
from jobs.choices import DeliveryStatus, ReminderStatus
from jobs.models import Reminder
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM, FakeTwilio

from .helpers import book

pytestmark = pytest.mark.django_db

WORKER = "test-worker"
SITE = "https://kap.clinic.example"
MOBILE = "+14155552671"


@pytest.fixture
def fake_twilio(settings):
    fake = FakeTwilio().start()
    settings.SMS_BACKEND = "jobs.sms_twilio.TwilioSMSBackend"
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM = ACCOUNT_SID, AUTH_TOKEN, FROM
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_API_BASE_URL = fake.base_url
    settings.SITE_URL = SITE
    yield fake
    fake.stop()


@pytest.fixture
def texted(couple, therapist, django_capture_on_commit_callbacks):
    """Partner A takes text reminders; B has opted out. An assessment 3 days ahead, reminders planned."""
    Partner.objects.filter(couple=couple, label="A").update(reminder_channel=ReminderChannel.SMS, phone=MOBILE)
    Partner.objects.filter(couple=couple, label="B").update(reminder_channel=ReminderChannel.NONE)
    with django_capture_on_commit_callbacks(execute=True):
        session = book(couple, therapist, hours=72)
    return session


def text_row(session) -> Reminder:
    return Reminder.objects.get(session=session, partner__label="A", lead_minutes=48 * 60)


def at_due(session, lead_hours: int = 48):
    return time_machine.travel(
        session.start - datetime.timedelta(hours=lead_hours) + datetime.timedelta(seconds=1), tick=False
    )


def report(client, fake, *, sid, status, error_code="", signature=None):
    url = SITE + reverse("jobs:sms_status")
    params, signed = fake.signed_report(url=url, sid=sid, status=status, error_code=error_code)
    headers = {} if signature == "" else {"HTTP_X_TWILIO_SIGNATURE": signed if signature is None else signature}
    return client.post(reverse("jobs:sms_status"), params, **headers)


def test_a_text_reminder_goes_through_the_provider_with_a_status_callback(fake_twilio, texted):
    with at_due(texted):
        reminders.reminders_dispatch_due(worker=WORKER)
    [sent] = fake_twilio.accepted
    assert sent["To"] == MOBILE and sent["From"] == FROM
    assert sent["StatusCallback"] == SITE + "/sms/status/"
    assert "reminder of your appointment" in sent["Body"]
    row = text_row(texted)
    assert (row.status, row.provider_id, row.delivery_status) == (
        ReminderStatus.SENT,
        sent["sid"],
        DeliveryStatus.QUEUED,
    )


def test_a_signed_delivery_report_is_shown_on_the_reminder(fake_twilio, texted, client, client_for, therapist):
    with at_due(texted):
        reminders.reminders_dispatch_due(worker=WORKER)
    sid = fake_twilio.accepted[0]["sid"]
    assert report(client, fake_twilio, sid=sid, status="sent").status_code == 204
    assert report(client, fake_twilio, sid=sid, status="delivered").status_code == 204
    # A late report of an earlier stage (callbacks arrive out of order) does not undo delivery.
    assert report(client, fake_twilio, sid=sid, status="sent").status_code == 204
    assert text_row(texted).delivery_status == DeliveryStatus.DELIVERED
    page = client_for(therapist).get(reverse("sessions:session_detail", args=[texted.uuid]))
    assert "Delivered" in page.content.decode()


@pytest.mark.parametrize("signature", ["", "forged-signature"])
def test_an_unsigned_or_forged_report_is_refused_and_changes_nothing(fake_twilio, texted, client, signature):
    with at_due(texted):
        reminders.reminders_dispatch_due(worker=WORKER)
    sid = fake_twilio.accepted[0]["sid"]
    response = report(client, fake_twilio, sid=sid, status="failed", signature=signature)
    assert response.status_code == 403
    assert text_row(texted).delivery_status == DeliveryStatus.QUEUED


def test_a_report_signed_with_another_token_is_refused(fake_twilio, texted, client):
    with at_due(texted):
        reminders.reminders_dispatch_due(worker=WORKER)
    impostor = FakeTwilio(auth_token="someone-elses-token")
    impostor.accepted = fake_twilio.accepted
    response = report(client, impostor, sid=fake_twilio.accepted[0]["sid"], status="delivered")
    assert response.status_code == 403
    assert text_row(texted).delivery_status == DeliveryStatus.QUEUED


def test_a_provider_asking_to_try_later_is_retried_with_backoff(fake_twilio, texted):
    fake_twilio.fail_next(503, 20503, "Service unavailable")
    with at_due(texted) as clock:
        reminders.reminders_dispatch_due(worker=WORKER)
        row = text_row(texted)
        assert (row.status, row.attempts) == (ReminderStatus.PENDING, 1)
        assert row.next_attempt_at == timezone.now() + datetime.timedelta(minutes=1)
        assert "try later (503)" in row.error
        reminders.reminders_dispatch_due(worker=WORKER)  # not before the backoff
        assert text_row(texted).attempts == 1
        clock.shift(datetime.timedelta(minutes=2))
        reminders.reminders_dispatch_due(worker=WORKER)
    row = text_row(texted)
    assert (row.status, row.attempts) == (ReminderStatus.SENT, 2)
    assert len(fake_twilio.accepted) == 1


def test_an_unreachable_provider_is_retried(fake_twilio, texted):
    fake_twilio.stop()  # nothing listens on the port any more: connection refused
    with at_due(texted):
        reminders.reminders_dispatch_due(worker=WORKER)
    row = text_row(texted)
    assert row.status == ReminderStatus.PENDING and "could not be reached" in row.error


def test_a_number_that_cannot_take_texts_fails_with_the_reason_and_can_be_resent(
    fake_twilio, texted, client_for, therapist
):
    fake_twilio.fail_next(400, 21614, "'To' number is not a valid mobile number")
    with at_due(texted) as clock:
        reminders.reminders_dispatch_due(worker=WORKER)
        row = text_row(texted)
        assert row.status == ReminderStatus.FAILED
        assert row.error == "The number cannot receive text messages (not a mobile) (provider error 21614)."
        page = client_for(therapist).get(reverse("sessions:session_detail", args=[texted.uuid])).content.decode()
        assert "Send again" in page and reverse("jobs:reminder_resend", args=[texted.uuid, row.pk]) in page
        clock.shift(datetime.timedelta(minutes=5))
        response = client_for(therapist).post(reverse("jobs:reminder_resend", args=[texted.uuid, row.pk]))
        assert response.status_code == 302
        row.refresh_from_db()
        assert (row.status, row.resent_by) == (ReminderStatus.PENDING, therapist)
        reminders.reminders_dispatch_due(worker=WORKER)
    assert text_row(texted).status == ReminderStatus.SENT
    assert len(fake_twilio.accepted) == 1


def test_an_undelivered_text_can_be_resent_once_and_a_delivered_one_cannot(
    fake_twilio, texted, client, client_for, therapist
):
    with at_due(texted):
        reminders.reminders_dispatch_due(worker=WORKER)
        sid = fake_twilio.accepted[0]["sid"]
        report(client, fake_twilio, sid=sid, status="undelivered", error_code="30003")
        row = text_row(texted)
        assert row.delivery_error == "The provider could not deliver the text (error 30003)."
        staff = client_for(therapist)
        staff.post(reverse("jobs:reminder_resend", args=[texted.uuid, row.pk]))
        reminders.reminders_dispatch_due(worker=WORKER)
        assert len(fake_twilio.accepted) == 2
        report(client, fake_twilio, sid=fake_twilio.accepted[1]["sid"], status="delivered")
        response = staff.post(reverse("jobs:reminder_resend", args=[texted.uuid, row.pk]), follow=True)
    assert "only one the provider could not deliver is sent again" in response.content.decode()
    assert text_row(texted).delivery_status == DeliveryStatus.DELIVERED
    assert len(fake_twilio.accepted) == 2


def test_a_connection_cut_after_the_request_left_is_unknown_not_retried(fake_twilio, texted):
    fake_twilio.drop_next()
    with at_due(texted):
        reminders.reminders_dispatch_due(worker=WORKER)
        reminders.reminders_dispatch_due(worker=WORKER)
    row = text_row(texted)
    assert row.status == ReminderStatus.UNKNOWN
    assert len(fake_twilio.messages) == 1


def test_a_therapist_outside_the_caseload_cannot_resend(fake_twilio, texted, client_for, other_therapist):
    fake_twilio.fail_next(400, 21211, "invalid")
    with at_due(texted):
        reminders.reminders_dispatch_due(worker=WORKER)
    row = text_row(texted)
    response = client_for(other_therapist).post(reverse("jobs:reminder_resend", args=[texted.uuid, row.pk]))
    assert response.status_code == 404
    assert text_row(texted).status == ReminderStatus.FAILED


def test_the_logging_backend_marks_texts_logged_not_sent(settings, texted, client_for, therapist):
    settings.SMS_BACKEND = "jobs.sms.LoggingSMSBackend"
    with at_due(texted):
        reminders.reminders_dispatch_due(worker=WORKER)
    row = text_row(texted)
    assert row.status == ReminderStatus.LOGGED
    page = client_for(therapist).get(reverse("sessions:session_detail", args=[texted.uuid])).content.decode()
    assert "Logged, not sent" in page


def test_production_plans_no_text_reminders_through_the_logging_backend(
    settings, couple, therapist, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "jobs.sms.LoggingSMSBackend"
    settings.PRODUCTION = True
    Partner.objects.filter(couple=couple, label="A").update(reminder_channel=ReminderChannel.SMS, phone=MOBILE)
    with django_capture_on_commit_callbacks(execute=True):
        session = book(couple, therapist, hours=72)
    row = text_row(session)
    assert row.status == ReminderStatus.SKIPPED
    assert "only logs messages" in row.error
    # E-mail reminders are planned as before.
    assert Reminder.objects.filter(session=session, partner__label="B", status=ReminderStatus.PENDING).count() == 2


def test_a_text_chosen_after_planning_is_not_sent_through_the_logging_backend_in_production(settings, texted):
    settings.SMS_BACKEND = "jobs.sms.LoggingSMSBackend"
    settings.PRODUCTION = True
    with at_due(texted):
        reminders.reminders_dispatch_due(worker=WORKER)
    row = text_row(texted)
    assert row.status == ReminderStatus.SKIPPED and "only logs messages" in row.error


def test_the_settings_page_says_texts_are_logged_not_sent(settings, client_for, clinic_admin):
    settings.SMS_BACKEND = "jobs.sms.LoggingSMSBackend"
    page = client_for(clinic_admin).get(reverse("clinic:settings")).content.decode()
    assert "logged, not sent" in page
    settings.PRODUCTION = True
    page = client_for(clinic_admin).get(reverse("clinic:settings")).content.decode()
    assert "only logs messages, so nothing would reach the phone" in page and "jobs.sms_twilio" in page
