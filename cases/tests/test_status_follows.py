"""The couple's status follows its course: referred -> screening at the first screening entry, screening -> active
once both partners' screening is decided and the first preparation is booked (sessions/tests/test_course_status.py
has the session side), and the hand-made transition with a reason still works."""

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from audit.sentences import audit_sentence
from cases import services
from cases.choices import Contraindication, CoupleStatus, EventKind, ScreeningOutcome
from cases.models import CaseEvent, Couple
from cases.selectors import therapist_todo
from tests.factories import make_screening_complete

pytestmark = pytest.mark.django_db

PHQ9_NONE = [0] * 9


def _status(couple) -> str:
    return Couple.objects.get(pk=couple.pk).status


def _status_events(couple) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(couple=couple, kind=EventKind.STATUS).order_by("id"))


def test_first_screening_entry_moves_a_referred_couple_to_screening(therapist, couple):
    screening = couple.partners.get(label="A").screening
    services.screening_update(by=therapist, screening=screening, values={"systolic": 120})
    assert _status(couple) == CoupleStatus.SCREENING
    [event] = _status_events(couple)
    assert event.summary == "Status changed to Screening: the first screening entry was recorded"
    assert (event.from_status, event.to_status, event.actor) == ("referred", "screening", therapist)
    audit = AuditEvent.objects.filter(couple_id=couple.pk, summary__contains="status followed the course").get()
    assert audit.actor == therapist
    assert audit.summary == f"cases.Couple {couple.pk} status followed the course: referred -> screening"
    assert "Tara Therapist moved the case to screening (it followed the course) for the " in audit_sentence(audit)


def test_second_screening_entry_moves_nothing(therapist, couple):
    screening = couple.partners.get(label="A").screening
    services.screening_update(by=therapist, screening=screening, values={"systolic": 120})
    services.screening_update(by=therapist, screening=screening, values={"systolic": 124})
    assert _status(couple) == CoupleStatus.SCREENING
    assert len(_status_events(couple)) == 1


def test_questionnaire_by_a_partners_own_link_starts_screening(couple):
    partner = couple.partners.get(label="B")
    services.questionnaire_record(by=None, partner=partner, instrument="PHQ9", answers=PHQ9_NONE)
    assert _status(couple) == CoupleStatus.SCREENING
    [event] = _status_events(couple)
    assert event.actor is None


def test_contraindication_checklist_starts_screening(therapist, couple):
    screening = couple.partners.get(label="A").screening
    services.contraindications_record(
        by=therapist, screening=screening, findings=dict.fromkeys(Contraindication.values, (False, ""))
    )
    assert _status(couple) == CoupleStatus.SCREENING


def test_closed_case_is_not_reopened_by_a_screening_entry(therapist, couple):
    services.couple_transition(by=therapist, couple=couple, to_status=CoupleStatus.CLOSED, note="Moved away.")
    screening = couple.partners.get(label="A").screening
    services.screening_update(by=therapist, screening=screening, values={"systolic": 120})
    assert _status(couple) == CoupleStatus.CLOSED


def _decide_both(couple, prescriber, therapist, outcome_b=ScreeningOutcome.CLEARED, note_b=""):
    a, b = (couple.partners.get(label=label).screening for label in "AB")
    for screening in (a, b):
        make_screening_complete(screening)
    services.screening_decide(by=prescriber, screening=a, outcome=ScreeningOutcome.CLEARED)
    services.screening_decide(by=prescriber, screening=b, outcome=outcome_b, note=note_b)


def test_screening_decided_without_a_preparation_booked_stays_in_screening(therapist, prescriber, couple):
    services.couple_transition(by=therapist, couple=couple, to_status=CoupleStatus.SCREENING)
    _decide_both(couple, prescriber, therapist)
    assert _status(couple) == CoupleStatus.SCREENING


def test_hand_made_transition_with_a_reason_still_works_and_keeps_the_reason(therapist, prescriber, couple):
    services.couple_transition(by=therapist, couple=couple, to_status=CoupleStatus.SCREENING)
    _decide_both(couple, prescriber, therapist)
    services.couple_transition(
        by=therapist, couple=couple, to_status=CoupleStatus.ACTIVE, note="Preparation booked on paper."
    )
    assert _status(couple) == CoupleStatus.ACTIVE
    event = _status_events(couple)[-1]
    assert (event.note, event.actor, event.summary) == (
        "Preparation booked on paper.",
        therapist,
        "Screening \u2192 Active treatment",
    )


def test_hand_made_close_still_needs_a_reason(therapist, couple):
    with pytest.raises(ValidationError) as refused:
        services.couple_transition(by=therapist, couple=couple, to_status=CoupleStatus.CLOSED)
    assert refused.value.message_dict == {"note": ["Say why the case is being closed or declined."]}


def test_decided_screening_tells_the_therapist_what_starts_treatment(therapist, prescriber, couple):
    services.couple_transition(by=therapist, couple=couple, to_status=CoupleStatus.SCREENING)
    _decide_both(couple, prescriber, therapist)
    [(_, todo)] = therapist_todo(couples=[Couple.objects.prefetch_related("partners__screening").get(pk=couple.pk)])
    assert todo == ["Screening complete: book the first preparation session to start treatment"]
