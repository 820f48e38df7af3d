"""Kept rows cannot be changed or deleted, whoever asks: the ORM, a bulk QuerySet call, raw SQL or TRUNCATE.
Run on PostgreSQL (CI) and SQLite (without DATABASE_URL)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models.deletion import ProtectedError, RestrictedError

from audit.models import AuditTrailIsAppendOnly
from records.guards import GUARDS, expected_triggers, installed_triggers
from sessions.choices import NoteStatus

pytestmark = pytest.mark.django_db

# key in the record fixture, table, a column and a new value for it
KEPT = [
    ("approval", "dosing_approval", "conditions", "'raised maximum'"),
    ("dose", "dosing_approvaldose", "max_total_mg", "400"),
    ("revocation", "dosing_approvalrevocation", "reason", "'never mind'"),
    ("given", "dosing_administration", "mg", "1"),
    ("vitals", "dosing_vitalreading", "systolic", "120"),
    ("override", "dosing_holdoverride", "reason", "'no reason'"),
    ("side", "dosing_sideeffect", "severity", "'mild'"),
    ("discharge", "dosing_discharge", "released_to_name", "'Someone else'"),
    ("entry", "dosing_stockentry", "amount_mg", "1"),
    ("count", "dosing_inventorycount", "counted_mg", "1"),
    ("check", "dosing_predosecheck", "systolic", "120"),
    ("note", "clinical_sessions_sessionnote", "content", "'{}'"),
    ("amendment", "clinical_sessions_noteamendment", "text", "'rewritten'"),
    ("event", "audit_auditevent", "summary", "'rewritten'"),
    ("run", "records_verificationrun", "checked", "0"),
    ("item9", "cases_item9reviewdecision", "note", "'rewritten'"),
]
REFUSED = (DatabaseError, ValidationError, ProtectedError, RestrictedError, AuditTrailIsAppendOnly)
IDS = [table for _, table, _, _ in KEPT]


def unchanged(row) -> bool:
    fresh = type(row)._base_manager.filter(pk=row.pk).values().first()
    return fresh is not None and all(fresh[f.attname] == getattr(row, f.attname) for f in row._meta.concrete_fields)


def test_every_guard_is_installed_after_migrate():
    assert expected_triggers(connection.vendor) <= installed_triggers(connection)
    assert {g.table for g in GUARDS} == set(IDS)


def refused(attempt, match=None):
    with pytest.raises(REFUSED, match=match), transaction.atomic():
        attempt()


@pytest.mark.parametrize("key, table, column, value", KEPT, ids=IDS)
def test_a_kept_row_is_never_changed_or_deleted(record, key, table, column, value):
    row = record[key]
    model, manager = type(row), type(row)._base_manager
    field = model._meta.get_field(column)
    new = {} if column == "content" else value.strip("'")

    def raw(sql, params=()):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE waits for no deferred check
            cursor.execute(sql, params)

    rule = r"(insert|append)-only: .* never changed or deleted"
    # Raw SQL: the database itself says no, naming the rule, even for a row nothing else refers to.
    refused(lambda: raw(f"UPDATE {table} SET {column} = {value} WHERE id = %s", [row.pk]), rf"{rule}.*UPDATE refused")
    refused(lambda: raw(f"DELETE FROM {table} WHERE id = %s", [row.pk]), rf"{rule}.*DELETE refused")
    refused(lambda: raw(f"DELETE FROM {table}"), rf"{rule}.*DELETE refused")
    if connection.vendor == "postgresql":
        refused(lambda: raw(f"TRUNCATE {table} CASCADE"), rf"{rule}.*TRUNCATE refused")
    # The ORM, in bulk and one instance at a time, base manager included.
    refused(lambda: manager.filter(pk=row.pk).update(**{field.name: new}))
    refused(lambda: manager.filter(pk=row.pk).delete())
    refused(lambda: manager.all().delete())

    def save():
        fresh = manager.get(pk=row.pk)
        setattr(fresh, field.attname, new)
        fresh.save()

    refused(save)
    refused(lambda: manager.get(pk=row.pk).delete())
    assert unchanged(row)


def test_a_draft_note_is_edited_and_signed_then_locked(record, therapist):
    session = record["session"]
    record["note"].amendments.all()  # the fixture's note is signed; a second session gets a draft
    from records.tests.conftest import medicine_session_row
    from sessions.models import SessionNote

    other = medicine_session_row(record["couple"], therapist, record["approval"])
    draft = SessionNote.objects.create(session=other, content={"observations": "first"}, author=therapist)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE clinical_sessions_sessionnote SET content = %s WHERE id = %s",
            ['{"observations": "second"}', draft.pk],
        )
        cursor.execute(
            "UPDATE clinical_sessions_sessionnote SET status = %s, signed_by_id = %s, signed_at = %s WHERE id = %s",
            [NoteStatus.SIGNED, therapist.pk, session.start, draft.pk],
        )
    with pytest.raises(DatabaseError, match="signed note"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE clinical_sessions_sessionnote SET status = 'draft', signed_by_id = NULL, "
            "signed_at = NULL WHERE id = %s",
            [draft.pk],
        )
    assert SessionNote.objects.get(pk=draft.pk).content == {"observations": "second"}


def test_a_predose_check_is_rerecorded_until_overridden_or_dosed(record, therapist):
    from dosing.models import PreDoseCheck

    partner_b = record["couple"].partners.get(label="B")
    check = PreDoseCheck.objects.create(
        session=record["session"],
        partner=partner_b,
        fasting_confirmed=True,
        ride_home_arranged=True,
        no_new_contraindication=True,
        systolic=130,
        diastolic=85,
        heart_rate=70,
        spo2=98,
        recorded_by=therapist,
    )
    with connection.cursor() as cursor:
        cursor.execute("UPDATE dosing_predosecheck SET systolic = 132 WHERE id = %s", [check.pk])
    assert PreDoseCheck.objects.get(pk=check.pk).systolic == 132
    # The fixture's check of partner A was overridden and dosed against: kept.
    with pytest.raises(DatabaseError, match="pre-dose check"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE dosing_predosecheck SET override_by_id = NULL, override_reason = '' WHERE id = %s",
            [record["check"].pk],
        )
