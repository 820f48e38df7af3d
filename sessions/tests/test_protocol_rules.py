"""Every protocol rule, tried from both sides of its limit, through the services that enforce it."""

import pytest
from django.core.exceptions import ValidationError

from cases.choices import CoupleStatus
from clinic.services import clinic_settings_get
from dosing.approvals import approval_verify
from dosing.tests.factories import document_medicine, ready_couple, sign
from sessions import services
from sessions.choices import Place, SessionStatus
from sessions.models import TherapySession
from sessions.tests.helpers import A, F, I, M, P, at, held, history

pytestmark = pytest.mark.django_db


def book(couple, therapist, phase, start, **kwargs):
    kwargs.setdefault("place", Place.TELEHEALTH)
    return services.session_schedule(
        by=therapist, couple=couple, therapist=therapist, phase=phase, start=start, **kwargs
    ).session


def refused(couple, therapist, phase, start, **kwargs) -> list[str]:
    before = TherapySession.objects.count()
    with pytest.raises(ValidationError) as exc:
        book(couple, therapist, phase, start, **kwargs)
    assert TherapySession.objects.count() == before, "a refused booking saved nothing"
    return exc.value.messages


def set_limits(**values):
    settings = clinic_settings_get()
    for name, value in values.items():
        setattr(settings, name, value)
    settings.save()


# -- assessment first ---------------------------------------------------------------------------------


def test_preparation_refused_before_any_assessment(frozen, therapist, active_couple):
    assert refused(active_couple, therapist, P, at(5)) == [
        "Preparation comes after assessment: no assessment session is booked before it."
    ]


def test_preparation_allowed_after_a_booked_assessment(frozen, therapist, active_couple):
    book(active_couple, therapist, A, at(5))
    assert book(active_couple, therapist, P, at(6)).phase == P


def test_assessment_refused_once_the_course_has_moved_on(frozen, therapist, active_couple):
    history(active_couple, therapist, [(A, at(1, month=2)), (P, at(8, month=2))])
    messages = refused(active_couple, therapist, A, at(5))
    assert messages == ["Assessment comes first: this couple's course has moved on (preparation on 8 Feb 2030)."]


def test_second_assessment_allowed_before_the_first_preparation(frozen, therapist, active_couple):
    history(active_couple, therapist, [(A, at(1, month=2))])
    assert book(active_couple, therapist, A, at(5)).phase == A


# -- preparations per cycle ---------------------------------------------------------------------------


def test_fourth_preparation_refused_when_the_maximum_is_three(frozen, therapist, active_couple):
    history(
        active_couple, therapist, [(A, at(1, month=2)), (P, at(8, month=2)), (P, at(15, month=2)), (P, at(22, month=2))]
    )
    assert refused(active_couple, therapist, P, at(5)) == [
        "Cycle 1 already has 3 preparation sessions; the maximum is 3 before each medicine session."
    ]


def test_third_preparation_allowed_when_the_maximum_is_three(frozen, therapist, active_couple):
    history(active_couple, therapist, [(A, at(1, month=2)), (P, at(8, month=2)), (P, at(15, month=2))])
    assert book(active_couple, therapist, P, at(5)).phase == P


def test_preparation_maximum_counts_the_whole_cycle_even_later_bookings(frozen, therapist, active_couple):
    history(active_couple, therapist, [(A, at(1, month=2))])
    for day in (11, 12, 13):
        book(active_couple, therapist, P, at(day))
    # Booked earlier than the three, it would still be the cycle's fourth.
    assert "Cycle 1 already has 3 preparation sessions" in refused(active_couple, therapist, P, at(5))[0]


def test_preparation_maximum_follows_the_clinic_setting(frozen, therapist, active_couple):
    set_limits(preparation_max=4)
    history(
        active_couple, therapist, [(A, at(1, month=2)), (P, at(8, month=2)), (P, at(15, month=2)), (P, at(22, month=2))]
    )
    assert book(active_couple, therapist, P, at(5)).phase == P


def test_next_cycle_preparation_refused_before_integration_of_the_last_medicine(frozen, therapist, active_couple):
    history(
        active_couple, therapist, [(A, at(1, month=2)), (P, at(8, month=2)), (P, at(15, month=2)), (M, at(22, month=2))]
    )
    assert refused(active_couple, therapist, P, at(5)) == [
        "Preparation for cycle 2 comes after integration of medicine session 1; no integration session "
        "since it is booked."
    ]
    book(active_couple, therapist, I, at(5))
    assert book(active_couple, therapist, P, at(6)).phase == P


