"""Bulk writes skip save() and the services: on insert-only records they are refused, on clinical records audited."""

import pytest
from django.urls import reverse

from audit.choices import AuditAction
from audit.models import AuditEvent
from audit.querysets import KeptRecordError
from cases.models import Couple
from dosing.models import Administration, Approval, StockEntry
from sessions.models import NoteAmendment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [Approval, Administration, StockEntry, NoteAmendment])
def test_bulk_changes_of_insert_only_records_are_refused_by_the_manager(record, model):
    with pytest.raises(KeptRecordError, match="insert-only"):
        model.objects.all().update(pk=0)
    with pytest.raises(KeptRecordError, match="insert-only"):
        model.objects.all().delete()
    with pytest.raises(KeptRecordError, match="insert-only"):
        model.objects.bulk_update(list(model.objects.all()), ["pk"])
    assert model.objects.exists()


def test_bulk_updates_of_clinical_records_are_audited(couple):
    Couple.objects.filter(pk=couple.pk).update(treatment_goals="Changed by a script")
    event = AuditEvent.objects.filter(action=AuditAction.CHANGE, object_type="cases.couple").latest("id")
    assert event.summary == "bulk change of 1 cases.couple row(s): treatment_goals"
    assert "Changed by a script" not in event.summary  # fields, never values


def test_the_admin_has_no_bulk_actions_and_audits_reading_a_note(client_for, clinic_admin, record):
    client = client_for(clinic_admin)
    listing = client.get(reverse("admin:clinical_sessions_sessionnote_changelist"))
    assert listing.status_code == 200 and "delete_selected" not in listing.content.decode()
    note = record["note"]
    assert client.get(reverse("admin:clinical_sessions_sessionnote_change", args=[note.pk])).status_code == 200
    assert AuditEvent.objects.filter(
        action=AuditAction.READ,
        actor=clinic_admin,
        object_type="clinical_sessions.sessionnote",
        object_id=str(note.pk),
        couple=record["couple"],
    ).exists()
    response = client.post(
        reverse("admin:clinical_sessions_sessionnote_changelist"),
        {"action": "delete_selected", "_selected_action": [note.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302, 403)
    assert type(note).objects.filter(pk=note.pk).exists()
