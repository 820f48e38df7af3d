"""/healthz and /readyz: public, PHI-free, answered before sessions, the HTTPS redirect and the host check."""

import datetime

import pytest
import time_machine
from django.urls import resolve, reverse
from django.utils import timezone

from ops import services
from ops.models import WorkerHeartbeat
from ops.tasks import heartbeat
from ops.urls import PUBLIC_VIEWS


def _all_queues_alive():
    for queue in ("reminders", "documents", "exports"):
        services.heartbeat_record(queue=queue, worker="test:1")


def test_healthz_answers_anyone_without_making_a_session(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies


def test_health_checks_answer_a_probe_over_plain_http_by_address(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["kap.clinic.example"]
    assert client.get("/healthz", HTTP_HOST="10.0.0.5:8000").status_code == 200
    # Everything else still goes through the redirect and the host check.
    assert client.get("/accounts/login/", HTTP_HOST="kap.clinic.example").status_code == 301
    assert client.get("/accounts/login/", HTTP_HOST="10.0.0.5:8000", secure=True).status_code == 400


@pytest.mark.django_db
def test_readyz_is_ready_when_the_database_answers_and_every_queue_has_a_live_worker(client, settings):
    settings.REDIS_URL = None
    _all_queues_alive()
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "worker:reminders", "worker:documents", "worker:exports", "outbox"}


@pytest.mark.django_db
def test_readyz_names_the_queue_whose_worker_is_missing(client, settings):
    settings.REDIS_URL = None
    services.heartbeat_record(queue="reminders", worker="test:1")
    services.heartbeat_record(queue="documents", worker="test:1")
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["worker:exports"] == {"ok": False, "age_s": None}
    assert checks["worker:reminders"]["ok"] and checks["database"]["ok"]


@pytest.mark.django_db
def test_readyz_fails_once_a_heartbeat_is_older_than_three_intervals(client, settings):
    settings.REDIS_URL = None
    settings.OPS_HEARTBEAT_SECONDS = 30
    _all_queues_alive()
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=30 * 3 + 10)):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert not response.json()["checks"]["worker:reminders"]["ok"]


@pytest.mark.django_db
def test_readyz_reports_redis_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    _all_queues_alive()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"]["ok"] is False


@pytest.mark.django_db
def test_readyz_and_the_admin_home_show_work_no_worker_delivered(client, client_for, clinic_admin, settings):
    from outbox.models import OutboxKind, OutboxMessage

    settings.REDIS_URL = None
    _all_queues_alive()
    OutboxMessage.objects.create(kind=OutboxKind.SESSION_CHANGED, object_id=1)
    assert client.get("/readyz").status_code == 200  # just written: on its way
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=2 * settings.JOBS_SWEEP_SECONDS + 11)):
        _all_queues_alive()
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"]["outbox"] == {"ok": False, "waiting": 1, "given_up": 0}
        html = client_for(clinic_admin).get(reverse("accounts:admin_home")).content.decode()
    assert "Background work is behind: 1 item" in html


@pytest.mark.django_db
def test_readyz_holds_only_booleans_and_timings(client, settings):
    settings.REDIS_URL = None
    _all_queues_alive()
    body = client.get("/readyz").json()
    assert set(body) == {"status", "checks"}
    for check in body["checks"].values():
        assert set(check) <= {"ok", "ms", "age_s", "waiting", "given_up"}
        assert all(isinstance(v, (bool, int, float)) or v is None for v in check.values())


@pytest.mark.django_db
def test_heartbeat_task_records_the_queue_it_came_from():
    heartbeat.apply(args=("reminders",))
    row = WorkerHeartbeat.objects.get(queue="reminders")
    assert timezone.now() - row.beat_at < datetime.timedelta(seconds=5)
    heartbeat.apply(args=("reminders",))
    assert WorkerHeartbeat.objects.count() == 1  # overwritten, not piled up


def test_health_views_are_declared_public():
    for name in PUBLIC_VIEWS:
        assert getattr(resolve(reverse(name)).func, "public", False) is True
