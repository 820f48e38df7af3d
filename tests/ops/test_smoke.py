"""Smoke test of the production stack: gunicorn, both Celery workers and beat started from the Procfile with
KAPCOUPLES_ENV=production, on the real PostgreSQL (a fresh database) and Redis, e-mail to an SMTP server
(aiosmtpd) in this process. A therapist signs in over HTTP and books a session; its reminders reach the SMTP
server. She completes an earlier session and signs its note; its PDF summary is built and downloads.

Skipped on a newcomer's machine without PostgreSQL and Redis; required in CI."""

import datetime
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from scripts.procfile import ProcessGroup, read_procfile
from sessions.choices import NOTE_FIELDS, Phase, Place

from .stack import Client, ScratchDatabase, free_port, require_postgres_and_redis

pytestmark = pytest.mark.smoke
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "smoke-test-" + secrets.token_urlsafe(12)


class Inbox:
    """aiosmtpd's handler: keeps the recipients and subject of every message."""

    def __init__(self):
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    def recipients(self) -> set[str]:
        return {address for to, _ in self.messages for address in to}


def run(env: dict, *args: str) -> str:
    result = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def wait_for(condition, *, timeout: float, what: str, logs):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}.\n{logs()}")


def test_production_stack_books_reminds_and_builds_the_summary(tmp_path):
    server, redis_url = require_postgres_and_redis()
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    port = free_port()
    logs_dir = tmp_path / "logs"
    logs_dir.mkdir()
    with ScratchDatabase(server, "kapcouples_smoke") as database:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))},
            "KAPCOUPLES_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "TOTP_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "DATABASE_URL": database.url,
            "REDIS_URL": redis_url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CLINIC_TIME_ZONE": "UTC",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp.port),
            "EMAIL_USE_TLS": "0",
            "KAPCOUPLES_VAR_DIR": str(tmp_path / "var"),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{port} --workers 2",
            "JOBS_SWEEP_SECONDS": "2",
            "OPS_HEARTBEAT_SECONDS": "2",
            "SMS_REMINDERS": "0",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        run(env, "manage.py", "migrate", "--no-input", "-v0")
        run(env, "manage.py", "collectstatic", "--no-input", "-v0")
        setup = json.loads(run(env, "tests/ops/smoke_setup.py", PASSWORD).strip().splitlines()[-1])

        group = ProcessGroup(read_procfile(), env, log_dir=logs_dir, echo=False)

        def logs() -> str:
            return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in logs_dir.glob("*.log"))

        group.start()
        try:
            client = Client(port)
            wait_for(lambda: _answers(client, "/healthz"), timeout=60, what="gunicorn to answer /healthz", logs=logs)

            # Sign in as the therapist (no second factor for her role), through the login form.
            response, _ = client.post_form(
                "/accounts/login/", "/accounts/login/", {"username": "smoke-therapist", "password": PASSWORD}
            )
            assert response.status == 302, logs()
            assert "sessionid" in client.cookies

            # Book a session 1 h 55 min ahead: its 2-hour reminders are due at once (the 48-hour ones, long past,
            # are skipped), so the worker sends them right after the booking's commit.
            start = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=115)).strftime("%Y-%m-%dT%H:%M")
            response, content = client.post_form(
                "/sessions/new/",
                "/sessions/new/",
                {
                    "couple": setup["couple_id"],
                    "phase": Phase.ASSESSMENT,
                    "start": start,
                    "end": "",
                    "place": Place.TELEHEALTH,
                    "room": "",
                },
            )
            assert response.status == 302, content.decode(errors="replace")[-3000:]
            booking_request_id = response.headers["X-Request-ID"]
            wait_for(
                lambda: inbox.recipients() >= set(setup["addresses"]),
                timeout=60,
                what=f"the reminders to {setup['addresses']}",
                logs=logs,
            )
            assert all(b"Reminder" in content or b"reminder" in content for _, content in inbox.messages)

            # Complete the session that started an hour ago, write its note and sign it: a PDF summary follows.
            session = f"/sessions/{setup['past_session_uuid']}"
            response, _ = client.post_form(f"{session}/complete/", f"{session}/", {})
            assert response.status == 302
            note = {field.key: f"Smoke test {field.label.lower()}." for field in NOTE_FIELDS[Phase.ASSESSMENT]}
            response, content = client.post_form(f"{session}/note/", f"{session}/note/", note)
            assert response.status == 302, content.decode(errors="replace")[-3000:]
            response, _ = client.post_form(f"{session}/note/sign/", f"{session}/", {})
            assert response.status == 302

            def summary_ready():
                rows = database.query(
                    "SELECT s.uuid, s.status FROM jobs_sessionsummary s JOIN clinical_sessions_therapysession t "
                    "ON t.id = s.session_id WHERE t.uuid = %s",
                    setup["past_session_uuid"],
                )
                return next((str(uuid) for uuid, status in rows if status == "ready"), None)

            summary_uuid = wait_for(summary_ready, timeout=90, what="the PDF summary", logs=logs)
            response, content = client.get(f"/documents/summaries/{summary_uuid}/")
            assert response.status == 200 and content.startswith(b"%PDF"), logs()

            # Every queue has a live worker, so the stack reports ready.
            def ready():
                response, content = client.get("/readyz")
                return response.status == 200 and json.loads(content)

            checks = wait_for(ready, timeout=30, what="/readyz to report ready", logs=logs)["checks"]
            assert {"database", "redis", "worker:reminders", "worker:documents", "worker:exports"} <= set(checks)

            # The web log is JSON with request ids, and a search's query string (a case number here) is not in it.
            response, _ = client.get(f"/couples/?q={setup['case_number']}")
            request_id = response.headers["X-Request-ID"]
            time.sleep(0.5)
        finally:
            group.stop()
            smtp.stop()
    web_log = (logs_dir / "web.log").read_text()
    lines = [json.loads(line) for line in web_log.splitlines() if line.startswith("{")]
    search = [line for line in lines if line.get("request_id") == request_id and line.get("path") == "/couples/"]
    assert search and search[0]["status"] == 200 and isinstance(search[0]["user_id"], int), web_log[-3000:]
    assert setup["case_number"] not in web_log
    assert "smoke-therapist" not in web_log
    # The reminders task's log lines carry the id of the booking request that queued it.
    assert booking_request_id in (logs_dir / "worker-reminders.log").read_text()


def _answers(client: Client, path: str) -> bool:
    try:
        response, _ = client.get(path)
    except OSError:
        return False
    return response.status == 200
