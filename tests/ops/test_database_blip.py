"""Issue 18.3: PostgreSQL drops the app's connection (a restart, a failover, `pg_terminate_backend`) or does not
answer at all. A page read is served on a fresh connection; a write is a 503 page that says nothing was saved,
and nothing is half-saved; a database that stays down is a 503 with Retry-After, never a 500. PostgreSQL only
(the connections are PostgreSQL backends); required in CI."""

import psycopg2
import pytest
from django.db import connection
from django.urls import reverse

from cases.choices import CoupleStatus
from cases.models import CaseEvent, Couple
from ops.outage import connections_reset

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client_for(client_for):
    """The test client answers as the server would (the 503 page), instead of raising the view's exception."""

    def signed_in(user):
        client = client_for(user)
        client.raise_request_exception = False
        return client

    return signed_in


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        from tests.browser import require_or_skip

        require_or_skip("PostgreSQL", "the test cuts a PostgreSQL backend; set DATABASE_URL=postgres://...")


def cut_the_apps_connection() -> None:
    """What a PostgreSQL restart does to the app: its backend is terminated from another connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    params = connection.get_connection_params()
    other = psycopg2.connect(
        dbname=params.get("dbname") or params.get("database"),
        user=params.get("user"),
        host=params.get("host"),
        port=params.get("port"),
        password=params.get("password"),
    )
    try:
        other.autocommit = True
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            assert cursor.fetchone()[0] is True
    finally:
        other.close()


@pytest.fixture
def without_health_checks():
    """The connection is not checked before reuse, so the cut surfaces in the middle of the request (the case
    CONN_HEALTH_CHECKS cannot cover: a drop after the check)."""
    before = connection.settings_dict["CONN_HEALTH_CHECKS"]
    connection.settings_dict["CONN_HEALTH_CHECKS"] = False
    connection.health_check_enabled = False  # set from the settings when the connection opened
    yield
    connection.settings_dict["CONN_HEALTH_CHECKS"] = before
    connection.health_check_enabled = before


@pytest.mark.parametrize("health_checks", [True, False], ids=["health-checked", "dropped-mid-request"])
def test_a_page_read_after_the_connection_was_cut_is_served(request, client_for, therapist, couple, health_checks):
    if not health_checks:
        request.getfixturevalue("without_health_checks")
    client = client_for(therapist)
    url = reverse("cases:couple_detail", kwargs={"couple_uuid": couple.uuid})
    assert client.get(url).status_code == 200
    for _ in range(3):  # a restart under several requests in a row
        cut_the_apps_connection()
        response = client.get(url)
        assert response.status_code == 200
        assert couple.case_number in response.content.decode()


def test_a_write_when_the_connection_was_cut_is_a_503_that_says_nothing_was_saved(
    client_for, therapist, couple, without_health_checks
):
    client = client_for(therapist)
    url = reverse("cases:couple_transition", kwargs={"couple_uuid": couple.uuid})
    events = CaseEvent.objects.count()
    cut_the_apps_connection()
    response = client.post(url, {"to_status": CoupleStatus.SCREENING, "note": "Screening booked"})
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "What you just sent was not saved." in response.content.decode()
    # The next request has a fresh connection (as the test's own reads here): nothing was half-saved, and the
    # user can send it again.
    connections_reset()
    assert Couple.objects.get(pk=couple.pk).status == CoupleStatus.REFERRED
    assert CaseEvent.objects.count() == events
    again = client.post(url, {"to_status": CoupleStatus.SCREENING, "note": "Screening booked"})
    assert again.status_code == 302
    assert Couple.objects.get(pk=couple.pk).status == CoupleStatus.SCREENING


def test_a_database_that_does_not_answer_is_a_503_page_with_retry_after(
    client_for, therapist, couple, settings, mailoutbox
):
    settings.ADMINS = [("Ada Admin", "ada@clinic.example")]
    client = client_for(therapist)
    url = reverse("cases:couple_detail", kwargs={"couple_uuid": couple.uuid})
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"  # nothing listens there: every connection attempt is refused
    try:
        response = client.get(url)
    finally:
        connection.settings_dict["PORT"] = port
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "tries again by itself" in response.content.decode()
    assert mailoutbox == []  # an outage is logged and shown on /readyz, not mailed once per request
    connection.close()
    assert client.get(url).status_code == 200
