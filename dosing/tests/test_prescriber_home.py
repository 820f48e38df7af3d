"""The prescriber's home: what waits for them, at a cost that does not grow with their caseload."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dosing.choices import Approach
from dosing.requests import dosing_request_create
from dosing.tests.factories import ready_couple, sign
from tests.factories import CoupleFactory

pytestmark = pytest.mark.django_db


def grow(therapist, prescriber, n):
    for _ in range(n):
        couple = ready_couple(CoupleFactory(therapists=[therapist], prescriber=prescriber), prescriber)
        sign(couple, prescriber, days=5)
        dosing_request_create(by=therapist, couple=couple, approach=Approach.DUAL_PSYCHEDELIC, rationale="Deeper work")


def test_prescriber_home_lists_requests_and_ending_approvals(client_for, therapist, prescriber):
    grow(therapist, prescriber, 2)
    html = client_for(prescriber).get(reverse("accounts:prescriber_home")).content.decode()
    assert html.count("Dual psychedelic</a>") == 2
    assert html.count("Dual psycholytic</a> ends") == 2  # approvals ending within the warning window


def test_prescriber_home_costs_the_same_with_more_couples(client_for, therapist, prescriber):
    client = client_for(prescriber)
    counts = []
    for n in (2, 6):
        grow(therapist, prescriber, n)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("accounts:prescriber_home")).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
