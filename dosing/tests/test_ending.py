"""How a medicine session ends: once a dose is given only by completion, whatever writes the row (the admin site,
a task or the shell through the ORM, raw SQL); and the next medicine session counts its interval from it."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from dosing.lifecycle import medicine_session_start
from dosing.tests.test_lifecycle import _dose
from dosing.tests.test_medicine_session import book_medicine, local, prepared, scheduled  # noqa: F401 (fixture)
from sessions import services as session_services
from sessions.choices import Phase, Place, SessionStatus
from sessions.models import TherapySession
from sessions.tests.helpers import held

pytestmark = pytest.mark.django_db


@pytest.fixture
def dosed(therapist, scheduled):
    session, stock = scheduled["session"], scheduled["lot"]
    partner = scheduled["couple"].partners.get(label="A")
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False):
        medicine_session_start(by=therapist, session=session)
        _dose(session, therapist, partner, stock)
    return session


@pytest.mark.parametrize("status", [SessionStatus.CANCELLED, SessionStatus.NO_SHOW])
def test_the_database_refuses_to_cancel_a_dosed_session_from_the_orm_and_sql(dosed, status):
    refusal = "once a dose is given the medicine session can only end completed"
    with pytest.raises(IntegrityError, match=refusal), transaction.atomic():
        TherapySession.objects.filter(pk=dosed.pk).update(status=status)
    with pytest.raises(IntegrityError, match=refusal), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE clinical_sessions_therapysession SET status = %s WHERE id = %s", [status, dosed.pk])
    assert TherapySession.objects.get(pk=dosed.pk).status == SessionStatus.SCHEDULED


def test_the_admin_site_cannot_cancel_a_dosed_session(client_for, clinic_admin, dosed):
    response = client_for(clinic_admin).post(
        reverse("admin:clinical_sessions_therapysession_change", args=[dosed.pk]),
        {"status": SessionStatus.CANCELLED, "status_change_note": "crafted"},
    )
    assert response.status_code == 403
    assert TherapySession.objects.get(pk=dosed.pk).status == SessionStatus.SCHEDULED


def test_a_task_run_cancel_meets_the_same_rule(dosed, therapist):
    """A worker calls the same service (tasks take ids and call services): the refusal names the rule."""
    session = TherapySession.objects.get(pk=dosed.pk)
    with (
        time_machine.travel(dosed.start + datetime.timedelta(minutes=30), tick=False),
        pytest.raises(ValidationError, match="A dose was given: this session can only end completed"),
    ):
        session_services.session_mark_no_show(by=therapist, session=session, note="left early")


def test_an_undosed_session_can_still_be_cancelled_in_the_database(scheduled):
    session = scheduled["session"]
    TherapySession.objects.filter(pk=session.pk).update(status=SessionStatus.CANCELLED)
    assert TherapySession.objects.get(pk=session.pk).status == SessionStatus.CANCELLED


def test_the_next_medicine_session_counts_the_interval_from_the_dosed_one(therapist, couple, dosed):
    """The dosed session, still in progress, spaces the next one (it can no longer leave the plan: see above)."""
    held(dosed.couple, therapist, Phase.INTEGRATION, local(3))
    with pytest.raises(ValidationError) as exc:
        session_services.session_schedule(
            by=therapist,
            couple=dosed.couple,
            therapist=therapist,
            phase=Phase.MEDICINE,
            start=local(5),
            place=Place.TELEHEALTH,
        )
    assert any("must be at least 7 days after" in r for r in exc.value.message_dict["phase"])


def test_the_hourly_sweep_task_leaves_a_dosed_session_to_end_completed(dosed, prescriber):
    """The gate shuts mid-session (revocation): the beat's sweep blocks booked sessions only; the dosed one stays
    in progress, to be completed once everyone is discharged."""
    from dosing import tasks
    from dosing.approvals import approval_revoke

    approval_revoke(by=prescriber, approval=dosed.approval, reason="Abnormal ECG reported")
    with time_machine.travel(dosed.start + datetime.timedelta(minutes=20), tick=False):
        tasks.medicine_gate_sweep.apply()
    session = TherapySession.objects.get(pk=dosed.pk)
    assert (session.status, session.medicine_state, session.blocked_reason) == (
        SessionStatus.SCHEDULED,
        "in_progress",
        "",
    )
