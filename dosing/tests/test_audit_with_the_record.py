"""Issue 18.6: a bedside record and its audit row stand or fall together. With the audit table refusing every
insert (a real trigger in the database, as a dropped connection between the two statements would leave it), the
plan, the pre-dose checks, a vitals reading and a side effect are not saved either: nothing clinical is kept
without the row that says who kept it."""

import datetime

import pytest
import time_machine
from django.db import DatabaseError, connection
from django.utils import timezone

from dosing.choices import Setting, Severity, SideEffectKind
from dosing.models import MedicineSessionPlan, PreDoseCheck, SideEffect, VitalReading
from dosing.record import medicine_plan_save, predose_record, side_effect_record, vitals_record
from dosing.tests.factories import predose_values
from dosing.tests.test_medicine_session import begin, book_medicine, prepared, scheduled  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

REFUSE_AUDIT = {
    "postgresql": [
        "CREATE FUNCTION audit_refused() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit insert failed (test)'; END $$",
        "CREATE TRIGGER audit_refused BEFORE INSERT ON audit_auditevent FOR EACH ROW EXECUTE FUNCTION audit_refused()",
    ],
    "sqlite": [
        "CREATE TRIGGER audit_refused BEFORE INSERT ON audit_auditevent "
        "BEGIN SELECT RAISE(ABORT, 'audit insert failed (test)'); END"
    ],
}


@pytest.fixture
def audit_refused():
    def refuse():
        with connection.cursor() as cursor:
            for statement in REFUSE_AUDIT[connection.vendor]:
                cursor.execute(statement)

    return refuse


@pytest.fixture
def in_progress(scheduled):
    session = scheduled["session"]
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False):
        begin(session)
        yield {**scheduled, "partner": scheduled["couple"].partners.get(label="A")}


def test_the_plan_is_not_kept_without_its_audit_row(scheduled, audit_refused):
    session = scheduled["session"]
    audit_refused()
    with pytest.raises(DatabaseError):
        medicine_plan_save(by=session.therapist, session=session, setting=Setting.OFFICE)
    assert not MedicineSessionPlan.objects.filter(session=session).exists()


def test_the_pre_dose_checks_are_not_kept_without_their_audit_row(in_progress, audit_refused):
    session, partner = in_progress["session"], in_progress["partner"]
    audit_refused()
    with pytest.raises(DatabaseError):
        predose_record(by=session.therapist, session=session, partner=partner, values=predose_values())
    assert not PreDoseCheck.objects.filter(session=session).exists()


def test_a_reading_and_a_side_effect_are_not_kept_without_their_audit_rows(in_progress, audit_refused):
    session, partner = in_progress["session"], in_progress["partner"]
    audit_refused()
    with pytest.raises(DatabaseError):
        vitals_record(
            by=session.therapist,
            session=session,
            partner=partner,
            at=timezone.now(),
            systolic=124,
            diastolic=80,
            heart_rate=72,
        )
    with pytest.raises(DatabaseError):
        side_effect_record(
            by=session.therapist,
            session=session,
            partner=partner,
            at=timezone.now(),
            kind=SideEffectKind.NAUSEA,
            severity=Severity.MILD,
        )
    assert not VitalReading.objects.filter(session=session).exists()
    assert not SideEffect.objects.filter(session=session).exists()
