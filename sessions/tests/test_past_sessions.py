"""A session that already took place (held or missed) is entered after the fact, with a reason, under the course
rules of a booking, within the clinic's past-entry window; a medicine session never is."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from audit.sentences import audit_sentence
from cases import services as case_services
from cases.choices import CoupleStatus, EventKind, ScreeningOutcome
from cases.models import CaseEvent, Couple
from clinic.models import ClinicSettings
from integration.models import IntegrationRecord
from jobs.models import Reminder
from sessions import services
from sessions.choices import Place, SessionEventKind, SessionStatus
from sessions.models import SessionEvent, TherapySession
from sessions.tests.helpers import A, I, M, P, at, held
from tests.factories import make_screening_complete

pytestmark = pytest.mark.django_db

REASON = "Paper record from the day the system was down."


def _enter(by, couple, phase, start, outcome=SessionStatus.COMPLETED, reason=REASON, **extra):
    return services.session_record_past(
        by=by,
        couple=couple,
        therapist=extra.pop("therapist", by),
        phase=phase,
        start=start,
        place=extra.pop("place", Place.TELEHEALTH),
        outcome=outcome,
        reason=reason,
        **extra,
    )


def _refusal(call) -> dict:
    with pytest.raises(ValidationError) as refused:
        call()
    return refused.value.message_dict


# -- the service ------------------------------------------------------------------------------------------------


def test_held_session_entered_after_the_fact_is_completed_with_its_reason_on_the_timeline(
    frozen, therapist, active_couple
):
    change = _enter(therapist, active_couple, A, at(2))
    session = TherapySession.objects.get(pk=change.session.pk)
    assert (session.status, session.start, session.created_by) == (SessionStatus.COMPLETED, at(2), therapist)
    event = CaseEvent.objects.filter(couple=active_couple, kind=EventKind.SESSION).latest("id")
    assert event.summary == "Entered after the fact (completed): Assessment session on 2 Mar 2030, 10:00 with " + str(
        therapist
    )
    assert event.note == REASON
    assert SessionEvent.objects.get(session=session).kind == SessionEventKind.BOOKED
    audit = AuditEvent.objects.get(summary__contains="entered after the fact")
    assert (audit.actor, audit.object_id, audit.couple_id) == (therapist, str(session.pk), active_couple.pk)
    assert audit.summary == f"clinical_sessions.TherapySession {session.pk} entered after the fact as completed"
    assert "Tara Therapist entered a past session (completed) after the fact for the " in audit_sentence(audit)


def test_missed_session_entered_after_the_fact_is_a_no_show(frozen, therapist, active_couple):
    change = _enter(therapist, active_couple, A, at(3), outcome=SessionStatus.NO_SHOW)
    assert TherapySession.objects.get(pk=change.session.pk).status == SessionStatus.NO_SHOW


def test_past_integration_is_linked_to_its_medicine_session_and_plans_no_reminder(
    frozen, settings, therapist, active_couple, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    held(active_couple, therapist, A, at(1, month=2))
    held(active_couple, therapist, P, at(5, month=2))
    held(active_couple, therapist, P, at(10, month=2))
    medicine = held(active_couple, therapist, M, at(20, month=2), place=Place.HOME)
    with django_capture_on_commit_callbacks(execute=True):
        change = _enter(therapist, active_couple, I, at(1))
    record = IntegrationRecord.objects.get(session=change.session)
    assert record.follows == medicine
    assert not Reminder.objects.filter(session=change.session).exists()


def test_medicine_session_is_never_entered_after_the_fact(frozen, therapist, active_couple):
    held(active_couple, therapist, A, at(1, month=2))
    held(active_couple, therapist, P, at(5, month=2))
    held(active_couple, therapist, P, at(10, month=2))
    errors = _refusal(lambda: _enter(therapist, active_couple, M, at(1), place=Place.HOME))
    assert "its record is the bedside record" in errors["phase"][0]
    assert not TherapySession.objects.filter(phase=M).exists()


def test_reason_is_required(frozen, therapist, active_couple):
    errors = _refusal(lambda: _enter(therapist, active_couple, A, at(2), reason="  "))
    assert errors == {"reason": ["Say why this session is entered after the fact; it goes on the couple's timeline."]}


def test_outcome_must_be_held_or_missed(frozen, therapist, active_couple):
    errors = _refusal(lambda: _enter(therapist, active_couple, A, at(2), outcome=SessionStatus.CANCELLED))
    assert errors == {"outcome": ["Say whether the session was held or missed."]}


def test_a_future_start_is_not_a_past_session(frozen, therapist, active_couple):
    errors = _refusal(lambda: _enter(therapist, active_couple, A, at(5)))
    assert errors["start"][0].startswith("5 Mar 2030, 10:00 has not come yet")


def test_older_than_the_clinics_window_is_refused_and_the_setting_moves_it(frozen, therapist, active_couple):
    errors = _refusal(lambda: _enter(therapist, active_couple, A, at(1, month=1)))
    assert errors == {
        "start": [
            "Past sessions are entered at most 30 days after the fact (the clinic's setting); 1 Jan 2030, 10:00 "
            "is earlier."
        ]
    }
    ClinicSettings.objects.update_or_create(id=1, defaults={"past_entry_days": 90})
    assert _enter(therapist, active_couple, A, at(1, month=1)).session.status == SessionStatus.COMPLETED


def test_course_rules_of_a_booking_apply(frozen, therapist, active_couple):
    errors = _refusal(lambda: _enter(therapist, active_couple, P, at(2)))
    assert errors["phase"] == ["Preparation comes after assessment: no assessment session is booked before it."]


def test_held_preparation_needs_a_held_assessment_before_it(frozen, therapist, active_couple):
    held(active_couple, therapist, A, at(1), status=SessionStatus.NO_SHOW)
    held(active_couple, therapist, A, at(3, hour=7), status=SessionStatus.SCHEDULED)
    errors = _refusal(lambda: _enter(therapist, active_couple, P, at(3, hour=12)))
    assert errors["phase"] == ["Preparation comes after assessment: no completed assessment session yet."]


def test_a_clash_with_another_session_is_refused(frozen, therapist, active_couple, other_therapist, other_couple):
    held(other_couple, therapist, A, at(2), status=SessionStatus.COMPLETED)
    errors = _refusal(lambda: _enter(therapist, active_couple, A, at(2, minute=30)))
    assert "already booked then" in errors["start"][0]


def test_closed_case_takes_no_past_session(frozen, therapist, active_couple):
    case_services.couple_transition(by=therapist, couple=active_couple, to_status=CoupleStatus.CLOSED, note="Moved.")
    active_couple.refresh_from_db()
    with pytest.raises(ValidationError, match="no sessions can be entered"):
        _enter(therapist, active_couple, A, at(2))


def test_another_caseloads_couple_is_refused(frozen, therapist, other_couple):
    with pytest.raises(ValidationError):
        _enter(therapist, other_couple, A, at(2))
    assert not TherapySession.objects.filter(couple=other_couple).exists()


def test_held_preparation_entered_after_the_fact_activates_a_decided_couple(frozen, therapist, prescriber, couple):
    case_services.couple_transition(by=therapist, couple=couple, to_status=CoupleStatus.SCREENING)
    for partner in couple.partners.all():
        make_screening_complete(partner.screening)
        case_services.screening_decide(by=prescriber, screening=partner.screening, outcome=ScreeningOutcome.CLEARED)
    _enter(therapist, couple, A, at(1))
    _enter(therapist, couple, P, at(3))
    assert Couple.objects.get(pk=couple.pk).status == CoupleStatus.ACTIVE


# -- the page and crafted POSTs ---------------------------------------------------------------------------------


def _post(couple, phase="assessment", start="2030-03-02T10:00", **extra):
    return {
        "couple": couple.pk,
        "phase": phase,
        "start": start,
        "place": Place.TELEHEALTH,
        "already_took_place": "on",
        "outcome": SessionStatus.COMPLETED,
        "reason": REASON,
        **extra,
    }


def test_booking_page_offers_this_session_already_took_place(frozen, client_for, therapist, active_couple):
    response = client_for(therapist).get(reverse("sessions:session_new"))
    assert response.status_code == 200
    assert "This session already took place" in response.content.decode()


def test_page_enters_a_held_session_in_the_past(frozen, client_for, therapist, active_couple):
    response = client_for(therapist).post(reverse("sessions:session_new"), _post(active_couple))
    session = TherapySession.objects.get(couple=active_couple)
    assert response.status_code == 302
    assert response.url == reverse("sessions:session_detail", args=[session.uuid])
    assert session.status == SessionStatus.COMPLETED


def test_page_without_the_option_still_refuses_the_past(frozen, client_for, therapist, active_couple):
    data = _post(active_couple)
    del data["already_took_place"]
    response = client_for(therapist).post(reverse("sessions:session_new"), data)
    assert response.status_code == 400
    assert response.context["form"].errors["start"] == [
        "A session cannot be booked in the past (2 Mar 2030, 10:00 has gone)."
    ]


def test_page_shows_the_medicine_refusal_next_to_the_phase(frozen, client_for, therapist, active_couple):
    response = client_for(therapist).post(
        reverse("sessions:session_new"), _post(active_couple, phase="medicine", place=Place.HOME)
    )
    assert response.status_code == 400
    assert "its record is the bedside record" in response.context["form"].errors["phase"][0]
    assert not TherapySession.objects.exists()


def test_crafted_post_without_a_reason_is_refused_next_to_the_reason(frozen, client_for, therapist, active_couple):
    response = client_for(therapist).post(reverse("sessions:session_new"), _post(active_couple, reason=""))
    assert response.status_code == 400
    assert response.context["form"].errors["reason"] == [
        "Say why this session is entered after the fact; it goes on the couple's timeline."
    ]
    assert not TherapySession.objects.exists()


def test_crafted_post_for_another_caseloads_couple_is_refused(frozen, client_for, therapist, other_active_couple):
    response = client_for(therapist).post(reverse("sessions:session_new"), _post(other_active_couple))
    assert response.status_code == 400
    assert "couple" in response.context["form"].errors
    assert not TherapySession.objects.exists()
