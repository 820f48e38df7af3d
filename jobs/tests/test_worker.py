"""Acceptance: real Celery workers (two, each with its own beat) on the real Redis and the PostgreSQL test database.

A session booked 2 hours ahead produces its 2-hour reminders once, although both workers are killed (SIGKILL)
while a reminder is in the mail server's hands and a worker is started again; a session cancelled meanwhile
produces none. Skipped without REDIS_URL and PostgreSQL on a newcomer's machine, required in CI."""

import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection

from jobs.choices import ReminderStatus
from jobs.models import Reminder
from outbox.models import OutboxMessage
from sessions import services
from tests.browser import require_or_skip

from .helpers import book
from .smtp_capture import CaptureSMTPServer

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def _require_services():
    url = os.environ.get("REDIS_URL")
    if not url:
        require_or_skip("Redis", "set REDIS_URL, e.g. redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        require_or_skip("Redis", f"{url} does not answer: {exc}")
    if connection.vendor != "postgresql":
        require_or_skip("PostgreSQL", "set DATABASE_URL to a PostgreSQL database (workers share the test database)")


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Workers:
    """Celery worker processes started by this test, each in its own process group so it dies whole."""

    def __init__(self, tmp_path: Path, smtp_port: int):
        self.tmp_path = tmp_path
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE",)},
            "DATABASE_URL": _database_url(),
            "REDIS_URL": os.environ["REDIS_URL"],
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "EMAIL_USE_TLS": "0",
            "KAPCOUPLES_VAR_DIR": str(tmp_path / "var"),
            "JOBS_SWEEP_SECONDS": "1",
            "JOBS_STALE_SECONDS": "5",
            "JOBS_REMINDER_LEASE_SECONDS": "5",
            "CLINIC_TIME_ZONE": django_settings.TIME_ZONE,
        }
        self.processes: list[subprocess.Popen] = []

    def start(self, name: str, *, purge: bool = False) -> subprocess.Popen:
        args = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "kapcouples",
            "worker",
            "--beat",
            "--pool=solo",
            "--loglevel=INFO",
            "-n",
            f"{name}@%h",
            "-s",
            str(self.tmp_path / f"beat-{name}"),
        ]
        if purge:
            args.append("--purge")
        log = open(self.tmp_path / f"{name}.log", "ab")
        process = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def kill_all(self) -> None:
        for process in self.processes:
            self.kill(process)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-4000:] for p in sorted(self.tmp_path.glob("*.log")))


def wait_for(condition, *, timeout: float, what: str, workers: Workers):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    pytest.fail(f"Timed out waiting for {what}.\n{workers.logs()}")


def test_reminders_arrive_exactly_once_through_a_worker_crash_and_none_after_cancelling(
    settings, tmp_path, couple, other_couple, therapist, other_therapist
):
    _require_services()
    settings.CELERY_TASK_ALWAYS_EAGER = False  # nudges really go through Redis
    with CaptureSMTPServer(hold_seconds=2.0) as smtp:
        workers = Workers(tmp_path, smtp.port)
        try:
            session = book(couple, therapist, hours=2)  # its 2-hour reminders are due now
            # The booking's outbox message waits for a worker, which plans the reminders: partners A and B, and
            # the therapist (the 48-hour ones came too late).
            assert OutboxMessage.objects.filter(object_id=session.pk, sent_at__isnull=True).exists()
            expected = sorted([*couple.partners.values_list("email", flat=True), therapist.email])

            first = [workers.start("one", purge=True), workers.start("two")]  # two beats: dispatch fires twice
            wait_for(lambda: len(smtp.messages) >= 1, timeout=90, what="the first reminder", workers=workers)
            for process in first:  # killed while the mail server holds its reply
                workers.kill(process)

            cancelled = book(other_couple, other_therapist, hours=2)
            services.session_cancel(by=other_therapist, session=cancelled, reason="Unwell")

            workers.start("three")
            final = (ReminderStatus.SENT, ReminderStatus.UNKNOWN, ReminderStatus.FAILED)
            wait_for(
                lambda: Reminder.objects.filter(session=session, lead_minutes=120, status__in=final).count() == 3,
                timeout=90,
                what="all three reminders to be settled",
                workers=workers,
            )
            time.sleep(4)  # a few more beats: anything that would be sent twice would be sent now
        finally:
            workers.kill_all()
        received = collections.Counter(smtp.recipients(subject_prefix="Reminder"))
        cancellation_notices = smtp.recipients(subject_prefix="Your appointment is cancelled")
    assert sorted(received) == expected, workers.logs()
    assert set(received.values()) == {1}, f"Some reminder arrived more than once: {received}"
    statuses = list(Reminder.objects.filter(session=session, lead_minutes=120).values_list("status", flat=True))
    assert ReminderStatus.FAILED not in statuses
    # The one being sent when its worker died is marked for a person to confirm, not sent again.
    assert ReminderStatus.UNKNOWN in statuses
    other_addresses = {*other_couple.partners.values_list("email", flat=True), other_therapist.email}
    assert not other_addresses & set(received)
    # The cancelled session's couple is told once, and gets no reminder.
    assert sorted(cancellation_notices) == sorted(other_couple.partners.values_list("email", flat=True))
    assert set(Reminder.objects.filter(session=cancelled).values_list("status", flat=True)) <= {
        ReminderStatus.CANCELLED,
        ReminderStatus.SKIPPED,
    }