# -- medicine sessions --------------------------------------------------------------------------------


def test_medicine_refused_with_one_preparation_when_two_are_needed(frozen, therapist, active_couple):
    history(active_couple, therapist, [(A, at(1, month=2)), (P, at(8, month=2))])
    assert refused(active_couple, therapist, M, at(5)) == [
        "Medicine session 1 needs at least 2 preparation sessions before it; 1 booked before it."
    ]


def test_medicine_allowed_with_two_preparations(frozen, therapist, active_couple):
    history(active_couple, therapist, [(A, at(1, month=2)), (P, at(8, month=2)), (P, at(15, month=2))])
    assert book(active_couple, therapist, M, at(5)).phase == M


def test_medicine_refused_for_a_couple_not_in_active_treatment(frozen, therapist, couple):
    couple.status = CoupleStatus.SCREENING
    couple.save()
    history(couple, therapist, [(A, at(1, month=2)), (P, at(8, month=2)), (P, at(15, month=2))])
    assert refused(couple, therapist, M, at(5)) == [
        "Medicine sessions are for couples in active treatment; this couple is screening.",
        "No prescriber approval of a dosing approach is on file for this couple.",
    ]


def cycle_one_done(couple, therapist):
    return history(
        couple,
        therapist,
        [(A, at(1, month=1)), (P, at(8, month=1)), (P, at(15, month=1)), (M, at(22, month=1)), (I, at(23, month=1))],
    )


def test_second_medicine_needs_preparations_since_the_first(frozen, therapist, active_couple):
    cycle_one_done(active_couple, therapist)
    held(active_couple, therapist, P, at(1))
    assert refused(active_couple, therapist, M, at(8)) == [
        "Medicine session 2 needs at least 2 preparation sessions since medicine session 1; 1 booked before it."
    ]
    book(active_couple, therapist, P, at(5))
    assert book(active_couple, therapist, M, at(8)).phase == M


def test_second_medicine_refused_without_integration_of_the_first(frozen, therapist, active_couple):
    history(
        active_couple, therapist, [(A, at(1, month=1)), (P, at(8, month=1)), (P, at(15, month=1)), (M, at(22, month=1))]
    )
    # Preparations straight after a medicine session are out of order themselves; write them in as history.
    history(active_couple, therapist, [(P, at(1, month=2)), (P, at(8, month=2))])
    messages = refused(active_couple, therapist, M, at(8))
    assert (
        "Medicine session 2 needs at least 1 integration session after medicine session 1; 0 booked before it."
        in messages
    )


def test_second_medicine_allowed_with_the_integration_minimum(frozen, therapist, active_couple):
    set_limits(integration_min=2)
    history(
        active_couple,
        therapist,
        [
            (A, at(1, month=1)),
            (P, at(8, month=1)),
            (P, at(15, month=1)),
            (M, at(22, month=1)),
            (I, at(23, month=1)),
            (P, at(1, month=2)),
            (P, at(8, month=2)),
        ],
    )
    assert refused(active_couple, therapist, M, at(5)) == [
        "Medicine session 2 needs at least 2 integration sessions after medicine session 1; 1 booked before it."
    ]
    held(active_couple, therapist, I, at(24, month=1))
    assert book(active_couple, therapist, M, at(5)).phase == M


def test_medicine_six_days_after_the_last_refused_seven_allowed(frozen, therapist, active_couple):
    history(
        active_couple,
        therapist,
        [
            (A, at(1, month=1)),
            (P, at(8, month=1)),
            (P, at(15, month=1)),
            (M, at(1, 9)),
            (I, at(2)),
            (P, at(3, 8)),
            (P, at(3, 9)),
        ],
        status=SessionStatus.COMPLETED,
    )
    assert refused(active_couple, therapist, M, at(7, 17)) == [
        "Medicine session 2 must be at least 7 days after medicine session 1 (1 Mar 2030); this is 6 days after."
    ]
    assert book(active_couple, therapist, M, at(8, 9)).phase == M


