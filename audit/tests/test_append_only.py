"""The audit trail cannot be changed or deleted: not by the ORM, not in bulk, not by raw SQL."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models.deletion import ProtectedError

from audit.choices import AuditAction
from audit.models import AuditEvent, AuditTrailIsAppendOnly
from audit.services import audit_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(therapist, couple):
    return audit_record(action=AuditAction.READ, actor=therapist, couple=couple, summary="cases.Couple viewed")


def test_an_event_cannot_be_saved_again_or_deleted(event):
    event.summary = "rewritten"
    with pytest.raises(AuditTrailIsAppendOnly):
        event.save()
    with pytest.raises(AuditTrailIsAppendOnly):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).summary == "cases.Couple viewed"


@pytest.mark.parametrize(
    "attempt",
    [
        lambda qs, e: qs.update(summary="x"),
        lambda qs, e: qs.filter(pk=e.pk).update(summary="x"),
        lambda qs, e: qs.delete(),
        lambda qs, e: qs.filter(pk=e.pk).delete(),
        lambda qs, e: qs.bulk_update([e], ["summary"]),
        lambda qs, e: qs.update_or_create(pk=e.pk, defaults={"summary": "x"}),
        lambda qs, e: AuditEvent._base_manager.all().delete(),
    ],
    ids=["update all", "update one", "delete all", "delete one", "bulk_update", "update_or_create", "base manager"],
)
def test_bulk_writes_through_the_orm_are_refused(event, attempt):
    with pytest.raises(AuditTrailIsAppendOnly):
        attempt(AuditEvent.objects, event)
    assert AuditEvent.objects.filter(pk=event.pk, summary="cases.Couple viewed").exists()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET summary = 'rewritten'",
        "UPDATE audit_auditevent SET actor_id = NULL",
        "DELETE FROM audit_auditevent",
    ],
)
def test_the_database_refuses_raw_updates_and_deletes(event, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AuditEvent.objects.filter(pk=event.pk, summary="cases.Couple viewed", actor__isnull=False).exists()


def test_a_couple_with_an_audit_trail_cannot_be_deleted(couple):
    # Creating the couple was recorded; the record protects the couple it names.
    assert AuditEvent.objects.filter(couple=couple, action=AuditAction.CREATE).exists()
    with pytest.raises(ProtectedError):
        couple.delete()


def test_the_admin_site_shows_the_trail_read_only(client_for, clinic_admin, event):
    client = client_for(clinic_admin)
    assert client.get("/admin/audit/auditevent/").status_code == 200
    assert client.get(f"/admin/audit/auditevent/{event.pk}/change/").status_code == 200
    assert client.post(f"/admin/audit/auditevent/{event.pk}/change/", {"summary": "x"}).status_code == 403
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
