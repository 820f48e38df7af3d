"""Every main page reads the database in a pinned number of queries, the same with one couple as with many.

The therapist's home, the session page (and a medicine session's), the couple page and list, the calendar week, the
medicine record, the couple's outcomes and integration page are pinned beside their apps' tests (pages/, cases/,
sessions/, dosing/, integration/); these
are the rest: the prescriber's and the admin's homes, the clinic calendar, the ketamine log, the audit trail, the
exports list and the clinic outcomes. A change here is a change in how a page reads: look before raising one."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dosing.tests.factories import approval_on_file, lot
from sessions.choices import Phase, SessionStatus
from sessions.tests.helpers import held
from tests.factories import CoupleFactory

pytestmark = pytest.mark.django_db

# (url name, persona): queries
PINNED = {
    ("accounts:prescriber_home", "prescriber"): 9,
    ("accounts:admin_home", "clinic_admin"): 10,  # the care team by role in one query (was 11); reminders to check
    # The read is audited (one INSERT); the therapist and room filters read their choices (one query each).
    ("sessions:calendar_clinic", "clinic_admin"): 7,
    ("dosing:stock", "prescriber"): 3,
    ("audit:event_list", "clinic_admin"): 5,  # the couples' partners, for the sentences
    ("jobs:export_list", "clinic_admin"): 4,
    ("integration:clinic_outcomes", "clinic_admin"): 6,  # computed, not read from the cache
}


def grow(therapist, prescriber, n: int, start: int = 0) -> None:
    """n more couples of the therapist's and the prescriber's, each with an approval, a session held this week
    and one booked, and a lot received into the log."""
    now = timezone.now()
    for i in range(start, start + n):
        couple = CoupleFactory(therapists=[therapist], prescriber=prescriber)
        approval_on_file(couple, prescriber)
        held(couple, therapist, Phase.ASSESSMENT, now - datetime.timedelta(days=1, hours=i))
        held(
            couple,
            therapist,
            Phase.PREPARATION,
            now + datetime.timedelta(days=1, hours=i),
            status=SessionStatus.SCHEDULED,
        )
        lot(prescriber, number=f"LOT-{i}")


def count(client, url: str) -> int:
    # Counted without a cached result (the clinic outcomes keep theirs in Redis, which outlives a test run).
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize("name, persona", sorted(PINNED))
def test_a_main_page_costs_the_same_with_one_couple_and_with_many(
    request, client_for, therapist, prescriber, name, persona
):
    client = client_for(request.getfixturevalue(persona))
    url = reverse(name)
    assert count(client, reverse("accounts:security")) > 0  # process-wide caches (content types) warm up
    grow(therapist, prescriber, 1)
    small = count(client, url)
    grow(therapist, prescriber, 7, start=1)
    large = count(client, url)
    assert (small, large) == (PINNED[(name, persona)],) * 2
