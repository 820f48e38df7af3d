"""The admin site manages users; clinical records there are read-only, so it bypasses no rule."""

import pytest
from django.urls import reverse

from cases.choices import CoupleStatus
from cases.models import Couple, Screening

pytestmark = pytest.mark.django_db


def test_clinic_admin_views_a_couple_but_cannot_change_its_status_there(client_for, clinic_admin, couple):
    client = client_for(clinic_admin)
    url = reverse("admin:cases_couple_change", args=[couple.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"case_number": couple.case_number, "status": CoupleStatus.COMPLETED})
    assert response.status_code == 403
    assert Couple.objects.get(pk=couple.pk).status == CoupleStatus.REFERRED


def test_the_admin_cannot_clear_a_partner_or_delete_a_couple(client_for, clinic_admin, couple):
    client = client_for(clinic_admin)
    screening = couple.partners.first().screening
    response = client.post(reverse("admin:cases_screening_change", args=[screening.pk]), {"outcome": "cleared"})
    assert response.status_code == 403
    assert Screening.objects.get(pk=screening.pk).outcome == "pending"
    assert client.post(reverse("admin:cases_couple_delete", args=[couple.pk]), {"post": "yes"}).status_code == 403
    assert Couple.objects.filter(pk=couple.pk).exists()
    assert client.get(reverse("admin:cases_couple_add")).status_code == 403


def test_clinic_admin_creates_a_user_with_roles(client_for, clinic_admin):
    client = client_for(clinic_admin)
    client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newdoc",
            "email": "newdoc@clinic.example",
            "password1": "a-long-enough-pass",
            "password2": "a-long-enough-pass",
            "is_prescriber": "on",
            "usable_password": "true",
        },
    )
    from accounts.models import User

    user = User.objects.get(username="newdoc")
    assert user.is_prescriber and not user.is_staff


def test_therapists_cannot_reach_the_admin_site(client_for, therapist, couple):
    response = client_for(therapist).get(reverse("admin:cases_couple_change", args=[couple.pk]))
    assert response.status_code == 302  # to the admin login: not staff
