"""Production hardening: check --deploy is clean, a strict CSP with nothing inline, PHI pages not
cached, and no PHI in logs or error reports."""

import logging
import os
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.test import RequestFactory
from django.urls import reverse
from django.views.debug import ExceptionReporter

from audit.redaction import DropQueryStringsFilter, PHISafeExceptionReporter

BASE_DIR = Path(__file__).resolve().parents[2]


def test_production_settings_pass_check_deploy(tmp_path):
    env = {
        **os.environ,
        "KAPCOUPLES_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "TOTP_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "ALLOWED_HOSTS": "clinic.example",
        "EMAIL_HOST": "smtp.clinic.example",
        "ADMINS": "Clinic IT <it@clinic.example>",
        "KAPCOUPLES_VAR_DIR": str(tmp_path),
        "CLINIC_TIME_ZONE": "America/New_York",  # production must name it (clinic.E001)
        "SMS_REMINDERS": "0",  # no SMS provider here; tests/ops/test_settings.py checks the SMS setup
    }
    for leftover in (
        "DEBUG",
        "SMS_BACKEND",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    ):  # the browser tests set the latter in-process
        env.pop(leftover, None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


class _InlineFinder(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, style elements and attributes, handlers."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not attributes.get("src") and attributes.get("type") != "application/json":
            self.problems.append(f"inline <script> at line {self.getpos()[0]}")
        if tag == "style":
            self.problems.append(f"<style> at line {self.getpos()[0]}")
        for name in attributes:
            if name == "style" or name.startswith("on"):
                self.problems.append(f'<{tag} {name}="..."> at line {self.getpos()[0]}')
        if any(str(value).strip().lower().startswith("javascript:") for value in attributes.values() if value):
            self.problems.append(f"javascript: URL in <{tag}> at line {self.getpos()[0]}")


def inline_problems(html: str) -> list[str]:
    finder = _InlineFinder()
    finder.feed(html)
    return finder.problems


@pytest.mark.django_db
def test_pages_carry_a_strict_csp_and_nothing_inline(client, client_for, clinic_admin, therapist, couple):
    pages = {"login": client.get(reverse("accounts:login"))}
    client_for(therapist)
    pages.update(
        {
            "therapist home": client.get(reverse("accounts:therapist_home")),
            "couple list": client.get(reverse("cases:couple_list")),
            "couple page": client.get(reverse("cases:couple_detail", kwargs={"couple_uuid": couple.uuid})),
            "security": client.get(reverse("accounts:security")),
            "enrol": client.get(reverse("accounts:two_factor_enrol")),
        }
    )
    client_for(clinic_admin)
    pages.update(
        {
            "admin home": client.get(reverse("accounts:admin_home")),
            "audit trail": client.get(reverse("audit:event_list")),
        }
    )
    for name, response in pages.items():
        assert response.status_code == 200, name
        policy = response["Content-Security-Policy"]
        for directive in (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ):
            assert directive in policy, (name, directive)
        assert "unsafe-inline" not in policy
        assert inline_problems(response.content.decode()) == [], name


@pytest.mark.django_db
def test_pages_for_signed_in_users_are_not_stored(client_for, therapist, couple):
    client = client_for(therapist)
    for url in (reverse("cases:couple_detail", kwargs={"couple_uuid": couple.uuid}), reverse("cases:couple_list")):
        response = client.get(url)
        assert response["Cache-Control"] == "no-store"
        assert response["Pragma"] == "no-cache"


@pytest.mark.django_db
def test_the_audit_export_is_not_stored(client_for, clinic_admin):
    response = client_for(clinic_admin).get(reverse("audit:event_export"))
    assert response["Cache-Control"] == "no-store"


def test_logged_request_lines_lose_their_query_strings():
    record = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" %s %s', ("GET /couples/?q=Smith HTTP/1.1", "200", "512"), None
    )
    DropQueryStringsFilter().filter(record)
    assert "Smith" not in record.getMessage()
    assert "/couples/?[query removed]" in record.getMessage()


def test_error_reports_hide_what_the_user_sent_and_the_variables(settings):
    name = "".join(["Zeb", "ulon"])  # built, so the report's source excerpts do not contain it
    request = RequestFactory().post(f"/couples/new/?q={name}", {"partner_a-last_name": name})
    request.user = None
    try:
        partner_name = name  # noqa: F841 - a local variable the traceback would show
        raise ValueError("boom")
    except ValueError:
        exc_info = sys.exc_info()
    reporter_class = PHISafeExceptionReporter
    assert settings.DEFAULT_EXCEPTION_REPORTER == "audit.redaction.PHISafeExceptionReporter"
    report = reporter_class(request, *exc_info)
    assert name not in report.get_traceback_text()
    assert name not in report.get_traceback_html()
    assert isinstance(report, ExceptionReporter)
