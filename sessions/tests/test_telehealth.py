"""Telehealth video links: a session's own https link or its therapist's standing one, refused with a reason next to
the field from the page, the service and the database, and carried to the session page, calendar, feed and
reminders."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from jobs import reminders
from sessions import feeds, services, telehealth
from sessions.choices import Place, SessionStatus
from sessions.models import TherapySession
from sessions.tests.helpers import A, at, held

pytestmark = pytest.mark.django_db

LINK = "https://meet.clinic.example/room-4"


def booking(couple, **extra):
    return {"couple": couple.pk, "phase": A, "start": "2030-03-05T10:00", "place": Place.TELEHEALTH, **extra}


def test_a_telehealth_booking_keeps_its_link_and_the_page_shows_it(frozen, client_for, therapist, active_couple):
    client = client_for(therapist)
    response = client.post(reverse("sessions:session_new"), booking(active_couple, video_url=LINK))
    assert response.status_code == 302
    session = TherapySession.objects.get()
    assert session.video_url == LINK
    page = client.get(reverse("sessions:session_detail", args=[session.uuid])).content.decode()
    assert f'href="{LINK}"' in page
    week = client.get(reverse("sessions:calendar_week") + "?date=2030-03-04").content.decode()
    assert f"Video: {LINK}" in week


@pytest.mark.parametrize(
    "link, place, reason",
    [
        ("http://meet.clinic.example/room-4", Place.TELEHEALTH, "full https:// address"),
        ("not a link", Place.TELEHEALTH, "full https:// address"),
        (LINK, Place.HOME, "Only a telehealth session has a video link; this one is home"),
    ],
)
def test_a_bad_link_is_refused_next_to_the_field_and_nothing_is_booked(
    frozen, client_for, therapist, active_couple, link, place, reason
):
    response = client_for(therapist).post(
        reverse("sessions:session_new"), booking(active_couple, video_url=link, place=place)
    )
    assert response.status_code == 400
    assert reason in " ".join(response.context["form"].errors["video_url"])
    assert not TherapySession.objects.exists()


def test_the_service_refuses_a_plain_http_link(frozen, therapist, active_couple):
    with pytest.raises(ValidationError) as refused:
        services.session_schedule(
            by=therapist,
            couple=active_couple,
            therapist=therapist,
            phase=A,
            start=at(5),
            place=Place.TELEHEALTH,
            video_url="http://meet.clinic.example/x",
        )
    assert "video_url" in refused.value.message_dict


def test_the_database_refuses_a_link_that_is_not_https_or_not_telehealth(frozen, therapist, active_couple):
    session = held(active_couple, therapist, A, at(5), status=SessionStatus.SCHEDULED)
    with pytest.raises(IntegrityError), transaction.atomic():
        TherapySession.objects.filter(pk=session.pk).update(video_url="http://x.example/")
    with pytest.raises(IntegrityError), transaction.atomic():
        TherapySession.objects.filter(pk=session.pk).update(video_url=LINK, place=Place.HOME)


def test_the_standing_link_fills_in_and_reaches_the_feed_and_reminders(
    frozen, client_for, therapist, active_couple, django_capture_on_commit_callbacks, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    client = client_for(therapist)
    response = client.post(reverse("sessions:calendar_feed_settings"), {"action": "video", "url": LINK})
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        session = services.session_schedule(
            by=therapist, couple=active_couple, therapist=therapist, phase=A, start=at(7), place=Place.TELEHEALTH
        ).session
    assert TherapySession.objects.select_related("therapist__video_link").get(pk=session.pk).join_url == LINK
    assert (
        "the therapist's standing link"
        in client.get(reverse("sessions:session_detail", args=[session.uuid])).content.decode()
    )
    feed = feeds.feed_for_token(feeds.feed_regenerate(by=therapist)[1])
    assert f"Telehealth: {LINK}" in feeds.feed_render(feed).decode().replace("\r\n ", "")
    frozen.move_to(session.start - datetime.timedelta(hours=47))
    reminders.reminders_dispatch_due(worker="t")
    partner_mail = [m for m in mail.outbox if m.to != [therapist.email]]
    assert partner_mail and all(f"Join the video call: {LINK}" in m.body for m in partner_mail)


def test_the_standing_link_form_refuses_a_bad_link_next_to_the_field(client_for, therapist):
    response = client_for(therapist).post(
        reverse("sessions:calendar_feed_settings"), {"action": "video", "url": "http://insecure.example"}
    )
    assert response.status_code == 400
    assert 'id="video-url-error">Enter the video link as a full https:// address' in response.content.decode()
    with pytest.raises(ValidationError):
        telehealth.clinician_video_link_set(by=therapist, url="ftp://x.example")
