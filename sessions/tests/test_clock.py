"""The clinic's clock across daylight-saving changes (New York: 10 March 2030 spring forward at 02:00, 3 November 2030
fall back at 02:00): session lengths, the days between medicine sessions, reminder times and printed dates.

A session's length is elapsed time (what the clinic spends and the observation clock counts); its stored end is
start + length, which is the wall-clock end the clinic booked.
"""

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from jobs.models import Reminder
from jobs.reminders import reminders_plan_for_session
from kapcouples.clock import day_label, local_date
from sessions import services
from sessions.choices import Phase, Place
from sessions.models import TherapySession
from sessions.tests.helpers import A, I, M, P, at, history

pytestmark = pytest.mark.django_db
NY = zoneinfo.ZoneInfo("America/New_York")


def book_on_the_page(client, couple, start: str, end: str) -> TherapySession:
    response = client.post(
        reverse("sessions:session_new"),
        {"couple": couple.pk, "phase": Phase.ASSESSMENT, "start": start, "end": end, "place": Place.TELEHEALTH},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return TherapySession.objects.get(couple=couple)


def test_a_session_over_the_spring_change_is_stored_with_its_elapsed_length_and_booked_end(
    frozen, client_for, therapist, active_couple
):
    session = book_on_the_page(client_for(therapist), active_couple, "2030-03-10T01:00", "04:00")
    assert session.duration_minutes == 120  # 01:00 EST to 04:00 EDT: the 02:00 hour does not exist
    assert timezone.localtime(session.end).strftime("%H:%M") == "04:00"


def test_a_session_over_the_fall_change_is_stored_with_its_elapsed_length_and_booked_end(
    frozen, client_for, therapist, active_couple
):
    session = book_on_the_page(client_for(therapist), active_couple, "2030-11-03T00:30", "02:30")
    assert session.duration_minutes == 180  # 00:30 EDT to 02:30 EST: the 01:00 hour happens twice
    assert timezone.localtime(session.end).strftime("%H:%M") == "02:30"


def test_a_session_on_an_ordinary_day_keeps_its_length(frozen, client_for, therapist, active_couple):
    session = book_on_the_page(client_for(therapist), active_couple, "2030-03-05T10:00", "11:30")
    assert session.duration_minutes == 90


def test_the_seven_day_rule_counts_clinic_days_over_the_spring_change(frozen, therapist, active_couple):
    history(active_couple, therapist, [(A, at(1, month=2)), (P, at(2, month=2)), (P, at(3, month=2))])
    first = services.session_schedule(
        by=therapist, couple=active_couple, therapist=therapist, phase=M, start=at(5, 10), place=Place.TELEHEALTH
    ).session
    for phase, day in ((I, 6), (P, 7), (P, 8)):
        services.session_schedule(
            by=therapist,
            couple=active_couple,
            therapist=therapist,
            phase=phase,
            start=at(day, 10),
            place=Place.TELEHEALTH,
        )
    # 12 March 09:00 EDT is 6 days 22 hours after 5 March 10:00 EST, and 7 days on the clinic's calendar.
    second = services.session_schedule(
        by=therapist, couple=active_couple, therapist=therapist, phase=M, start=at(12, 9), place=Place.TELEHEALTH
    ).session
    assert (local_date(second.start) - local_date(first.start)).days == 7
    assert second.start - first.start < datetime.timedelta(days=7)


def test_reminders_are_due_the_lead_time_in_elapsed_hours_before_over_the_spring_change(
    frozen, therapist, active_couple
):
    session = services.session_schedule(
        by=therapist, couple=active_couple, therapist=therapist, phase=A, start=at(11, 10), place=Place.TELEHEALTH
    ).session
    reminders_plan_for_session(session.pk)
    due = sorted({r.due_at for r in Reminder.objects.filter(session=session)})
    # 48 h before 11 March 10:00 EDT is 9 March 09:00 EST on the wall clock (the night lost an hour); 2 h is 08:00.
    assert [timezone.localtime(d).strftime("%d %H:%M %Z") for d in due] == ["09 09:00 EST", "11 08:00 EDT"]


def test_printed_days_are_the_clinics_not_utcs():
    late_evening = datetime.datetime(2030, 3, 5, 23, 30, tzinfo=NY)  # already 6 March in UTC
    with timezone.override(NY):
        assert day_label(late_evening) == "5 Mar 2030"
        assert local_date(late_evening) == datetime.date(2030, 3, 5)


def test_the_approval_replaced_notice_prints_the_clinics_date(therapist, prescriber, couple, settings):
    import time_machine

    from dosing.models import Notice
    from dosing.tests.factories import ready_couple, sign

    settings.TIME_ZONE = "America/New_York"
    ready_couple(couple, prescriber)
    with time_machine.travel(datetime.datetime(2030, 3, 5, 23, 30, tzinfo=NY), tick=False):  # 6 March in UTC
        sign(couple, prescriber)
    with time_machine.travel(datetime.datetime(2030, 3, 9, 12, 0, tzinfo=NY), tick=False):
        sign(couple, prescriber)
    text = Notice.objects.filter(recipient=therapist).order_by("-id").first().text
    assert "replacing the approval of 5 March 2030" in text
