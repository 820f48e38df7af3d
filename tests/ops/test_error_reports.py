"""A 500 reaches the clinic's admins by mail through a worker (or Sentry), and the report carries no PHI."""

import json
import logging

import pytest
import sentry_sdk
from celery import current_app
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from kapcouples.env import env_addresses
from ops.error_reports import sentry_init

# What the failing page was sent or holds: none of it may appear in a report.
PHI = (
    "Imogen",
    "Quarrie",
    "imogen.quarrie@example.org",
    "suicidal ideation",
    "sessionid-value",
    "q=Quarrie",
    "203.0.113.9",
    "Tara",
)


@pytest.fixture
def failing_page(settings, client_for, therapist):
    settings.ROOT_URLCONF = "tests.ops.error_urls"
    settings.ADMINS = [("Clinic IT", "it@clinic.example")]
    client = client_for(therapist)
    client.raise_request_exception = False
    client.cookies["theme"] = "sessionid-value"

    def post():
        return client.post(
            "/fails/7/?q=Quarrie",
            {"note": "suicidal ideation", "name": "Imogen Quarrie", "email": "imogen.quarrie@example.org"},
            REMOTE_ADDR="203.0.113.9",
            HTTP_REFERER="https://kap.clinic.example/couples/?q=Quarrie",
        )

    return post


def test_a_500_is_mailed_to_the_admins_without_phi(settings, failing_page):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the worker's task, run in-process
    response = failing_page()
    assert response.status_code == 500
    assert len(mail.outbox) == 1
    report = mail.outbox[0]
    assert report.to == ["it@clinic.example"]
    assert report.subject.startswith("[KAP Couples] ERROR")
    assert "/fails/7/" in report.body and "ValueError" in report.body
    assert "in fails" in report.body  # the frame that failed
    assert [word for word in PHI if word in report.subject + report.body] == []


def test_the_request_only_queues_the_report_and_a_dead_broker_loses_nothing_but_the_mail(
    settings, failing_page, monkeypatch, caplog
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queued = []

    def broker_down(name, args=None, **options):
        queued.append((name, options))
        raise OSError("Connection refused")

    monkeypatch.setattr(current_app, "send_task", broker_down)
    with caplog.at_level(logging.WARNING, logger="ops.error_reports"):
        response = failing_page()
    assert response.status_code == 500
    assert queued == [("ops.tasks.error_report_send", {"retry": False})]
    assert mail.outbox == []  # nothing was sent from inside the request
    assert "Error report not queued: the broker is unreachable (OSError)." in caplog.text


def test_without_admins_nothing_is_queued(settings, failing_page, monkeypatch):
    settings.ADMINS = []
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queued = []
    monkeypatch.setattr(current_app, "send_task", lambda *a, **k: queued.append(a))
    assert failing_page().status_code == 500
    assert queued == []


def test_admins_are_read_strictly_from_the_environment(monkeypatch):
    monkeypatch.setenv("ADMINS", "Clinic IT <it@clinic.example>, oncall@clinic.example")
    assert env_addresses("ADMINS") == [
        ("Clinic IT", "it@clinic.example"),
        ("oncall@clinic.example", "oncall@clinic.example"),
    ]
    monkeypatch.setenv("ADMINS", "Clinic IT")
    with pytest.raises(ImproperlyConfigured, match="'Clinic IT' is not an e-mail address"):
        env_addresses("ADMINS")


def test_the_deploy_check_warns_when_nobody_hears_of_errors(settings):
    settings.ADMINS = []
    settings.SENTRY_DSN = None
    with pytest.raises(SystemCheckError, match="ops.W001"):
        call_command("check", "--deploy", "--fail-level", "WARNING", "--tag", "security")


@pytest.fixture
def sentry_events(settings):
    events = []

    class Capture(sentry_sdk.transport.Transport):
        def capture_envelope(self, envelope):
            events.extend(item.payload.json for item in envelope.items if item.type == "event")

    sentry_init(dsn="https://key@sentry.invalid/1", environment="test", transport=Capture)
    yield events
    sentry_sdk.get_client().close()
    sentry_sdk.init(dsn=None)


def test_sentry_gets_the_error_without_phi(sentry_events, failing_page):
    assert failing_page().status_code == 500
    sentry_sdk.flush()
    assert len(sentry_events) == 1
    event = sentry_events[0]
    assert event["exception"]["values"][-1]["type"] == "ValueError"
    assert event["transaction"] == "/fails/{number}/"
    text = json.dumps(event)
    assert [word for word in PHI if word in text] == []
    assert '"vars"' not in text  # no local variables at all
