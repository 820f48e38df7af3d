"""Every couple-scoped page is a 404 outside the user's caseload, whatever URL is typed."""

import uuid

import pytest
from django.urls import reverse

from cases.models import Couple, Partner
from dosing.choices import Approach
from dosing.requests import dosing_request_create
from dosing.tests.factories import ready_couple, sign
from tests.urlwalk import couple_scoped_routes, fill_route

pytestmark = pytest.mark.django_db


def url_for(name, couple, **objects):
    """The route for this couple; object ids it also needs come from `objects`, or a random UUID (the couple is
    checked first, so for a stranger's couple any id gives the same answer)."""
    values = {
        "partner_uuid": couple.partners.first().uuid,
        "instrument": "PHQ9",
        "approval_uuid": uuid.uuid4(),
        "request_uuid": uuid.uuid4(),
    }
    values.update(objects)
    return fill_route(name, couple_uuid=couple.uuid, **values)


@pytest.fixture
def couple_objects(couple, therapist, prescriber):
    """A signed approval and a pending request of the couple, so every couple URL points at something real."""
    ready_couple(couple, prescriber)
    approval = sign(couple, prescriber)
    request = dosing_request_create(
        by=therapist, couple=couple, approach=Approach.DUAL_PSYCHEDELIC, rationale="Deeper introspection"
    )
    return {"approval_uuid": approval.uuid, "request_uuid": request.uuid}


def test_there_are_couple_scoped_routes_to_walk():
    assert {"cases:couple_detail", "cases:couple_edit", "cases:questionnaire_new", "cases:screening_decide"} <= set(
        couple_scoped_routes()
    )


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
def test_the_assigned_team_and_the_admin_reach_every_couple_page(
    client_for, therapist, prescriber, clinic_admin, couple, couple_objects, name
):
    """Never a 404 for the couple's own team: a page may still be refused by role (403) or by method (405)."""
    for user in (therapist, prescriber, clinic_admin):
        response = client_for(user).get(url_for(name, couple, **couple_objects))
        assert response.status_code in (200, 403, 405), (user, response.status_code)
        if response.status_code == 405:
            assert response["Allow"] == "POST"


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
