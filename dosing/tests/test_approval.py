"""Requests and the prescriber's signed approval."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.querysets import KeptRecordError
from conftest import PASSWORD
from dosing.approvals import approval_current, approval_revoke, approval_sign, approval_verify
from dosing.choices import Approach, RequestStatus
from dosing.gate import medicine_gate
from dosing.models import Approval, ApprovalRevocation, DosingRequest, Notice
from dosing.requests import dosing_request_create, dosing_request_decline
from dosing.tests.factories import dose_rows, ready_couple, sign
from records.testing import tamper

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(couple, prescriber):
    return ready_couple(couple, prescriber)


def test_therapist_requests_and_prescriber_approves(therapist, prescriber, ready):
    request = dosing_request_create(
        by=therapist, couple=ready, approach=Approach.DUAL_PSYCHOLYTIC, rationale="They want to stay able to talk."
    )
    assert Notice.objects.filter(recipient=prescriber, couple=ready).exists()
    approval = sign(ready, prescriber, Approach.DUAL_PSYCHOLYTIC, request=request)
    request.refresh_from_db()
    assert (request.status, request.decided_by) == (RequestStatus.APPROVED, prescriber)
    assert approval.doses.count() == 2
    assert approval_verify(approval)
    assert Notice.objects.filter(recipient=therapist, text__contains="Dual psycholytic approved").exists()


def test_a_second_pending_request_is_refused(therapist, ready):
    dosing_request_create(by=therapist, couple=ready, approach=Approach.DUAL_PSYCHEDELIC, rationale="x")
    with pytest.raises(ValidationError, match="already has a request waiting"):
        dosing_request_create(by=therapist, couple=ready, approach=Approach.DUAL_PSYCHOLYTIC, rationale="y")


def test_solo_request_names_one_partner_of_this_couple(therapist, ready, other_couple):
    with pytest.raises(ValidationError) as exc:
        dosing_request_create(by=therapist, couple=ready, approach=Approach.SOLO, rationale="x")
    assert "solo_partner" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        dosing_request_create(
            by=therapist,
            couple=ready,
            approach=Approach.SOLO,
            rationale="x",
            solo_partner=other_couple.partners.first(),
        )
    assert exc.value.message_dict["solo_partner"] == ["That partner is not in this couple."]


def test_a_therapist_cannot_approve(therapist, ready):
    with pytest.raises(ValidationError, match="Only a prescriber"):
        sign(ready, therapist)
    assert not Approval.objects.exists()


def test_another_prescriber_cannot_approve_this_couple(other_prescriber, ready):
    with pytest.raises(ValidationError, match="own prescriber"):
        sign(ready, other_prescriber)


def test_a_wrong_password_signs_nothing(prescriber, ready):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as exc:
        approval_sign(
            by=prescriber,
            password="not-it",
            couple=ready,
            approach=Approach.DUAL_PSYCHEDELIC,
            valid_from=today,
            valid_until=None,
            sessions_covered=4,
            conditions="",
            doses=dose_rows(ready, Approach.DUAL_PSYCHEDELIC),
        )
    assert exc.value.message_dict == {"password": ["That is not your password; the approval was not signed."]}
    assert not Approval.objects.exists()


def test_solo_with_a_second_dosing_partner_is_refused(prescriber, ready):
    with pytest.raises(ValidationError, match="exactly one partner takes ketamine"):
        sign(ready, prescriber, Approach.SOLO, doses=dose_rows(ready, Approach.DUAL_PSYCHEDELIC))


def test_dual_approach_needs_both_doses(prescriber, ready):
    with pytest.raises(ValidationError, match="give both doses"):
        sign(ready, prescriber, Approach.DUAL_PSYCHEDELIC, doses=dose_rows(ready, Approach.SOLO))


def test_a_partner_not_cleared_cannot_dose(prescriber, couple):
    ready_couple(couple, prescriber, sober="B")
    with pytest.raises(ValidationError, match=r"Partner B \(.*\) was screened as sober support only"):
        sign(couple, prescriber, Approach.DUAL_PSYCHEDELIC)
    approval = sign(couple, prescriber, Approach.SOLO, solo_label="A")
    assert [d.partner.label for d in approval.doses.all()] == ["A"]


def test_a_dose_far_from_the_fraction_needs_a_reason(prescriber, ready):
    doses = dose_rows(ready, Approach.EXTENDED_DISCUSSION)  # 25 of 100 mg
    doses[0]["dose_mg"] = Decimal("60")  # 60% for a quarter-dose approach
    doses[0]["max_total_mg"] = Decimal("60")
    with pytest.raises(ValidationError, match="60% of the full dose, far from extended discussion's about 1/4 dose"):
        sign(ready, prescriber, Approach.EXTENDED_DISCUSSION, doses=doses)
    doses[0]["fraction_reason"] = "Minimal response to 25 mg in two previous sessions."
    assert sign(ready, prescriber, Approach.EXTENDED_DISCUSSION, doses=doses).doses.count() == 2


def test_within_tolerance_needs_no_reason(prescriber, ready):
    doses = dose_rows(ready, Approach.DUAL_PSYCHOLYTIC)  # 50 of 100
    doses[0]["dose_mg"] = Decimal("60")  # 20% above half: within the 25% default tolerance
    doses[0]["max_total_mg"] = Decimal("70")
    approval = sign(ready, prescriber, Approach.DUAL_PSYCHOLYTIC, doses=doses)
    signed = approval.doses.get(partner__label="A")
    assert (signed.dose_mg, signed.fraction_reason) == (Decimal("60"), "")


def test_maximum_below_the_dose_is_refused(prescriber, ready):
    doses = dose_rows(ready, Approach.DUAL_PSYCHEDELIC)
    doses[1]["max_total_mg"] = Decimal("10")
    with pytest.raises(ValidationError, match="the maximum must be at least the dose"):
        sign(ready, prescriber, Approach.DUAL_PSYCHEDELIC, doses=doses)


def test_a_backdated_or_unbounded_approval_is_refused(prescriber, ready):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        approval_sign(
            by=prescriber,
            password=PASSWORD,
            couple=ready,
            approach=Approach.DUAL_PSYCHEDELIC,
            valid_from=yesterday,
            valid_until=None,
            sessions_covered=None,
            conditions="",
            doses=dose_rows(ready, Approach.DUAL_PSYCHEDELIC),
        )
    assert set(exc.value.message_dict) == {"valid_from", "sessions_covered"}


def test_a_signed_approval_is_never_edited(prescriber, ready):
    approval = sign(ready, prescriber)
    approval.conditions = "changed afterwards"
    with pytest.raises(ValidationError, match="never changed"):
        approval.save()
    with pytest.raises(ValidationError):
        approval.delete()
    dose = approval.doses.first()
    dose.max_total_mg = Decimal("999")
    with pytest.raises(ValidationError):
        dose.save()


def test_tampering_with_a_signed_approval_shows(prescriber, ready):
    approval = sign(ready, prescriber)
    with pytest.raises(KeptRecordError, match="insert-only"):
        Approval.objects.filter(pk=approval.pk).update(conditions="quietly added")
    with pytest.raises(IntegrityError, match="signed approval is never changed"), transaction.atomic():
        Approval._base_manager.filter(pk=approval.pk).update(conditions="quietly added")  # bypassing the model
    tamper(
        "UPDATE dosing_approval SET conditions = 'quietly added' WHERE id = %s", [approval.pk], table="dosing_approval"
    )
    assert not approval_verify(Approval.objects.get(pk=approval.pk))


def test_a_change_is_a_new_approval_that_supersedes(prescriber, ready):
    first = sign(ready, prescriber, Approach.DUAL_PSYCHEDELIC)
    second = sign(ready, prescriber, Approach.DUAL_PSYCHOLYTIC)
    assert second.supersedes == first
    assert approval_current(couple=ready) == second
    with pytest.raises(ValidationError, match="replaced by a newer one"):
        approval_revoke(by=prescriber, approval=first, reason="mistake")


def test_revocation_takes_effect_at_once_and_tells_the_therapist(therapist, prescriber, ready):
    approval = sign(ready, prescriber)
    approval_revoke(by=prescriber, approval=approval, reason="New hypertension diagnosis")
    assert ApprovalRevocation.objects.get(approval=approval).revoked_by == prescriber
    assert approval_current(couple=ready) is None
    gate, reasons = medicine_gate(couple=ready, start=timezone.now() + datetime.timedelta(days=3))
    assert gate is None
    assert "revoked" in reasons[0] and "New hypertension diagnosis" in reasons[0]
    assert Notice.objects.filter(recipient=therapist, text__contains="was revoked").exists()


def test_revocation_needs_a_reason(prescriber, ready):
    approval = sign(ready, prescriber)
    with pytest.raises(ValidationError):
        approval_revoke(by=prescriber, approval=approval, reason=" ")
    assert not ApprovalRevocation.objects.exists()


def test_the_gate_names_what_is_missing(prescriber, ready):
    start = timezone.now() + datetime.timedelta(days=2)
    assert medicine_gate(couple=ready, start=start)[1] == [
        "No prescriber approval of a dosing approach is on file for this couple."
    ]
    sign(ready, prescriber, days=10)
    assert medicine_gate(couple=ready, start=start)[0] is not None
    late = timezone.now() + datetime.timedelta(days=30)
    assert "ended on" in medicine_gate(couple=ready, start=late)[1][0]
    screening = ready.partners.get(label="B").screening
    screening.consent_signed_on, screening.consent_version = None, ""
    screening.save()
    assert any("has not signed consent" in r for r in medicine_gate(couple=ready, start=start)[1])


def test_declining_needs_a_reason_and_tells_the_therapist(therapist, prescriber, ready):
    request = dosing_request_create(
        by=therapist, couple=ready, approach=Approach.SOLO, rationale="x", solo_partner=ready.partners.get(label="A")
    )
    with pytest.raises(ValidationError):
        dosing_request_decline(by=prescriber, request=request, reason="")
    dosing_request_decline(by=prescriber, request=request, reason="Psycholytic first")
    assert DosingRequest.objects.get(pk=request.pk).status == RequestStatus.DECLINED
    assert Notice.objects.filter(recipient=therapist, text__contains="Psycholytic first").exists()


def test_a_zero_full_dose_is_refused_by_the_service_itself(prescriber, ready):
    doses = dose_rows(ready, Approach.DUAL_PSYCHEDELIC)
    doses[0]["full_dose_mg"] = Decimal("0")
    with pytest.raises(ValidationError, match="must all be above 0"):
        sign(ready, prescriber, Approach.DUAL_PSYCHEDELIC, doses=doses)
    assert not Approval.objects.exists()


def test_the_gate_gives_every_reason_at_once(prescriber, ready):
    """An expired approval and a partner whose consent is gone: the clinician reads both, not the first."""
    sign(ready, prescriber, days=10)
    screening = ready.partners.get(label="B").screening
    screening.consent_signed_on, screening.consent_version = None, ""
    screening.save()
    gate = medicine_gate(couple=ready, start=timezone.now() + datetime.timedelta(days=30))
    assert gate.approval is None and not gate.is_open
    assert any("ended on" in r for r in gate.reasons)
    assert any("has not signed consent" in r for r in gate.reasons)


def test_the_current_approval_is_the_same_wherever_it_is_asked(prescriber, ready):
    """One definition: the service, the list annotation and the couple's dosing page agree, also once the
    newest approval is revoked (the one it superseded does not come back)."""
    from dosing.selectors import couple_dosing

    first = sign(ready, prescriber, Approach.DUAL_PSYCHEDELIC)
    second = sign(ready, prescriber, Approach.DUAL_PSYCHOLYTIC)
    marked = {a.pk: a.is_current for a in Approval.objects.filter(couple=ready).with_is_current()}
    assert marked == {first.pk: False, second.pk: True}
    assert approval_current(couple=ready) == couple_dosing(couple=ready)["current"] == second
    approval_revoke(by=prescriber, approval=second, reason="New hypertension diagnosis")
    assert approval_current(couple=ready) is None
    assert couple_dosing(couple=ready)["current"] is None
    assert not any(a.is_current for a in Approval.objects.filter(couple=ready).with_is_current())


def test_a_notice_is_written_and_audited_with_its_change_and_a_failed_audit_undoes_both(
    therapist, prescriber, ready, monkeypatch
):
    from audit.models import AuditEvent

    request = dosing_request_create(by=therapist, couple=ready, approach=Approach.DUAL_PSYCHOLYTIC, rationale="x")
    notice = Notice.objects.get(recipient=prescriber, couple=ready)
    assert AuditEvent.objects.filter(object_type="dosing.notice", object_id=str(notice.pk)).exists()
    real_create = AuditEvent.objects.create

    def audit_fails_for_notices(**kwargs):
        if kwargs.get("object_type") == "dosing.notice":
            raise RuntimeError("connection dropped")
        return real_create(**kwargs)

    monkeypatch.setattr(AuditEvent.objects, "create", audit_fails_for_notices)
    with pytest.raises(RuntimeError):
        dosing_request_decline(by=prescriber, request=request, reason="Not now.")
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING  # the decline went with its notice's audit row
    assert not Notice.objects.filter(recipient=therapist).exists()
