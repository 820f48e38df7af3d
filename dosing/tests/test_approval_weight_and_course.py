"""The approval's weight used (#17 item 6) and its medicine sessions past the course maximum (#17 item 2), tried
from the service, the page (a crafted POST) and the database."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from clinic.services import clinic_settings_get
from conftest import PASSWORD
from dosing.approvals import approval_sign, approval_verify, course_medicine_maximum
from dosing.choices import Approach
from dosing.models import Approval, ApprovalDose
from dosing.tests.factories import dose_rows, ready_couple, sign

pytestmark = pytest.mark.django_db

SCREENING_KG = Decimal("72")  # what tests.factories.clear_partner records


@pytest.fixture
def ready(couple, prescriber):
    return ready_couple(couple, prescriber)


def sign_at(couple, prescriber, weight: str, **kwargs) -> Approval:
    rows = dose_rows(couple, Approach.SOLO)
    rows[0]["weight_kg"] = Decimal(weight)
    return sign(couple, prescriber, Approach.SOLO, doses=rows, **kwargs)


def sign_confirmed(couple, prescriber, weight: str) -> Approval:
    rows = dose_rows(couple, Approach.SOLO)
    rows[0]["weight_kg"] = Decimal(weight)
    today = timezone.localdate()
    return approval_sign(
        by=prescriber,
        password=PASSWORD,
        couple=couple,
        approach=Approach.SOLO,
        valid_from=today,
        valid_until=today.replace(year=today.year + 1),
        sessions_covered=None,
        conditions="",
        doses=rows,
        weight_difference_confirmed=True,
    )


@pytest.mark.parametrize("weight", ["5", "29.9", "350.1", "700"])
def test_the_service_refuses_a_weight_outside_the_plausible_adult_range_next_to_the_weight(prescriber, ready, weight):
    with pytest.raises(ValidationError) as exc:
        sign_at(ready, prescriber, weight)
    message = exc.value.message_dict["partner_a-weight_kg"][0]
    assert "outside the plausible adult range of 30-350 kg" in message
    assert message.startswith("Partner A (")
    assert not Approval.objects.exists()


@pytest.mark.parametrize("weight", ["30", "350"])
def test_the_range_edges_are_plausible_but_far_from_screening_they_need_confirming(prescriber, ready, weight):
    with pytest.raises(ValidationError) as exc:
        sign_at(ready, prescriber, weight)
    assert "weight_difference_confirmed" in exc.value.message_dict
    assert sign_confirmed(ready, prescriber, weight).doses.get().weight_kg == Decimal(weight)


def test_a_weight_more_than_the_setting_from_screening_is_signed_only_once_confirmed(prescriber, ready):
    assert clinic_settings_get().approval_weight_difference_percent == 10
    with pytest.raises(ValidationError) as exc:
        sign_at(ready, prescriber, "79.3")  # 10.1% above 72.0
    assert exc.value.message_dict["weight_difference_confirmed"] == [
        f"Partner A ({ready.partners.get(label='A').first_name}): the weight used, 79.3 kg, differs from the "
        "screening weight of 72.0 kg by 10% (more than the clinic's 10%). Check it, and confirm the weight used "
        "to sign."
    ]
    assert not Approval.objects.exists()
    assert sign_confirmed(ready, prescriber, "79.3").doses.get().weight_kg == Decimal("79.3")


@pytest.mark.parametrize("weight", ["79.2", "64.8", "72"])  # exactly 10% above and below, and the same
def test_a_weight_within_the_setting_of_screening_signs_without_confirming(prescriber, ready, weight):
    assert sign_at(ready, prescriber, weight).doses.get().weight_kg == Decimal(weight)


def test_the_difference_is_the_clinic_setting(prescriber, ready):
    settings = clinic_settings_get()
    settings.approval_weight_difference_percent = 20
    settings.save()
    assert sign_at(ready, prescriber, "84").doses.get().weight_kg == Decimal("84")  # 16.7%


def test_the_database_refuses_an_implausible_weight_used(prescriber, ready):
    approval = sign_at(ready, prescriber, "72")
    row = dose_rows(ready, Approach.SOLO, solo_label="B")[0]
    row["weight_kg"] = Decimal("5")
    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalDose.objects.bulk_create([ApprovalDose(approval=approval, **row)])


def page_data(weight: str, **extra) -> dict:
    data = {
        "approach": "solo",
        "valid_from": timezone.localdate().isoformat(),
        "sessions_covered": 2,
        "password": PASSWORD,
        "partner_a-takes_ketamine": "on",
        "partner_a-route": "im",
        "partner_a-full_dose_mg": "100",
        "partner_a-dose_mg": "100",
        "partner_a-weight_kg": weight,
        "partner_a-max_total_mg": "120",
    }
    data.update(extra)
    return data


def test_a_crafted_post_with_an_implausible_weight_is_refused_next_to_the_weight(client_for, prescriber, ready):
    url = reverse("dosing:approval_new", kwargs={"couple_uuid": ready.uuid})
    response = client_for(prescriber).post(url, page_data("700"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "a weight of 700.0 kg is outside the plausible adult range of 30-350 kg" in html
    assert 'id="error_1_id_partner_a-weight_kg"' in html  # next to partner A's weight, not at the top
    assert not Approval.objects.exists()


def test_the_page_asks_to_confirm_a_weight_far_from_screening_and_signs_once_confirmed(client_for, prescriber, ready):
    url = reverse("dosing:approval_new", kwargs={"couple_uuid": ready.uuid})
    client = client_for(prescriber)
    response = client.post(url, page_data("90"))
    assert response.status_code == 400
    assert "differs from the screening weight of 72.0 kg by 25%" in response.content.decode()
    response = client.post(url, page_data("90", weight_difference_confirmed="on"))
    assert response.status_code == 302
    page = client.get(reverse("dosing:couple_dosing", kwargs={"couple_uuid": ready.uuid})).content.decode()
    assert "1.11 mg/kg at 90.0 kg" in page  # the dose unit with the weight used
    assert "(screening 72.0 kg)" in page  # and the signed record keeps what screening said
    dose = Approval.objects.get().doses.get()
    assert dose.screening_weight_kg == SCREENING_KG and approval_verify(dose.approval)


def test_the_screening_weight_is_part_of_what_was_signed(prescriber, ready):
    from records.testing import tamper

    approval = sign_at(ready, prescriber, "72")
    dose = approval.doses.get()
    assert dose.screening_weight_kg == SCREENING_KG and approval_verify(approval)
    tamper(
        "UPDATE dosing_approvaldose SET screening_weight_kg = 90 WHERE id = %s", [dose.pk], table="dosing_approvaldose"
    )
    assert not approval_verify(Approval.objects.get(pk=approval.pk))


def test_the_page_signs_an_approval_allowing_sessions_past_the_maximum_and_refuses_a_crafted_number(
    client_for, prescriber, ready
):
    url = reverse("dosing:approval_new", kwargs={"couple_uuid": ready.uuid})
    client = client_for(prescriber)
    response = client.post(url, page_data("72", medicine_sessions_past_maximum="99"))
    assert response.status_code == 400
    assert not Approval.objects.exists()
    response = client.post(url, page_data("72", medicine_sessions_past_maximum="2"))
    assert response.status_code == 302
    assert course_medicine_maximum(couple=ready, clinic_maximum=8) == 10
    page = client.get(reverse("dosing:couple_dosing", kwargs={"couple_uuid": ready.uuid})).content.decode()
    assert "Allows 2 medicine sessions past the course maximum." in page


def test_a_revoked_or_replaced_approval_allows_nothing_past_the_maximum(prescriber, ready):
    from dosing.approvals import approval_revoke

    approval = sign(ready, prescriber, medicine_sessions_past_maximum=3)
    assert course_medicine_maximum(couple=ready, clinic_maximum=8) == 11
    sign(ready, prescriber)
    assert course_medicine_maximum(couple=ready, clinic_maximum=8) is None
    again = sign(ready, prescriber, medicine_sessions_past_maximum=1)
    approval_revoke(by=prescriber, approval=again, reason="Stopping after the review.")
    assert course_medicine_maximum(couple=ready, clinic_maximum=8) is None
    assert approval.medicine_sessions_past_maximum == 3
