"""The couple's status follows the sessions: active once both partners' screening is decided and the first
preparation is booked (in either order, booked or entered after the fact), completed once the follow-ups are held."""

import datetime

import pytest

from cases import services as case_services
from cases.choices import CoupleStatus, EventKind, ScreeningOutcome
from cases.models import CaseEvent, Couple
from clinic.models import ClinicSettings
from sessions import services
from sessions.choices import Place, SessionStatus
from sessions.tests.helpers import A, F, I, M, P, at, held, history
from tests.factories import make_screening_complete

pytestmark = pytest.mark.django_db


def _status(couple) -> str:
    return Couple.objects.get(pk=couple.pk).status


def _in_screening_decided(couple, therapist, prescriber):
    case_services.couple_transition(by=therapist, couple=couple, to_status=CoupleStatus.SCREENING)
    for partner in couple.partners.all():
        make_screening_complete(partner.screening)
        case_services.screening_decide(by=prescriber, screening=partner.screening, outcome=ScreeningOutcome.CLEARED)


def _book(therapist, couple, phase, start):
    return services.session_schedule(
        by=therapist, couple=couple, therapist=therapist, phase=phase, start=start, place=Place.TELEHEALTH
    )


def test_booking_the_first_preparation_after_screening_decided_activates_the_couple(
    frozen, therapist, prescriber, couple
):
    _in_screening_decided(couple, therapist, prescriber)
    _book(therapist, couple, A, at(5))
    assert _status(couple) == CoupleStatus.SCREENING  # an assessment is not the first session after assessment
    _book(therapist, couple, P, at(7))
    assert _status(couple) == CoupleStatus.ACTIVE
    event = CaseEvent.objects.filter(couple=couple, kind=EventKind.STATUS).latest("id")
    assert event.summary == (
        "Status changed to Active treatment: both partners' screening decided, first preparation booked"
    )
    assert event.actor == therapist


def test_deciding_screening_after_the_preparation_is_booked_activates_the_couple(frozen, therapist, prescriber, couple):
    case_services.couple_transition(by=therapist, couple=couple, to_status=CoupleStatus.SCREENING)
    _book(therapist, couple, A, at(5))
    _book(therapist, couple, P, at(7))
    a, b = (couple.partners.get(label=label).screening for label in "AB")
    for screening in (a, b):
        make_screening_complete(screening)
    case_services.screening_decide(by=prescriber, screening=a, outcome=ScreeningOutcome.CLEARED)
    assert _status(couple) == CoupleStatus.SCREENING  # partner B is still undecided
    case_services.screening_decide(by=prescriber, screening=b, outcome=ScreeningOutcome.REVIEW)
    assert _status(couple) == CoupleStatus.SCREENING  # waiting for prescriber review is not decided
    case_services.screening_decide(
        by=prescriber, screening=b, outcome=ScreeningOutcome.NOT_ELIGIBLE, note="Uncontrolled glaucoma."
    )
    assert _status(couple) == CoupleStatus.ACTIVE  # one partner cleared is enough (solo, with a sober support)


def test_no_partner_cleared_never_activates(frozen, therapist, prescriber, couple):
    case_services.couple_transition(by=therapist, couple=couple, to_status=CoupleStatus.SCREENING)
    _book(therapist, couple, A, at(5))
    _book(therapist, couple, P, at(7))
    for partner in couple.partners.all():
        make_screening_complete(partner.screening)
        case_services.screening_decide(
            by=prescriber, screening=partner.screening, outcome=ScreeningOutcome.NOT_ELIGIBLE, note="History."
        )
    assert _status(couple) == CoupleStatus.SCREENING


def _course_to_follow_up(couple, therapist):
    ClinicSettings.objects.update_or_create(id=1, defaults={"follow_up_weeks": "4"})
    history(couple, therapist, [(A, at(1, month=1)), (P, at(3, month=1)), (P, at(6, month=1))])
    held(couple, therapist, M, at(10, month=1), place=Place.HOME)
    history(couple, therapist, [(I, at(12, month=1)), (I, at(20, month=1))])


def test_holding_the_last_follow_up_completes_the_course(frozen, therapist, active_couple):
    _course_to_follow_up(active_couple, therapist)
    follow_up = held(active_couple, therapist, F, at(18, month=2), status=SessionStatus.SCHEDULED)
    services.session_complete(by=therapist, session=follow_up)
    assert _status(active_couple) == CoupleStatus.COMPLETED
    event = CaseEvent.objects.filter(couple=active_couple, kind=EventKind.STATUS).latest("id")
    assert event.summary == "Status changed to Completed: the follow-up sessions are held"


def test_a_follow_up_held_with_more_due_keeps_the_course_active(frozen, therapist, active_couple):
    _course_to_follow_up(active_couple, therapist)
    ClinicSettings.objects.update_or_create(id=1, defaults={"follow_up_weeks": "4,12"})
    follow_up = held(active_couple, therapist, F, at(18, month=2), status=SessionStatus.SCHEDULED)
    services.session_complete(by=therapist, session=follow_up)
    assert _status(active_couple) == CoupleStatus.ACTIVE


def test_a_completed_integration_is_not_the_end(frozen, therapist, active_couple):
    ClinicSettings.objects.update_or_create(id=1, defaults={"follow_up_weeks": "4"})
    history(active_couple, therapist, [(A, at(1, month=1)), (P, at(3, month=1)), (P, at(6, month=1))])
    held(active_couple, therapist, M, at(10, month=1), place=Place.HOME)
    integration = held(active_couple, therapist, I, at(3, hour=9), status=SessionStatus.SCHEDULED)
    services.session_complete(by=therapist, session=integration)
    assert _status(active_couple) == CoupleStatus.ACTIVE


def test_an_automatically_activated_couple_is_still_closed_by_hand_with_a_reason(frozen, therapist, prescriber, couple):
    _in_screening_decided(couple, therapist, prescriber)
    _book(therapist, couple, A, at(5))
    _book(therapist, couple, P, at(7))
    assert _status(couple) == CoupleStatus.ACTIVE
    case_services.couple_transition(
        by=therapist, couple=couple, to_status=CoupleStatus.CLOSED, note="Couple moved out of state."
    )
    couple.refresh_from_db()
    assert couple.status == CoupleStatus.CLOSED
    assert couple.status_changed_at == datetime.datetime.now(tz=datetime.UTC)
    event = CaseEvent.objects.filter(couple=couple, kind=EventKind.STATUS).latest("id")
    assert (event.from_status, event.to_status, event.note) == ("active", "closed", "Couple moved out of state.")
