"""Every couple-scoped page is a 404 outside the user's caseload, whatever URL is typed."""

import pytest
from django.urls import reverse

from cases.models import Couple, Partner
from tests.urlwalk import couple_scoped_routes, fill_route

pytestmark = pytest.mark.django_db


def url_for(name, couple):
    return fill_route(name, couple_uuid=couple.uuid, partner_uuid=couple.partners.first().uuid, instrument="PHQ9")


def test_there_are_couple_scoped_routes_to_walk():
    assert {"cases:couple_detail", "cases:couple_edit", "cases:questionnaire_new",
            "cases:screening_decide"} <= set(couple_scoped_routes())


@pytest.mark.parametrize("name", couple_scoped_routes())
def test_another_therapists_couple_is_404_for_every_couple_url(client_for, therapist, couple, other_couple, name):
    client = client_for(therapist)
    # A POST-only view answers GET with 405 for every couple alike, which tells nothing.
    get_expected = 405 if client.get(url_for(name, couple)).status_code == 405 else 404
    assert client.get(url_for(name, other_couple)).status_code == get_expected
    assert client.post(url_for(name, other_couple), {"to_status": "screening"}).status_code == 404


@pytest.mark.parametrize("name", couple_scoped_routes())
def test_an_unassigned_prescriber_gets_404(client_for, other_prescriber, couple, name):
    assert client_for(other_prescriber).post(url_for(name, couple)).status_code == 404


@pytest.mark.parametrize("name", couple_scoped_routes())
def test_the_assigned_team_and_the_admin_reach_every_couple_page(client_for, therapist, prescriber, clinic_admin,
                                                                 couple, name):
    for user in (therapist, prescriber, clinic_admin):
        response = client_for(user).get(url_for(name, couple))
        post_only = response.status_code == 405 and response["Allow"] == "POST"
        assert response.status_code == 200 or post_only, user


def test_a_partner_of_another_couple_cannot_be_reached_through_my_couple(client_for, therapist, couple, other_couple):
    stranger = other_couple.partners.first()
    url = reverse("cases:screening_edit", kwargs={"couple_uuid": couple.uuid, "partner_uuid": stranger.uuid})
    assert client_for(therapist).get(url).status_code == 404


def test_the_list_shows_only_my_caseload(client_for, therapist, couple, other_couple):
    page = client_for(therapist).get(reverse("cases:couple_list")).content.decode()
    assert couple.case_number in page
    assert other_couple.case_number not in page


def test_the_admin_sees_every_couple(client_for, clinic_admin, couple, other_couple):
    page = client_for(clinic_admin).get(reverse("cases:couple_list")).content.decode()
    assert couple.case_number in page and other_couple.case_number in page


def test_signed_out_visitors_are_sent_to_sign_in(client, couple):
    response = client.get(reverse("cases:couple_detail", kwargs={"couple_uuid": couple.uuid}))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert Couple.objects.count() == 1 and Partner.objects.count() == 2
