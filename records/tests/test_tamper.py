"""A superuser lifts the guard and raises an approved maximum in SQL: the gate refuses, the clinic admins are told,
the event is audited, and verify_records fails."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit.choices import AuditAction
from audit.models import AuditEvent
from dosing.choices import Approach
from dosing.gate import medicine_gate
from dosing.lifecycle import medicine_session_start
from dosing.models import Notice
from dosing.record import dose_record
from dosing.tests.factories import lot, ready_couple, sign
from records.models import VerificationRun
from records.testing import guards_lifted, tamper
from records.verify import records_verify
from sessions import services as session_services
from sessions.choices import Phase, Place
from sessions.tests.helpers import history

pytestmark = pytest.mark.django_db


def local(days: int, hour: int = 10) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def booked(settings, therapist, prescriber, couple):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the alarm's worker task runs inline
    ready_couple(couple, prescriber)
    approval = sign(couple, prescriber, Approach.DUAL_PSYCHOLYTIC)
    history(
        couple,
        therapist,
        [(Phase.ASSESSMENT, local(-20)), (Phase.PREPARATION, local(-13)), (Phase.PREPARATION, local(-6))],
    )
    session = session_services.session_schedule(
        by=therapist, couple=couple, therapist=therapist, phase=Phase.MEDICINE, start=local(2), place=Place.TELEHEALTH
    ).session
    return {"approval": approval, "session": session, "couple": couple, "lot": lot(prescriber)}


def test_verify_records_passes_on_intact_records_and_the_dashboard_says_so(booked, client_for, clinic_admin):
    call_command("verify_records")
    run = VerificationRun.objects.get()
    assert run.ok and run.checked >= 1
    assert AuditEvent.objects.filter(action=AuditAction.RECORDS_VERIFIED).exists()
    html = client_for(clinic_admin).get(reverse("accounts:admin_home")).content.decode()
    assert "all match" in html


def test_a_raised_maximum_is_refused_by_the_gate_alerted_audited_and_fails_verification(
    booked, therapist, clinic_admin, client_for
):
    approval, session, couple = booked["approval"], booked["session"], booked["couple"]
    partner = couple.partners.get(label="A")
    medicine_session_start(by=therapist, session=session, now=session.start)  # started while the gate was open
    tamper(
        "UPDATE dosing_approvaldose SET max_total_mg = 400 WHERE approval_id = %s AND partner_id = %s",
        [approval.pk, partner.pk],
        table="dosing_approvaldose",
    )

    gate, reasons = medicine_gate(couple=couple, start=session.start, session_pk=session.pk)
    assert gate is None
    assert any("no longer matches what the prescriber signed" in r for r in reasons)
    with (
        time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False),
        pytest.raises(ValidationError, match="no longer matches what the prescriber signed"),
    ):
        dose_record(
            by=therapist, session=session, partner=partner, at=timezone.now(), mg=Decimal("300"), lot=booked["lot"]
        )
    assert not session.administrations.exists()

    # Told once, however often the gate looked, and audited.
    alerts = Notice.objects.filter(recipient=clinic_admin, text__contains="no longer matches")
    assert alerts.count() == 1
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.RECORD_MISMATCH, object_type="dosing.approval", object_id=str(approval.pk)
        ).count()
        == 1
    )

    with pytest.raises(CommandError, match="1 mismatch"):
        call_command("verify_records")
    run = VerificationRun.objects.latest()
    assert not run.ok and f"Approval {approval.pk}" in run.mismatches[0]
    html = client_for(clinic_admin).get(reverse("accounts:admin_home")).content.decode()
    assert "1 do not match" in html and f"Approval {approval.pk}" in html


def test_a_disabled_guard_and_a_changed_audit_event_fail_verification(booked, therapist):
    later = time_machine.travel(timezone.now() + datetime.timedelta(hours=2), tick=False)
    later.start()  # the seal covers events more than an hour old
    first = records_verify()
    assert first.ok
    # An audit event sealed by that run is rewritten with the guard lifted.
    sealed = first.audit_last_id
    assert sealed is not None
    tamper("UPDATE audit_auditevent SET summary = 'nothing to see' WHERE id = %s", [sealed], table="audit_auditevent")
    with guards_lifted(connection, "dosing_approval"):
        run = records_verify()
    assert any("audit trail up to event" in line for line in run.mismatches)
    assert any("dosing_approval" in line and "missing or disabled" in line for line in run.mismatches)
    later.stop()
