"""Clinic admins search the audit trail, export it as CSV, and each couple's page shows its history."""

import csv
import datetime
import io

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from audit.choices import AuditAction
from audit.models import AuditEvent
from audit.services import audit_record
from pages import selectors as pages

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(therapist, prescriber, couple, other_couple):
    audit_record(action=AuditAction.READ, actor=therapist, couple=couple, summary="read one")
    audit_record(action=AuditAction.READ, actor=prescriber, couple=other_couple, summary="read two")
    audit_record(action=AuditAction.LOGIN_FAILED, actor=None, actor_username='=HYPERLINK("x")', summary="refused")


def listed(client, **filters):
    return client.get(reverse("audit:event_list"), filters).content.decode()


def test_only_clinic_admins_see_the_trail(client_for, therapist, prescriber):
    assert client_for(therapist).get(reverse("audit:event_list")).status_code == 403
    assert client_for(prescriber).get(reverse("audit:event_export")).status_code == 403


def test_search_by_user_action_couple_and_dates(client_for, clinic_admin, couple, trail):
    client = client_for(clinic_admin)
    assert "read one" in listed(client, username="TARA") and "read two" not in listed(client, username="tara")
    assert "refused" in listed(client, action="login_failed") and "read one" not in listed(
        client, action="login_failed"
    )
    html = listed(client, case_number=couple.case_number)
    assert "read one" in html and "read two" not in html
    today = datetime.date.today()
    assert "read one" in listed(client, date_from=today.isoformat(), date_to=today.isoformat())
    assert "No events match" in listed(client, date_to=(today - datetime.timedelta(days=1)).isoformat())


def test_the_export_streams_csv_with_formulas_defused_and_is_itself_recorded(client_for, clinic_admin, couple, trail):
    response = client_for(clinic_admin).get(
        reverse("audit:event_export"), {"case_number": couple.case_number, "action": "read"}
    )
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["at", "actor_username", "action"]
    assert [row[6] for row in rows[1:]] == ["read one"]
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, actor=clinic_admin).exists()

    everything = client_for(clinic_admin).get(reverse("audit:event_export"))
    text = b"".join(everything.streaming_content).decode()
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


def test_the_couple_page_shows_that_couples_history_only(therapist, couple, other_couple, trail):
    page = pages.couple_page(user=therapist, couple=couple)
    html = render_to_string(
        "audit/partials/couple_audit.html",
        {"couple": couple, "events": page.audit_events, "limit": page.audit_limit, "can_search": page.can_search_audit},
    )
    assert "read one" in html and "read two" not in html
    assert "Full audit trail" not in html  # the search is for clinic admins