def test_medicine_spacing_follows_the_clinic_setting(frozen, therapist, active_couple):
    set_limits(days_between_medicine=3)
    history(
        active_couple,
        therapist,
        [
            (A, at(1, month=1)),
            (P, at(8, month=1)),
            (P, at(15, month=1)),
            (M, at(1, 9)),
            (I, at(2)),
            (P, at(3, 8)),
            (P, at(3, 9)),
        ],
    )
    assert book(active_couple, therapist, M, at(4, 12)).phase == M


def test_medicine_refused_past_the_course_maximum(frozen, therapist, active_couple):
    set_limits(medicine_sessions_max=2, medicine_sessions_min=1)
    phases = [
        (A, at(1, month=1)),
        (P, at(2, month=1)),
        (P, at(3, month=1)),
        (M, at(4, month=1)),
        (I, at(5, month=1)),
        (P, at(12, month=1)),
        (P, at(13, month=1)),
        (M, at(14, month=1)),
        (I, at(15, month=1)),
        (P, at(22, month=1)),
        (P, at(23, month=1)),
    ]
    history(active_couple, therapist, phases)
    assert refused(active_couple, therapist, M, at(5)) == [
        "This would be medicine session 3; the course maximum is 2 (going past it needs "
        "a new prescriber approval that allows medicine sessions past the course maximum)."
    ]


def test_medicine_allowed_up_to_the_course_maximum(frozen, therapist, active_couple):
    set_limits(medicine_sessions_max=2, medicine_sessions_min=1)
    history(
        active_couple,
        therapist,
        [
            (A, at(1, month=1)),
            (P, at(2, month=1)),
            (P, at(3, month=1)),
            (M, at(4, month=1)),
            (I, at(5, month=1)),
            (P, at(12, month=1)),
            (P, at(13, month=1)),
        ],
    )
    assert book(active_couple, therapist, M, at(5)).phase == M


TWO_CYCLES_AND_PREPARATION = [
    (A, at(1, month=1)),
    (P, at(2, month=1)),
    (P, at(3, month=1)),
    (M, at(4, month=1)),
    (I, at(5, month=1)),
    (P, at(12, month=1)),
    (P, at(13, month=1)),
    (M, at(14, month=1)),
    (I, at(15, month=1)),
    (P, at(22, month=1)),
    (P, at(23, month=1)),
]


def test_only_a_prescriber_approval_that_says_so_passes_the_course_maximum(
    frozen, therapist, prescriber, active_couple
):
    """CLINICAL.md: past the maximum needs a new prescriber approval. Refused at the maximum; allowed after an
    approval that allows one more; refused again once that one is booked; an approval that does not say so (a
    new dose, say) allows nothing past the maximum."""
    set_limits(medicine_sessions_max=2, medicine_sessions_min=1)
    history(active_couple, therapist, TWO_CYCLES_AND_PREPARATION)
    assert refused(active_couple, therapist, M, at(5)) == [
        "This would be medicine session 3; the course maximum is 2 (going past it needs "
        "a new prescriber approval that allows medicine sessions past the course maximum)."
    ]
    sign(active_couple, prescriber, days=400)  # a new approval that does not say so changes nothing
    assert len(refused(active_couple, therapist, M, at(5))) == 1

    approval = sign(active_couple, prescriber, days=400, medicine_sessions_past_maximum=1)
    assert approval.medicine_sessions_past_maximum == 1 and approval_verify(approval)
    third = book(active_couple, therapist, M, at(5))
    assert third.approval == approval

    history(active_couple, therapist, [(I, at(13)), (P, at(14)), (P, at(15))])
    messages = refused(active_couple, therapist, M, at(20))
    assert messages == [
        "This would be medicine session 4; the course maximum is 2 and the prescriber's current approval allows "
        "1 more, 3 in all. Going further needs a new prescriber approval that allows more medicine sessions past "
        "the course maximum."
    ]


def test_an_approval_allowing_sessions_past_the_maximum_is_checked_by_the_service(prescriber, couple):
    ready = ready_couple(couple, prescriber)
    for wrong in (0.5, 13, -1, True, "2"):
        with pytest.raises(ValidationError) as exc:
            sign(ready, prescriber, medicine_sessions_past_maximum=wrong)
        assert "medicine_sessions_past_maximum" in exc.value.message_dict
    assert sign(ready, prescriber, medicine_sessions_past_maximum=12).medicine_sessions_past_maximum == 12


