"""Every couple- or session-scoped integration URL is a 404 outside the user's caseload; the public questionnaire
views are the only ones that answer without signing in."""

import uuid

import pytest
from django.urls import reverse

from cases.tests.test_access import url_for
from dosing.tests.factories import approval_on_file
from sessions.tests.helpers import I, at, held
from tests.urlwalk import couple_scoped_routes, fill_route, iter_patterns

pytestmark = pytest.mark.django_db

MINE = [name for name in couple_scoped_routes() if name.startswith("integration:")]
SESSION_ROUTES = sorted(
    name
    for route, name, _ in iter_patterns()
    if name and name.startswith("integration:") and "<uuid:session_uuid>" in route
)


def test_there_are_integration_routes_to_walk():
    assert {"integration:couple_integration", "integration:link_send", "integration:link_withdraw"} <= set(MINE)
    assert {"integration:commitment_add", "integration:commitment_review"} <= set(SESSION_ROUTES)


@pytest.mark.parametrize("name", MINE)
def test_another_therapists_couple_is_404(client_for, therapist, couple, other_couple, name):
    client = client_for(therapist)
    get_expected = 405 if client.get(url_for(name, couple)).status_code == 405 else 404
    assert client.get(url_for(name, other_couple)).status_code == get_expected
    assert client.post(url_for(name, other_couple), {"context": "screening", "link": uuid.uuid4()}).status_code == 404


@pytest.mark.parametrize("name", SESSION_ROUTES)
def test_another_therapists_session_is_404(
    client_for, therapist, other_therapist, other_couple, other_prescriber, name
):
    approval_on_file(other_couple, other_prescriber)
    theirs = held(other_couple, other_therapist, I, at(11, month=2))
    client = client_for(therapist)
    url = fill_route(name, session_uuid=theirs.uuid)
    assert client.post(url, {"commitment": uuid.uuid4(), "to_status": "done"}).status_code == 404
    assert client.get(url).status_code in (404, 405)


@pytest.mark.parametrize("name", MINE + SESSION_ROUTES + ["integration:clinic_outcomes"])
def test_signed_out_visitors_are_sent_to_sign_in(client, couple, name):
    url = fill_route(
        name,
        couple_uuid=couple.uuid,
        partner_uuid=couple.partners.first().uuid,
        instrument="GAD7",
        session_uuid=uuid.uuid4(),
    )
    response = client.post(url)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_the_public_pages_need_no_sign_in(client, db):
    assert client.get(reverse("integration:questionnaire_thanks")).status_code == 200
