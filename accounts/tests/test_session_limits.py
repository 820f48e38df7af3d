"""Signed out after 15 idle minutes (polling is not activity), after 12 hours whatever the activity,
and at once when the user is disabled."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from audit.choices import AuditAction
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
HOME = "accounts:therapist_home"


def at(time_machine, **delta):
    time_machine.move_to(START + datetime.timedelta(**delta), tick=False)


def is_signed_in(client) -> bool:
    return client.get(reverse(HOME)).status_code == 200


def test_fifteen_idle_minutes_sign_the_user_out(client_for, therapist, time_machine):
    at(time_machine)
    client = client_for(therapist)
    at(time_machine, minutes=14, seconds=59)
    assert is_signed_in(client)  # activity: the clock starts again
    at(time_machine, minutes=29, seconds=58)
    assert is_signed_in(client)
    at(time_machine, minutes=44, seconds=58)
    response = client.get(reverse(HOME))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor=therapist, summary="signed out: idle").exists()


def test_background_polling_does_not_keep_the_session_alive(client_for, therapist, time_machine):
    at(time_machine)
    client = client_for(therapist)
    for minute in (3, 6, 9, 12):
        at(time_machine, minutes=minute)
        status = client.get(reverse("accounts:session_status"))
        assert status.json()["idle_seconds_left"] == (15 - minute) * 60
        assert client.get(reverse(HOME), HTTP_X_BACKGROUND_POLL="1").status_code == 200
    at(time_machine, minutes=15)
    assert client.get(reverse("accounts:session_status")).status_code == 401
    assert not is_signed_in(client)


def test_stay_signed_in_starts_the_idle_clock_again(client_for, therapist, time_machine):
    at(time_machine)
    client = client_for(therapist)
    at(time_machine, minutes=13, seconds=30)
    status = client.get(reverse("accounts:session_status")).json()
    assert status["idle_seconds_left"] <= status["warn_seconds"]  # the page shows its warning now
    assert client.post(reverse("accounts:session_keep_alive")).json()["idle_seconds_left"] == 15 * 60
    at(time_machine, minutes=27)
    assert is_signed_in(client)


def test_twelve_hours_after_sign_in_the_session_ends_however_active(client_for, therapist, time_machine):
    at(time_machine)
    client = client_for(therapist)
    for minutes in range(10, 12 * 60, 10):
        at(time_machine, minutes=minutes)
        assert is_signed_in(client)
    at(time_machine, hours=12)
    assert not is_signed_in(client)
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, summary__contains="12-hour").exists()


def test_the_session_cookie_lives_no_longer_than_the_absolute_limit(settings):
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_ABSOLUTE_LIMIT_HOURS * 3600 == 12 * 3600


def test_disabling_a_user_ends_all_their_sessions_at_once(client_for, therapist):
    laptop = client_for(therapist)
    tablet = Client()
    tablet.force_login(therapist)
    assert is_signed_in(laptop) and is_signed_in(tablet)
    keys = [laptop.session.session_key, tablet.session.session_key]

    therapist.is_active = False
    therapist.save()

    assert not Session.objects.filter(session_key__in=keys).exists()
    assert not is_signed_in(laptop) and not is_signed_in(tablet)
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, summary__contains="disabled: 2 sessions").exists()


def test_the_idle_limit_is_the_clinics_setting(client, clinic_admin, therapist, time_machine):
    from clinic.services import clinic_settings_update

    clinic_settings_update(by=clinic_admin, values={"idle_logoff_minutes": 30})
    time_machine.move_to("2030-03-04 09:00:00+00:00", tick=False)
    client.force_login(therapist)
    time_machine.move_to("2030-03-04 09:20:00+00:00", tick=False)
    assert client.get(reverse("cases:couple_list")).status_code == 200  # 20 minutes: still signed in
    time_machine.move_to("2030-03-04 09:51:00+00:00", tick=False)
    response = client.get(reverse("cases:couple_list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
