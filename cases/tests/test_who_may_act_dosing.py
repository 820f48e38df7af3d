"""Who may act on dosing, tried against the dosing services and pages: the requester approving, a prescriber of
another couple, a covering prescriber inside and outside the period, a dual-role user overriding a hold in a
session they run, a deactivated user, a therapist outside the care team, the stock log."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.choices import AuditAction
from audit.models import AuditEvent
from cases.services import covering_prescriber_assign
from clinic.services import clinic_settings_update
from conftest import PASSWORD
from dosing.approvals import approval_revoke
from dosing.choices import Approach, RequestStatus
from dosing.lifecycle import medicine_session_start
from dosing.models import Approval, DosingRequest, PreDoseCheck, VitalReading
from dosing.record import predose_override, predose_record, vitals_record
from dosing.requests import dosing_request_create, dosing_request_decline, dosing_request_withdraw
from dosing.stock import stock_receive
from dosing.tests.factories import predose_values, ready_couple, sign
from sessions import services as session_services
from sessions.choices import Phase, Place
from sessions.tests.helpers import history
from tests.factories import CoupleFactory, UserFactory

pytestmark = pytest.mark.django_db


def local(days: int, hour: int = 10) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def deactivate(user):
    user.is_active = False
    user.save()
    return user


def request_for(couple, therapist) -> DosingRequest:
    return dosing_request_create(
        by=therapist,
        couple=couple,
        approach=Approach.DUAL_PSYCHOLYTIC,
        rationale="They want to talk during the session",
    )


def medicine_session(couple, therapist):
    """Assessment and two preparations held, then a medicine session booked the day after tomorrow and started."""
    history(
        couple,
        therapist,
        [(Phase.ASSESSMENT, local(-20)), (Phase.PREPARATION, local(-13)), (Phase.PREPARATION, local(-6))],
    )
    session = session_services.session_schedule(
        by=therapist, couple=couple, therapist=therapist, phase=Phase.MEDICINE, start=local(2), place=Place.TELEHEALTH
    ).session
    # The bedside record is kept only while the session is in progress: its therapist starts it on time.
    medicine_session_start(by=therapist, session=session, now=session.start)
    return session


def held_at_hold_level(session, by) -> PreDoseCheck:
    partner = session.couple.partners.get(label="A")
    return predose_record(
        by=by,
        session=session,
        partner=partner,
        values=predose_values(sober_partner_present=None, systolic=166, diastolic=98, heart_rate=72),
    )


@pytest.fixture
def dual():
    return UserFactory(
        username="dana",
        first_name="Dana",
        last_name="Dual",
        credentials="MD",
        is_therapist=True,
        is_prescriber=True,
        password=PASSWORD,
    )


@pytest.fixture
def dual_couple(dual):
    """A couple whose only therapist is also its prescriber."""
    return ready_couple(CoupleFactory(therapists=[dual], prescriber=dual), dual)


# -- the requester does not approve ----------------------------------------------------------------------


def test_the_person_who_requested_an_approach_cannot_sign_it(dual, dual_couple):
    request = request_for(dual_couple, dual)
    with pytest.raises(ValidationError, match="does not approve it"):
        sign(dual_couple, dual, request=request)
    # Leaving the request out does not get round it while the request waits.
    with pytest.raises(ValidationError, match="does not approve it"):
        sign(dual_couple, dual)
    assert not Approval.objects.exists()
    assert DosingRequest.objects.get().status == RequestStatus.PENDING


def test_a_covering_prescriber_signs_what_the_dual_role_prescriber_requested(
    dual, dual_couple, other_prescriber, clinic_admin
):
    request = request_for(dual_couple, dual)
    covering_prescriber_assign(
        by=clinic_admin,
        couple=dual_couple,
        prescriber=other_prescriber,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
        reason="Second signer",
    )
    approval = sign(dual_couple, other_prescriber, request=request)
    assert approval.signed_by == other_prescriber
    assert DosingRequest.objects.get().status == RequestStatus.APPROVED


def test_a_crafted_post_of_the_requesters_own_approval_is_refused_on_the_page(client_for, dual, dual_couple):
    request_for(dual_couple, dual)
    url = reverse("dosing:approval_new", kwargs={"couple_uuid": dual_couple.uuid})
    response = client_for(dual).post(url, {"approach": Approach.DUAL_PSYCHOLYTIC, "password": PASSWORD})
    assert response.status_code == 400
    assert not Approval.objects.exists()


# -- this couple's prescriber, or a covering one --------------------------------------------------------------


def test_a_prescriber_of_another_couple_cannot_sign_decline_or_revoke(therapist, prescriber, other_prescriber, couple):
    ready_couple(couple, prescriber)
    request = request_for(couple, therapist)
    with pytest.raises(ValidationError, match="this couple's own prescriber"):
        sign(couple, other_prescriber, request=request)
    with pytest.raises(ValidationError, match="this couple's own prescriber"):
        dosing_request_decline(by=other_prescriber, request=request, reason="No")
    approval = sign(couple, prescriber, request=request)
    with pytest.raises(ValidationError, match="this couple's own prescriber"):
        approval_revoke(by=other_prescriber, approval=approval, reason="No")
    assert not hasattr(Approval.objects.get(), "revocation")


def test_a_covering_prescriber_decides_only_within_the_period(
    therapist, prescriber, other_prescriber, couple, clinic_admin
):
    ready_couple(couple, prescriber)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    covering_prescriber_assign(
        by=clinic_admin,
        couple=couple,
        prescriber=other_prescriber,
        starts_on=tomorrow,
        ends_on=tomorrow,
        reason="Leave",
    )
    request = request_for(couple, therapist)
    with pytest.raises(ValidationError, match="cover for them on that day"):
        dosing_request_decline(by=other_prescriber, request=request, reason="Not yet")
    with time_machine.travel(local(1), tick=False):
        declined = dosing_request_decline(by=other_prescriber, request=request, reason="Not yet")
    assert declined.decided_by == other_prescriber
    with time_machine.travel(local(2), tick=False), pytest.raises(ValidationError, match="cover for them on that day"):
        sign(couple, other_prescriber)


# -- the hold override ----------------------------------------------------------------------------------


def test_a_dual_role_user_cannot_override_a_hold_in_a_session_they_run(dual, dual_couple):
    sign(dual_couple, dual)
    session = medicine_session(dual_couple, dual)
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False):
        check = held_at_hold_level(session, dual)
        with pytest.raises(ValidationError, match="separation of duties"):
            predose_override(by=dual, check=check, reason="Home readings are lower")
    check.refresh_from_db()
    assert check.override_by is None
    assert not AuditEvent.objects.filter(action=AuditAction.DUAL_ROLE_ACT).exists()


def test_the_clinic_setting_allows_the_dual_role_override_and_the_audit_flags_it(dual, dual_couple, clinic_admin):
    clinic_settings_update(by=clinic_admin, values={"allow_dual_role_acts": True})
    sign(dual_couple, dual)
    session = medicine_session(dual_couple, dual)
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False):
        check = predose_override(by=dual, check=held_at_hold_level(session, dual), reason="Home readings are lower")
    assert PreDoseCheck.objects.get(pk=check.pk).override_by == dual
    flag = AuditEvent.objects.get(action=AuditAction.DUAL_ROLE_ACT)
    assert (flag.actor, flag.couple_id, flag.object_id) == (dual, dual_couple.pk, str(check.pk))


def test_the_dual_role_prescriber_overrides_unflagged_when_another_therapist_runs_the_session(dual, therapist):
    couple = ready_couple(CoupleFactory(therapists=[therapist], prescriber=dual), dual)
    sign(couple, dual)
    session = medicine_session(couple, therapist)
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False):
        check = predose_override(by=dual, check=held_at_hold_level(session, therapist), reason="Known white-coat")
    assert check.override_by == dual
    assert not AuditEvent.objects.filter(action=AuditAction.DUAL_ROLE_ACT).exists()


def test_a_crafted_override_post_by_the_dual_role_user_is_a_403_that_says_why(client_for, dual, dual_couple):
    sign(dual_couple, dual)
    session = medicine_session(dual_couple, dual)
    partner = dual_couple.partners.get(label="A")
    url = reverse("dosing:predose_override", kwargs={"session_uuid": session.uuid, "partner_uuid": partner.uuid})
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False):
        held_at_hold_level(session, dual)
        response = client_for(dual).post(url, {f"override-{partner.label}-reason": "Home readings are lower"})
    assert response.status_code == 403
    assert "separation of duties" in response.content.decode()
    assert PreDoseCheck.objects.get(session=session).override_by is None


def test_a_covering_prescriber_overrides_within_the_period_and_another_prescriber_cannot(
    therapist, prescriber, other_prescriber, couple, clinic_admin
):
    ready_couple(couple, prescriber)
    sign(couple, prescriber)
    session = medicine_session(couple, therapist)
    third = UserFactory(username="quinn", is_prescriber=True, password=PASSWORD)
    covering_prescriber_assign(
        by=clinic_admin,
        couple=couple,
        prescriber=other_prescriber,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + datetime.timedelta(days=3),
        reason="Leave",
    )
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False):
        check = held_at_hold_level(session, therapist)
        with pytest.raises(ValidationError, match="Only this couple's own prescriber"):
            predose_override(by=third, check=check, reason="x")
        assert predose_override(by=other_prescriber, check=check, reason="Covering").override_by == other_prescriber


# -- the bedside record, requests and the stock log --------------------------------------------------------


def test_the_bedside_record_is_kept_by_the_care_team_only(therapist, prescriber, other_therapist, clinic_admin, couple):
    ready_couple(couple, prescriber)
    sign(couple, prescriber)
    session = medicine_session(couple, therapist)
    partner = couple.partners.get(label="A")
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False):
        for outsider in (other_therapist, clinic_admin):
            with pytest.raises(ValidationError, match="Only the couple's care team"):
                vitals_record(
                    by=outsider,
                    session=session,
                    partner=partner,
                    at=timezone.now(),
                    systolic=120,
                    diastolic=80,
                    heart_rate=70,
                )
        vitals_record(
            by=prescriber,
            session=session,
            partner=partner,
            at=timezone.now(),
            systolic=120,
            diastolic=80,
            heart_rate=70,
        )
        deactivate(therapist)
        with pytest.raises(ValidationError, match="deactivated"):
            vitals_record(
                by=therapist,
                session=session,
                partner=partner,
                at=timezone.now(),
                systolic=120,
                diastolic=80,
                heart_rate=70,
            )
    assert VitalReading.objects.get().recorded_by == prescriber


def test_a_therapist_outside_the_care_team_or_deactivated_cannot_request_or_withdraw(
    therapist, other_therapist, prescriber, couple
):
    ready_couple(couple, prescriber)
    with pytest.raises(ValidationError, match="Only a therapist of this couple"):
        request_for(couple, other_therapist)
    request = request_for(couple, therapist)
    with pytest.raises(ValidationError, match="Only a therapist of this couple"):
        dosing_request_withdraw(by=other_therapist, request=request)
    deactivate(therapist)
    with pytest.raises(ValidationError, match="deactivated"):
        dosing_request_withdraw(by=therapist, request=request)
    assert DosingRequest.objects.get().status == RequestStatus.PENDING


def test_a_deactivated_prescriber_cannot_sign(prescriber, couple):
    ready_couple(couple, prescriber)
    deactivate(prescriber)
    with pytest.raises(ValidationError, match="deactivated"):
        sign(couple, prescriber)
    assert not Approval.objects.exists()


def test_the_stock_log_refuses_a_therapist_and_a_deactivated_prescriber(therapist, prescriber):
    def receive(by):
        return stock_receive(
            by=by,
            lot_number="L-9",
            product="Ketamine",
            amount_mg=Decimal("500"),
            expires_on=timezone.localdate() + datetime.timedelta(days=90),
        )

    with pytest.raises(ValidationError, match="Only a prescriber or a clinic admin keeps"):
        receive(therapist)
    deactivate(prescriber)
    with pytest.raises(ValidationError, match="deactivated"):
        receive(prescriber)
