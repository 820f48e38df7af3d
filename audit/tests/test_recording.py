"""Every kind of action leaves a row: sign-ins, failed sign-ins, sign-outs, reads of a couple's
pages, writes to clinical data and refused access."""

import pytest
from django.urls import reverse

from audit.choices import AuditAction
from audit.models import AuditEvent
from cases import services
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def events(action, **filters):
    return AuditEvent.objects.filter(action=action, **filters)


def test_a_sign_in_is_recorded_with_who_and_from_where(client, therapist):
    client.post(
        reverse("accounts:login"),
        {"username": therapist.username, "password": PASSWORD},
        REMOTE_ADDR="192.0.2.7",
        HTTP_USER_AGENT="Firefox/140",
    )
    event = events(AuditAction.LOGIN).get()
    assert event.actor == therapist and event.actor_username == "tara"
    assert event.ip_address == "192.0.2.7" and event.user_agent == "Firefox/140"


def test_a_failed_sign_in_keeps_the_username_as_typed_and_never_the_password(client, therapist):
    client.post(reverse("accounts:login"), {"username": "Tara ", "password": "hunter2-secret"})
    event = events(AuditAction.LOGIN_FAILED).get()
    assert event.actor is None and event.actor_username == "Tara"  # Django strips the field, nothing more
    assert not any("hunter2" in str(value) for value in vars(event).values())


def test_a_sign_out_is_recorded(client_for, therapist):
    client_for(therapist).post(reverse("accounts:logout"))
    assert events(AuditAction.LOGOUT, actor=therapist).exists()


def test_reading_a_couple_page_is_recorded_with_the_couple(client_for, therapist, couple):
    client_for(therapist).get(reverse("cases:couple_detail", kwargs={"couple_uuid": couple.uuid}), {"q": "x"})
    event = events(AuditAction.READ).get()
    assert event.actor == therapist and event.couple == couple
    assert event.path == f"/couples/{couple.uuid}/" and event.method == "GET"  # no query string
    assert event.summary == "cases:couple_detail viewed"


def test_a_form_page_under_a_couple_is_a_read_of_that_couple(client_for, therapist, couple):
    partner = couple.partners.get(label="A")
    client_for(therapist).get(
        reverse("cases:screening_edit", kwargs={"couple_uuid": couple.uuid, "partner_uuid": partner.uuid})
    )
    assert events(AuditAction.READ, couple=couple).count() == 1


def test_refused_access_to_another_caseload_is_recorded(client_for, therapist, other_couple):
    response = client_for(therapist).get(reverse("cases:couple_detail", kwargs={"couple_uuid": other_couple.uuid}))
    assert response.status_code == 404
    event = events(AuditAction.PERMISSION_DENIED).get()
    assert event.actor == therapist and event.couple == other_couple
    assert not events(AuditAction.READ).exists()


def test_a_refused_page_outside_couples_is_recorded(client_for, therapist):
    assert client_for(therapist).get(reverse("accounts:admin_home")).status_code == 403
    assert events(AuditAction.PERMISSION_DENIED, actor=therapist, summary__contains="admin_home").exists()


def test_creating_and_changing_clinical_data_is_recorded_without_names(client_for, therapist, couple):
    partner = couple.partners.get(label="A")
    client = client_for(therapist)
    response = client.post(
        reverse("cases:partner_edit", kwargs={"couple_uuid": couple.uuid, "partner_uuid": partner.uuid}),
        {
            "first_name": "Renamed",
            "last_name": partner.last_name,
            "date_of_birth": partner.date_of_birth.isoformat(),
            "email": partner.email,
            "phone": partner.phone,
            "reminder_channel": "email",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    change = events(AuditAction.CHANGE, object_type="cases.partner").get()
    assert change.actor == therapist and change.couple == couple and change.object_id == str(partner.pk)
    assert change.summary == f"cases.Partner {partner.pk} changed"

    services.questionnaire_record(by=therapist, partner=partner, instrument="GAD7", answers=[1] * 7)
    created = events(AuditAction.CREATE, object_type="cases.questionnaireresponse").get()
    assert created.couple == couple and created.actor is None  # outside a request: the system
    for event in AuditEvent.objects.all():
        assert partner.first_name not in event.summary and partner.last_name not in event.summary
        assert "Renamed" not in event.summary


def test_a_record_two_steps_from_the_couple_finds_it(therapist, couple):
    from tests.factories import make_screening_complete

    make_screening_complete(couple.partners.get(label="B").screening)
    findings = events(AuditAction.CREATE, object_type="cases.contraindicationfinding")
    assert findings.exists() and set(findings.values_list("couple", flat=True)) == {couple.pk}


def test_changing_the_care_team_is_recorded(couple, other_therapist):
    couple.therapists.add(other_therapist)
    assert events(AuditAction.CHANGE, couple=couple, summary__contains="therapists add").exists()


def test_a_change_of_reminder_lead_times_is_audited(client_for, clinic_admin):
    from jobs.models import ReminderLead

    lead = ReminderLead.objects.create(phase="medicine", minutes_before=24 * 60)
    lead.delete()
    actions = list(
        AuditEvent.objects.filter(object_type="jobs.reminderlead").order_by("at", "id").values_list("action", flat=True)
    )
    assert actions == ["create", "delete"]
