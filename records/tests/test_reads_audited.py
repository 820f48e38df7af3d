"""Pages that list clinical data are reads like any other: each writes an audit row."""

import pytest
from django.urls import reverse

from audit.choices import AuditAction
from audit.models import AuditEvent
from dosing.choices import StockEntryKind
from dosing.models import StockEntry

pytestmark = pytest.mark.django_db


def test_the_couple_list_and_the_calendar_are_audited(client_for, therapist, couple):
    client = client_for(therapist)
    client.get(reverse("cases:couple_list"))
    client.get(reverse("sessions:calendar_week"))
    reads = AuditEvent.objects.filter(actor=therapist, action=AuditAction.READ)
    assert reads.filter(object_type="cases.couple", summary__startswith="couple list viewed").exists()
    assert reads.filter(object_type="clinical_sessions.therapysession", summary__startswith="calendar week").exists()


def test_the_stock_csv_is_audited_and_a_typed_formula_is_defused(client_for, prescriber, clinic_admin, record):
    StockEntry.objects.create(
        lot=record["lot"], kind=StockEntryKind.ADJUSTED, amount_mg=-1, by=prescriber, note='=HYPERLINK("http://evil")'
    )
    response = client_for(prescriber).get(reverse("dosing:stock_report"))
    body = b"".join(response.streaming_content).decode()
    assert "'=HYPERLINK" in body and ",-1.00," in body
    assert AuditEvent.objects.filter(
        actor=prescriber, action=AuditAction.DOWNLOAD, object_type="dosing.stockentry"
    ).exists()
