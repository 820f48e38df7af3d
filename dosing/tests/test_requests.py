"""A therapist's request for a dosing approach: each refusal of `dosing/requests.py`, tried through the service as
a task or a script would call it, says which rule and why, and changes nothing."""

import pytest
from django.core.exceptions import ValidationError

from cases.choices import CoupleStatus
from cases.models import Couple
from dosing.choices import Approach, RequestStatus
from dosing.models import DosingRequest, Notice
from dosing.requests import dosing_request_create, dosing_request_decline, dosing_request_withdraw
from dosing.tests.factories import ready_couple

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(couple, prescriber):
    return ready_couple(couple, prescriber)


def refused(**kwargs) -> ValidationError:
    kwargs.setdefault("approach", Approach.DUAL_PSYCHOLYTIC)
    kwargs.setdefault("rationale", "They want to stay able to talk.")
    with pytest.raises(ValidationError) as exc:
        dosing_request_create(**kwargs)
    assert not DosingRequest.objects.exists()
    assert not Notice.objects.exists()
    return exc.value


@pytest.mark.parametrize("status", [CoupleStatus.REFERRED, CoupleStatus.COMPLETED, CoupleStatus.CLOSED])
def test_only_a_couple_in_screening_or_treatment_has_dosing_requested(therapist, ready, status):
    Couple.objects.filter(pk=ready.pk).update(status=status)
    ready.refresh_from_db()
    error = refused(by=therapist, couple=ready)
    assert error.messages == [f"A couple in {ready.get_status_display().lower()} cannot have dosing requested."]


def test_a_couple_without_a_prescriber_gets_one_first(therapist, ready):
    Couple.objects.filter(pk=ready.pk).update(prescriber=None)
    ready.refresh_from_db()
    assert refused(by=therapist, couple=ready).messages == ["Assign a prescriber to this couple first."]


def test_the_approach_and_the_rationale_are_checked_field_by_field(therapist, ready):
    error = refused(by=therapist, couple=ready, approach="ayahuasca", rationale="  ")
    assert error.message_dict == {
        "approach": ["Choose one of the four approaches."],
        "rationale": ["Explain why this approach suits the couple."],
    }


def test_only_solo_administration_names_a_dosing_partner(therapist, ready):
    error = refused(by=therapist, couple=ready, solo_partner=ready.partners.get(label="A"))
    assert error.message_dict == {
        "solo_partner": ["Only solo administration names one dosing partner; the others dose both."]
    }


def test_a_prescriber_does_not_request(prescriber, ready):
    error = refused(by=prescriber, couple=ready)
    assert error.messages == ["Only a therapist of this couple can request a dosing approach."]


@pytest.fixture
def pending(therapist, ready):
    return dosing_request_create(by=therapist, couple=ready, approach=Approach.DUAL_PSYCHEDELIC, rationale="x")


def test_a_request_is_withdrawn_once_by_a_therapist_of_the_couple(therapist, prescriber, pending):
    with pytest.raises(ValidationError, match="Only a therapist of this couple can withdraw its request."):
        dosing_request_withdraw(by=prescriber, request=pending)
    assert DosingRequest.objects.get(pk=pending.pk).status == RequestStatus.PENDING
    withdrawn = dosing_request_withdraw(by=therapist, request=pending)
    assert (withdrawn.status, withdrawn.decided_by) == (RequestStatus.WITHDRAWN, therapist)
    with pytest.raises(ValidationError, match="already been answered"):
        dosing_request_withdraw(by=therapist, request=pending)


def test_a_request_already_answered_cannot_be_declined(therapist, prescriber, pending):
    dosing_request_withdraw(by=therapist, request=pending)
    with pytest.raises(ValidationError, match="already been answered"):
        dosing_request_decline(by=prescriber, request=pending, reason="Not now")
    assert DosingRequest.objects.get(pk=pending.pk).status == RequestStatus.WITHDRAWN


def test_declining_says_why(prescriber, pending):
    with pytest.raises(ValidationError) as exc:
        dosing_request_decline(by=prescriber, request=pending, reason=" ")
    assert exc.value.message_dict == {"reason": ["Say why the request is declined."]}
    assert DosingRequest.objects.get(pk=pending.pk).status == RequestStatus.PENDING
