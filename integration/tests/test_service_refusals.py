"""Each refusal of the integration services (`integration/services.py`), called as a task or the shell would call
them: the message names the field and the rule, and nothing is written."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from cases.choices import CoupleStatus
from cases.models import Couple
from integration import services
from integration.models import Commitment, CommitmentEvent, QuestionnaireLink
from sessions.tests.helpers import A, I, P, at, held

pytestmark = pytest.mark.django_db
DUE = datetime.date(2030, 2, 25)
SITE = "https://clinic.example/"


def refusal(call) -> ValidationError:
    with pytest.raises(ValidationError) as exc:
        call()
    return exc.value


def add(therapist, session, owner, **kwargs):
    values = {"kind": "practice", "text": "Ten minutes of eye contact each evening", "due_on": DUE} | kwargs
    return lambda: services.commitment_add(by=therapist, session=session, owner=owner, **values)


def test_a_commitment_is_made_in_an_integration_session(one_cycle, therapist, partners):
    error = refusal(add(therapist, one_cycle["prep1"], partners["A"]))
    assert error.messages == ["Commitments are made in integration sessions."]
    assert not Commitment.objects.exists()


def test_a_commitment_is_a_known_kind_short_and_dated(one_cycle, therapist, partners):
    error = refusal(add(therapist, one_cycle["integration"], partners["A"], kind="wish", text="x" * 501, due_on=None))
    assert error.message_dict == {
        "kind": ["Choose a practice, a conversation or homework."],
        "text": ["Keep the commitment under 500 characters; details belong in the note."],
        "due_on": ["Give the date it is due."],
    }
    assert not Commitment.objects.exists()


def test_an_integration_session_after_no_medicine_session_has_no_cycle(frozen, active_couple, therapist, partners):
    held(active_couple, therapist, A, at(1, month=2))
    lone = held(active_couple, therapist, I, at(2, month=2))
    error = refusal(add(therapist, lone, partners["A"], due_on=datetime.date(2030, 2, 9)))
    assert "follows no medicine session in the plan" in error.messages[0]
    assert not Commitment.objects.exists()


@pytest.fixture
def commitment(one_cycle, therapist, partners):
    return add(therapist, one_cycle["integration"], partners["A"])()


def test_a_review_names_a_known_status(one_cycle, therapist, commitment):
    error = refusal(
        lambda: services.commitment_review(
            by=therapist, commitment=commitment, session=one_cycle["integration"], to_status="someday"
        )
    )
    assert error.message_dict == {"to_status": ["Choose the commitment's status."]}


def test_a_commitment_is_reviewed_in_its_own_couples_sessions(
    one_cycle, clinic_admin, commitment, other_couple, other_therapist
):
    elsewhere = held(other_couple, other_therapist, P, at(12, month=2))
    error = refusal(
        lambda: services.commitment_review(
            by=clinic_admin, commitment=commitment, session=elsewhere, to_status="in_progress"
        )
    )
    assert error.messages == ["This commitment belongs to another couple."]
    assert CommitmentEvent.objects.filter(commitment=commitment).count() == 1


def test_a_commitment_is_reviewed_after_the_session_it_was_made_in(one_cycle, therapist, commitment):
    error = refusal(
        lambda: services.commitment_review(
            by=therapist, commitment=commitment, session=one_cycle["prep2"], to_status="in_progress"
        )
    )
    assert error.messages == ["A commitment is reviewed in a session after the one it was made in."]
    assert Commitment.objects.get(pk=commitment.pk).status == "open"


def send(therapist, partner, **kwargs):
    values = {"instrument": "GAD7", "context": "follow_up", "site_url": SITE} | kwargs
    return lambda: services.questionnaire_link_send(by=therapist, partner=partner, **values)


def test_a_link_is_for_a_known_questionnaire_and_context(one_cycle, therapist, partners):
    assert refusal(send(therapist, partners["A"], instrument="BDI2")).message_dict == {
        "instrument": ["Unknown questionnaire."]
    }
    assert refusal(send(therapist, partners["A"], context="party")).message_dict == {
        "context": ["Unknown questionnaire context."]
    }
    assert not QuestionnaireLink.objects.exists()


def test_no_link_is_sent_for_a_closed_case_or_another_couples_session(
    one_cycle, therapist, partners, active_couple, other_couple, other_therapist
):
    elsewhere = held(other_couple, other_therapist, P, at(12, month=2))
    error = refusal(send(therapist, partners["A"], session=elsewhere))
    assert error.messages == ["That session belongs to another couple."]
    Couple.objects.filter(pk=active_couple.pk).update(status=CoupleStatus.CLOSED)
    partners["A"].couple.refresh_from_db()
    error = refusal(send(therapist, partners["A"]))
    assert error.messages == [f"Case {active_couple.case_number} is closed; no questionnaires are sent."]
    assert not QuestionnaireLink.objects.exists()
