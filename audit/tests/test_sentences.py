"""The audit trail reads as sentences: who did what to which record of which couple, when, in the clinic's words;
the page and the CSV export say the same, and the search finds a person by name and a couple by a partner's last
name."""

import csv
import datetime
import io

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from audit.choices import AuditAction
from audit.models import AuditEvent
from audit.sentences import audit_sentence
from audit.services import audit_record
from sessions import services as session_services
from sessions.choices import Phase
from sessions.tests.helpers import held

pytestmark = pytest.mark.django_db

PREP_NOTE = {
    "intentions_a": "To feel safe",
    "intentions_b": "To listen",
    "psychoeducation": "Set and setting",
    "safety_word": "Pineapple",
}
SIGNED_AT = datetime.datetime(2030, 3, 4, 14, 2, tzinfo=datetime.UTC)


@pytest.fixture
def park(couple):
    """The couple with partners named Park and Lee."""
    a, b = couple.partners.order_by("label")
    a.last_name, b.last_name = "Park", "Lee"
    a.save(update_fields=["last_name"])
    b.save(update_fields=["last_name"])
    return couple


@pytest.fixture
def signed(client_for, therapist, park):
    """Tara Therapist signs a preparation note through the page."""
    session = held(park, therapist, Phase.PREPARATION, SIGNED_AT - datetime.timedelta(days=1))
    session_services.note_save_draft(by=therapist, session=session, content=PREP_NOTE)
    with time_machine.travel(SIGNED_AT, tick=False):
        response = client_for(therapist).post(reverse("sessions:note_sign", kwargs={"session_uuid": session.uuid}))
    assert response.status_code == 302
    return session


def page(client, **filters) -> str:
    response = client.get(reverse("audit:event_list"), filters)
    assert response.status_code == 200
    return response.content.decode()


def expected_moment() -> str:
    return timezone.localtime(SIGNED_AT).strftime("%-d %b %Y, %H:%M")


def test_signing_a_note_reads_as_a_sentence_on_the_page(client_for, clinic_admin, park, signed):
    html = page(client_for(clinic_admin))
    assert (
        f"Tara Therapist signed the session note for the Lee &amp; Park couple ({park.case_number}), "
        f"{expected_moment()}." in html
    )


def test_the_export_carries_the_same_sentence(client_for, clinic_admin, park, signed):
    response = client_for(clinic_admin).get(reverse("audit:event_export"), {"username": "Tara Therapist"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert f"Tara Therapist signed the session note for the Lee & Park couple ({park.case_number}), " in " ".join(
        row["sentence"] for row in rows
    )
    assert {row["actor_username"] for row in rows} == {"tara"}


def test_a_person_is_found_by_name_and_a_couple_by_a_partners_last_name(
    client_for, clinic_admin, prescriber, park, other_couple, signed
):
    audit_record(action=AuditAction.READ, actor=prescriber, couple=other_couple, summary="cases:couple_detail viewed")
    client = client_for(clinic_admin)
    for person in ("tara", "Tara", "therapist", "Tara Therapist"):
        html = page(client, username=person)
        assert "Tara Therapist signed the session note" in html, person
        assert "opened the case page" not in html, person
    by_couple = page(client, case_number="park")
    assert "signed the session note" in by_couple
    assert "opened the case page" not in by_couple
    assert "opened the case page" in page(client, case_number=other_couple.case_number)


def test_reads_refusals_and_sign_ins_are_worded_too(therapist, other_therapist, park):
    def sentence(**kwargs) -> str:
        return audit_sentence(AuditEvent.objects.get(pk=audit_record(**kwargs).pk))

    read = sentence(action=AuditAction.READ, actor=therapist, couple=park, summary="dosing:medicine_record viewed")
    assert read.startswith("Tara Therapist opened the medicine session record for the Lee & Park couple")
    refused = sentence(
        action=AuditAction.PERMISSION_DENIED,
        actor=other_therapist,
        couple=park,
        summary="cases:couple_detail refused (404)",
    )
    assert refused.startswith("Omar Other was refused the case page (not in their caseload) for the Lee & Park")
    assert sentence(action=AuditAction.LOGIN, actor=therapist, summary="signed in").startswith(
        "Tara Therapist signed in, "
    )
    failed = sentence(action=AuditAction.LOGIN_FAILED, actor_username="mallory", summary="sign-in refused")
    assert failed.startswith("Someone signing in as \u201cmallory\u201d failed to sign in, ")
    system = sentence(action=AuditAction.RECORDS_VERIFIED, summary="records.verificationrun 1: 3 checked")
    assert system.startswith("The system verified the signed records, ")