def test_medicine_refused_when_the_gate_is_shut_and_other_phases_are_not(frozen, therapist, couple):
    """The service asks the prescriber's gate itself; its reason reaches the clinician beside the protocol's."""
    couple.status = CoupleStatus.ACTIVE
    couple.save()
    history(couple, therapist, [(A, at(1, month=2)), (P, at(8, month=2))])
    assert refused(couple, therapist, M, at(5)) == [
        "Medicine session 1 needs at least 2 preparation sessions before it; 1 booked before it.",
        "No prescriber approval of a dosing approach is on file for this couple.",
    ]
    assert book(couple, therapist, P, at(5)).phase == P  # the gate is for medicine sessions only
    assert refused(couple, therapist, M, at(12)) == [
        "No prescriber approval of a dosing approach is on file for this couple."
    ]


# -- integration and follow-up ------------------------------------------------------------------------


def test_integration_refused_without_a_medicine_session_before_it(frozen, therapist, active_couple):
    history(active_couple, therapist, [(A, at(1, month=2)), (P, at(8, month=2)), (P, at(15, month=2))])
    assert refused(active_couple, therapist, I, at(5)) == [
        "An integration session follows a medicine session; no medicine session is booked before it."
    ]
    book(active_couple, therapist, M, at(5))
    assert book(active_couple, therapist, I, at(6)).phase == I


def test_follow_up_refused_before_integration_and_allowed_after(frozen, therapist, active_couple):
    history(
        active_couple, therapist, [(A, at(1, month=2)), (P, at(8, month=2)), (P, at(15, month=2)), (M, at(22, month=2))]
    )
    assert refused(active_couple, therapist, F, at(5)) == [
        "Follow-up comes after integration; no integration session is booked before it."
    ]
    book(active_couple, therapist, I, at(5))
    assert book(active_couple, therapist, F, at(12)).phase == F


def test_follow_up_refused_until_the_last_cycle_has_its_integration(frozen, therapist, active_couple):
    set_limits(integration_min=1)
    history(
        active_couple,
        therapist,
        [
            (A, at(1, month=1)),
            (P, at(2, month=1)),
            (P, at(3, month=1)),
            (M, at(4, month=1)),
            (I, at(5, month=1)),
            (P, at(12, month=1)),
            (P, at(13, month=1)),
            (M, at(14, month=1)),
        ],
    )
    assert refused(active_couple, therapist, F, at(5)) == [
        "Follow-up comes after the last cycle's integration: medicine session 2 has 0 of at least "
        "1 integration session."
    ]


# -- plan versus what was completed -------------------------------------------------------------------


def test_completing_medicine_looks_at_completed_preparations_not_the_plan(frozen, therapist, active_couple):
    history(
        active_couple,
        therapist,
        [
            (A, at(1, month=1)),
            (P, at(8, month=1)),
            (P, at(15, month=1)),
            (M, at(22, month=1)),
            (I, at(23, month=1)),
            (P, at(1)),
        ],
    )
    held(active_couple, therapist, P, at(2), status=SessionStatus.SCHEDULED)  # booked, never marked as held
    medicine = held(active_couple, therapist, M, at(3, 7), status=SessionStatus.SCHEDULED)
    with pytest.raises(ValidationError) as exc:
        services.session_complete(by=therapist, session=medicine)
    assert exc.value.messages[:2] == [
        "This session cannot be completed yet:",
        "Medicine session 2 needs at least 2 completed preparation sessions since medicine session 1; 1 so far.",
    ]
    medicine.refresh_from_db()
    assert medicine.status == SessionStatus.SCHEDULED

    services.session_complete(by=therapist, session=TherapySession.objects.get(phase=P, start=at(2)))
    document_medicine(medicine, by=therapist, prescriber=active_couple.prescriber)
    services.session_complete(by=therapist, session=medicine)
    medicine.refresh_from_db()
    assert medicine.status == SessionStatus.COMPLETED


def test_cancelled_and_no_show_sessions_do_not_count_in_the_plan(frozen, therapist, active_couple):
    history(active_couple, therapist, [(A, at(1, month=2)), (P, at(8, month=2))])
    held(active_couple, therapist, P, at(15, month=2), status=SessionStatus.CANCELLED)
    held(active_couple, therapist, P, at(16, month=2), status=SessionStatus.NO_SHOW)
    assert "1 booked before it" in refused(active_couple, therapist, M, at(5))[0]
