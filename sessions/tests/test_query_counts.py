"""The calendar week and the couple's course timeline load in a fixed number of queries, however many sessions."""

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.choices import CoupleStatus
from dosing.tests.factories import approval_on_file
from sessions import selectors
from sessions.choices import SessionStatus
from sessions.models import Room
from sessions.tests.helpers import A, I, M, P, at, held, history
from tests.factories import CoupleFactory

pytestmark = pytest.mark.django_db

# Pinned: a change here is a change in how the page reads the database; look before raising it.
CALENDAR_WEEK_QUERIES = 6  # 5, and the audit row of the read
# the sessions, the clinic settings and the current approval's sessions past the course maximum (the couple page
# has the care team loaded already)
TIMELINE_QUERIES = 3


def course(couple, therapist, cycles: int):
    """An assessment and `cycles` full cycles in the past, then this week's sessions (one per day)."""
    history(couple, therapist, [(A, at(1, month=1))])
    day = 2
    for _ in range(cycles):
        history(
            couple,
            therapist,
            [(P, at(day, month=1)), (P, at(day + 1, month=1)), (M, at(day + 2, month=1)), (I, at(day + 3, month=1))],
        )
        day += 7
    room = Room.objects.create(name=f"Room {cycles}")
    for weekday in range(4, 4 + min(cycles * 2, 7)):
        held(couple, therapist, I, at(weekday, 12), status=SessionStatus.SCHEDULED, place="office", room=room)


@pytest.mark.parametrize("cycles", [1, 3])
def test_calendar_week_query_count_is_fixed(
    frozen, client_for, therapist, active_couple, django_assert_num_queries, cycles
):
    course(active_couple, therapist, cycles)
    client = client_for(therapist)
    with django_assert_num_queries(CALENDAR_WEEK_QUERIES):
        response = client.get(reverse("sessions:calendar_week"), {"date": "2030-03-06"})
    assert response.content.decode().count("data-session=") == min(cycles * 2, 7)


@pytest.mark.parametrize("cycles", [1, 3])
def test_couple_timeline_query_count_is_fixed(frozen, therapist, active_couple, django_assert_num_queries, cycles):
    course(active_couple, therapist, cycles)
    with django_assert_num_queries(TIMELINE_QUERIES):
        timeline = selectors.couple_course(couple=active_couple)
        html = render_to_string(
            "sessions/partials/course_timeline.html", {"couple": active_couple, "course": timeline, "can_manage": True}
        )
    assert html.count("data-cycle=") == cycles


def test_couple_page_query_count_does_not_grow_with_the_course(frozen, client_for, therapist, active_couple):
    client = client_for(therapist)
    bigger = CoupleFactory(therapists=[therapist], status=CoupleStatus.ACTIVE, prescriber=active_couple.prescriber)
    approval_on_file(bigger, active_couple.prescriber)
    counts = []
    for couple, cycles in ((active_couple, 1), (bigger, 3)):
        course(couple, therapist, cycles)
        url = reverse("cases:couple_detail", args=[couple.uuid])
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).content.decode().count("data-cycle=") == cycles
        counts.append(len(captured))
    assert counts[0] == counts[1]
