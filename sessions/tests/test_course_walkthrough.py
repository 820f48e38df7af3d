"""A couple's whole course, booked and held step by step with the clock moving: assessment, two cycles, follow-up."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from cases.models import CaseEvent
from dosing.tests.factories import document_medicine
from sessions import selectors, services
from sessions.choices import Phase, Place, SessionStatus
from sessions.models import SessionEvent
from sessions.tests.helpers import at

pytestmark = pytest.mark.django_db


def test_a_couple_goes_through_a_whole_course(frozen, therapist, prescriber, active_couple):
    couple = active_couple

    def book(phase, start):
        return services.session_schedule(
            by=therapist, couple=couple, therapist=therapist, phase=phase, start=start, place=Place.TELEHEALTH
        ).session

    def hold(session):
        frozen.move_to(session.end)
        if session.phase == Phase.MEDICINE:
            document_medicine(session, by=therapist, prescriber=prescriber)
        return services.session_complete(by=therapist, session=session)

    def next_step():
        return selectors.couple_course(couple=couple).next_step

    assert next_step() == "Book an assessment session."
    hold(book(Phase.ASSESSMENT, at(5)))
    assert next_step() == "Preparation session 1 of cycle 1 (at least 2 before medicine session 1)."

    # Cycle 1: two preparations, the medicine session, three integration check-ins.
    hold(book(Phase.PREPARATION, at(7)))
    with pytest.raises(ValidationError, match="needs at least 2 preparation sessions before it; 1 booked"):
        book(Phase.MEDICINE, at(14))
    hold(book(Phase.PREPARATION, at(12)))
    assert next_step() == "Medicine session 1, or one more preparation (up to 3)."
    medicine_1 = hold(book(Phase.MEDICINE, at(14)))
    assert medicine_1.duration_minutes == 180  # the clinic's default length for a medicine session

    course = selectors.couple_course(couple=couple)
    assert [s.label for s in course.suggestions] == [
        "Integration check-in 24 h after medicine session 1",
        "Integration check-in 72 h after medicine session 1",
        "Integration check-in 1 week after medicine session 1",
    ]
    for suggestion in course.suggestions:
        book(suggestion.phase, suggestion.start)
    for session in couple.sessions.filter(phase=Phase.INTEGRATION).order_by("start"):
        hold(session)
    assert next_step() == "Preparation for cycle 2."  # the course plans at least 2 medicine sessions

    # Cycle 2 starts: medicine session 2 is held only after its own preparations, a week or more later.
    hold(book(Phase.PREPARATION, at(22)))
    early = book(Phase.PREPARATION, at(25))
    with pytest.raises(ValidationError) as exc:
        services.session_complete(by=therapist, session=book(Phase.MEDICINE, at(26)))
    assert exc.value.messages[-1] == "This session starts 26 Mar 2030, 10:00; it can be completed once it has started."
    medicine_2 = couple.sessions.get(phase=Phase.MEDICINE, start=at(26))
    frozen.move_to(medicine_2.end)
    with pytest.raises(ValidationError) as exc:
        services.session_complete(by=therapist, session=medicine_2)
    assert (
        "Medicine session 2 needs at least 2 completed preparation sessions since medicine session 1; 1 so far."
        in exc.value.messages
    )
    services.session_complete(by=therapist, session=early)
    document_medicine(medicine_2, by=therapist, prescriber=prescriber)
    services.session_complete(by=therapist, session=medicine_2)
    hold(book(Phase.INTEGRATION, at(27)))
    assert (
        next_step() == "Preparation for cycle 3, or a follow-up if the course ends here (2 medicine sessions so far)."
    )

    # Follow-up closes the course.
    hold(book(Phase.FOLLOW_UP, at(10, month=4)))
    course = selectors.couple_course(couple=couple)
    assert course.finished and not course.due
    assert [len(c.sessions) for c in course.cycles] == [6, 4]
    assert [c.medicine.pk for c in course.cycles] == [medicine_1.pk, medicine_2.pk]
    assert couple.sessions.filter(status=SessionStatus.COMPLETED).count() == 12
    # Every booking and every completion is on the session's history and the couple's timeline.
    # 24 bookings and endings, and each of the two medicine sessions started and moved to observation.
    assert SessionEvent.objects.filter(session__couple=couple).count() == 28
    assert CaseEvent.objects.filter(couple=couple, kind="session").count() == 24
    completion = SessionEvent.objects.filter(session=medicine_2, to_status=SessionStatus.COMPLETED).get()
    assert completion.actor == therapist and completion.at == datetime.datetime.fromisoformat(
        "2030-03-26T17:00:00+00:00"
    )
