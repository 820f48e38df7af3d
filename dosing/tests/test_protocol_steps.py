"""The protocol at every step of a medicine session: booking, moving, starting, documenting and completing each
ask the course again (sessions/course.py) and the sober partner's consent under solo administration - refused
with the rule, from the service, the page and a crafted POST."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cases.models import Screening
from dosing.approvals import approval_revoke
from dosing.choices import Approach
from dosing.discharge import discharge_record
from dosing.lifecycle import available_actions, medicine_session_observe, medicine_session_start
from dosing.record import dose_record, predose_record, vitals_record
from dosing.tests.factories import lot, predose_values, ready_couple, sign
from dosing.tests.test_medicine_session import (  # noqa: F401 (fixture)
    book_medicine,
    local,
    prepared,
    scheduled,
    start_dosing,
)
from sessions import course
from sessions import services as session_services
from sessions.choices import Phase, Place, SessionStatus
from sessions.course import CourseState, Mode, Step
from sessions.models import TherapySession

pytestmark = pytest.mark.django_db

A, P, M, I = Phase.ASSESSMENT, Phase.PREPARATION, Phase.MEDICINE, Phase.INTEGRATION
DONE = SessionStatus.COMPLETED


def _book(couple, therapist, phase, days):
    return session_services.session_schedule(
        by=therapist, couple=couple, therapist=therapist, phase=phase, start=local(days), place=Place.TELEHEALTH
    ).session


def test_moving_a_medicine_session_into_a_cycle_that_then_has_four_preparations_is_refused(therapist, scheduled):
    couple, medicine = scheduled["couple"], scheduled["session"]  # held: assessment, 2 preparations; M at +2
    _book(couple, therapist, P, 1)  # the third preparation of cycle 1
    _book(couple, therapist, I, 3)
    _book(couple, therapist, P, 5)  # cycle 2's first preparation
    with pytest.raises(ValidationError) as exc:
        session_services.session_reschedule(by=therapist, session=medicine, start=local(6), place=Place.TELEHEALTH)
    assert (
        "Cycle 1 would have 4 preparation sessions before medicine session 1; the maximum is 3."
        in (exc.value.message_dict["start"])
    )
    assert TherapySession.objects.get(pk=medicine.pk).start == local(2)


def test_moving_a_medicine_session_cannot_leave_the_next_cycle_with_too_many_preparations():
    day = datetime.datetime(2030, 3, 1, 10, tzinfo=datetime.UTC)

    def at(n):
        return day + datetime.timedelta(days=n)

    steps = [Step(1, A, at(0), DONE), Step(2, P, at(1), DONE), Step(3, P, at(2), DONE), Step(4, P, at(5))]
    steps += [Step(5, M, at(10)), Step(6, I, at(11)), Step(7, P, at(12)), Step(8, P, at(13)), Step(9, P, at(14))]
    steps += [Step(10, M, at(21))]
    state = CourseState(steps=tuple(steps))
    assert course.decide(state, phase=M, start=at(10), mode=Mode.PLAN, exclude=5).allowed
    moved = course.decide(state, phase=M, start=at(4), mode=Mode.PLAN, exclude=5)
    assert not moved.allowed
    assert (
        "Medicine session 2 (22 Mar 2030) would then have 4 preparation sessions in its cycle; the maximum is 3."
        in (moved.reasons)
    )


def test_starting_asks_the_course_on_what_was_held(client_for, therapist, scheduled):
    """A preparation counted at booking did not take place after all: the session cannot start."""
    session = scheduled["session"]
    last_preparation = TherapySession.objects.filter(couple=scheduled["couple"], phase=P).order_by("-start").first()
    TherapySession.objects.filter(pk=last_preparation.pk).update(status=SessionStatus.NO_SHOW)
    rule = "Medicine session 1 needs at least 2 completed preparation sessions before it; 1 so far."
    with time_machine.travel(session.start - datetime.timedelta(minutes=5), tick=False):
        with pytest.raises(ValidationError) as exc:
            medicine_session_start(by=therapist, session=session)
        assert rule in exc.value.message_dict["started_at"]
        start = next(a for a in available_actions(session, therapist) if a.name == "start")
        assert not start.allowed and rule in start.reasons
        response = client_for(therapist).post(reverse("dosing:medicine_start", args=[session.uuid]), follow=True)
    assert response.status_code == 200
    assert rule in response.content.decode()
    assert TherapySession.objects.get(pk=session.pk).started_at is None


@pytest.fixture
def solo(therapist, prescriber, couple):
    ready_couple(couple, prescriber, sober="B")
    approval = sign(couple, prescriber, Approach.SOLO)
    prepared(couple, therapist)
    return {"couple": couple, "approval": approval, "lot": lot(prescriber)}


def _withdraw_sober_consent(couple):
    Screening.objects.filter(partner__couple=couple, partner__label="B").update(
        consent_signed_on=None, consent_version=""
    )


def test_the_sober_partners_consent_is_needed_to_book_and_to_move(therapist, solo):
    couple = solo["couple"]
    session = book_medicine(couple, therapist)
    _withdraw_sober_consent(couple)
    sober = couple.partners.get(label="B")
    rule = f"Solo administration: the sober partner, Partner B ({sober.first_name}), has not signed consent."
    with pytest.raises(ValidationError) as exc:
        session_services.session_reschedule(by=therapist, session=session, start=local(3), place=Place.TELEHEALTH)
    assert rule in exc.value.message_dict["start"]
    TherapySession.objects.filter(pk=session.pk).update(status=SessionStatus.CANCELLED)
    with pytest.raises(ValidationError) as exc:
        book_medicine(couple, therapist, days=4)
    assert rule in exc.value.message_dict["phase"]


def test_the_sober_partners_consent_is_asked_again_at_the_start_and_at_each_dose(client_for, therapist, solo):
    couple, stock = solo["couple"], solo["lot"]
    session = book_medicine(couple, therapist)
    a = couple.partners.get(label="A")
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False):
        medicine_session_start(by=therapist, session=session)
        predose_record(
            by=therapist,
            session=session,
            partner=a,
            values=predose_values(),
        )
        _withdraw_sober_consent(couple)
        with pytest.raises(ValidationError, match="the sober partner, Partner B .* has not signed consent"):
            dose_record(by=therapist, session=session, partner=a, at=timezone.now(), mg=Decimal("100"), lot=stock)
        response = client_for(therapist).post(
            reverse("dosing:dose", args=[session.uuid, a.uuid]),
            {"dose-A-at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "dose-A-mg": "100", "dose-A-lot": stock.pk},
        )
    assert response.status_code == 400
    assert "has not signed consent" in response.content.decode()
    assert not session.administrations.exists()


def test_a_dosed_session_ends_completed_even_if_the_gate_shut_after_its_doses(therapist, prescriber, scheduled):
    """Monitoring and discharge go on after a revocation; the session must still be able to end, and only by
    completion (its approval stays the one it was held under)."""
    session, stock, approval = scheduled["session"], scheduled["lot"], scheduled["approval"]
    a = scheduled["couple"].partners.get(label="A")
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False) as clock:
        start_dosing(session, therapist, a)
        dose_record(by=therapist, session=session, partner=a, at=timezone.now(), mg=Decimal("50"), lot=stock)
        approval_revoke(by=prescriber, approval=approval, reason="Lab result came back abnormal")
        clock.move_to(session.start + datetime.timedelta(minutes=130))
        vitals_record(
            by=therapist, session=session, partner=a, at=timezone.now(), systolic=124, diastolic=80, heart_rate=72
        )
        discharge_record(
            by=therapist,
            session=session,
            partner=a,
            at=timezone.now(),
            alert_and_oriented=True,
            released_to_name="Sam Rivera",
            released_to_relationship="friend",
            no_driving_acknowledged=True,
        )
        medicine_session_observe(by=therapist, session=session)
        clock.move_to(session.end)
        session_services.session_complete(by=therapist, session=session)
    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED
    assert session.approval_id == approval.pk


def test_a_booking_cannot_take_the_session_a_later_medicine_session_holds_under_the_approval(
    therapist, prescriber, couple
):
    """The approval covers one medicine session, booked for day 12: an earlier one on day 2 would come first in
    the count and shut the gate of the one already booked - refused, not warned."""
    ready_couple(couple, prescriber)
    sign(couple, prescriber, Approach.DUAL_PSYCHOLYTIC, sessions_covered=1)
    prepared(couple, therapist)
    booked = book_medicine(couple, therapist, days=12)
    with pytest.raises(ValidationError) as exc:
        book_medicine(couple, therapist, days=2)
    reasons = exc.value.message_dict["phase"]
    assert any(
        "is already booked under the approval and would lose its place: The approval covers 1 medicine session, "
        "and 1 already use it." in r
        for r in reasons
    ), reasons
    assert list(TherapySession.objects.filter(phase=M).values_list("pk", flat=True)) == [booked.pk]


def test_the_sweep_blocks_a_solo_session_whose_sober_partner_withdrew_consent(therapist, solo):
    from dosing.lifecycle import medicine_gate_sweep
    from sessions.choices import MedicineState

    couple = solo["couple"]
    session = book_medicine(couple, therapist)
    assert medicine_gate_sweep() == 0
    _withdraw_sober_consent(couple)
    assert medicine_gate_sweep() == 1
    assert medicine_gate_sweep() == 0  # once
    session.refresh_from_db()
    assert session.medicine_state == MedicineState.BLOCKED
    assert "the sober partner, Partner B" in session.blocked_reason
