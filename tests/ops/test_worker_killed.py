"""A reminders worker killed with SIGKILL in the middle of a batch, on the real PostgreSQL (the test database)
and a mail server in this process that holds each reply a little, as a slow provider does.

Thirty reminders are due at once. A worker (a subprocess running the reminders dispatch, tests/ops/
dispatch_loop.py) claims them all in one batch and starts sending, slower than its lease (6 s here); a second
worker dispatches every half second meanwhile, as beat would make it, and takes nothing from the live one, which
renews its lease. After 26 messages the first worker is killed with -9. The second must leave the dead worker's
claims alone until their lease ends (a worker that only looks dead must not lose its batch), then take them at
once - not after the old stale timeout, set to ten minutes here. In the end every reminder is sent exactly
once, or "unknown" for a person to check (sent at most once); none is lost, none is sent twice, none is left claimed. Skipped without PostgreSQL on a newcomer's machine, required in CI."""

import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from jobs import reminders
from jobs.choices import ReminderStatus
from jobs.models import Reminder, ReminderLead
from jobs.tests.helpers import book
from jobs.tests.smtp_capture import CaptureSMTPServer
from sessions.choices import Phase
from tests.browser import require_or_skip
from tests.factories import CoupleFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
LEASE = 6  # seconds (JOBS_REMINDER_LEASE_SECONDS; 60 in production)
SWEEP = 0.5  # seconds between the second worker's dispatches (JOBS_SWEEP_SECONDS; 60 in production)
STALE = 600  # the documents' stale timeout, which reminders used to wait for
COUPLES = 10  # three reminders each: both partners and the therapist
KILL_AFTER = 26  # messages at the mail server when the first worker is killed (0.25 s each: past its lease)


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Dispatchers:
    """Worker subprocesses started by this test, each in its own process group so that -9 kills it whole."""

    def __init__(self, tmp_path: Path, smtp_port: int, time_zone: str):
        self.tmp_path = tmp_path
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))},
            "DATABASE_URL": _database_url(),
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "EMAIL_USE_TLS": "0",
            "KAPCOUPLES_VAR_DIR": str(tmp_path / "var"),
            "JOBS_REMINDER_LEASE_SECONDS": str(LEASE),
            "JOBS_STALE_SECONDS": str(STALE),
            "SMS_REMINDERS": "0",
            "CLINIC_TIME_ZONE": time_zone,
        }
        self.processes: list[subprocess.Popen] = []

    def start(self, worker: str, *, interval: float) -> subprocess.Popen:
        log = open(self.tmp_path / f"{worker}.log", "ab")  # noqa: SIM115 - the child writes to it until it dies
        process = subprocess.Popen(
            [sys.executable, "tests/ops/dispatch_loop.py", worker, str(interval)],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
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
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(self.tmp_path.glob("*.log"))
        )


def wait_for(condition, *, timeout: float, what: str, dispatchers: Dispatchers, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        time.sleep(every)
    pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}.\n{dispatchers.logs()}")


def _held_by(worker: str) -> int:
    return Reminder.objects.filter(
        claimed_by=worker, status__in=(ReminderStatus.CLAIMED, ReminderStatus.SENDING)
    ).count()


def test_a_worker_killed_mid_batch_loses_no_reminder_and_doubles_none_and_its_batch_is_taken_after_the_lease(
    settings, tmp_path, monkeypatch
):
    if connection.vendor != "postgresql":
        require_or_skip("PostgreSQL", "set DATABASE_URL to a PostgreSQL database (the workers share the test database)")
    # The bookings' own nudges (plan, then dispatch at once) are left to the sweep, as with the broker down: the
    # reminders are planned here and only the workers below send them.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr("outbox.services.broker_available", lambda: False)
    ReminderLead.objects.filter(phase=Phase.ASSESSMENT).delete()
    ReminderLead.objects.create(phase=Phase.ASSESSMENT, minutes_before=120)
    addresses = set()
    for _ in range(COUPLES):
        therapist = UserFactory(is_therapist=True)
        couple = CoupleFactory(therapists=[therapist])
        session = book(couple, therapist, hours=2)  # its 2-hour reminders are due now
        reminders.reminders_plan_for_session(session.pk)
        addresses |= {therapist.email, *couple.partners.values_list("email", flat=True)}
    due = Reminder.objects.filter(status=ReminderStatus.PENDING)
    assert due.count() == 3 * COUPLES == len(addresses)

    with CaptureSMTPServer(hold_seconds=0.25) as smtp:
        dispatchers = Dispatchers(tmp_path, smtp.port, settings.TIME_ZONE)
        try:
            first = dispatchers.start("first", interval=3600)  # one dispatch: the whole batch is its claim
            began = wait_for(lambda: smtp.messages, timeout=60, what="the first reminder", dispatchers=dispatchers)
            # A second worker dispatches every half second from now on, as beat would make it.
            dispatchers.start("second", interval=SWEEP)
            wait_for(
                lambda: len(smtp.messages) >= KILL_AFTER, timeout=60, what="more reminders", dispatchers=dispatchers
            )
            dispatchers.kill(first)
            killed = time.monotonic()
            # The first worker's batch outlasted its lease, and it kept it all by renewing it: the second took none.
            assert killed - began > LEASE
            assert not Reminder.objects.exclude(claimed_by="first").exists(), dispatchers.logs()
            held = _held_by("first")
            assert held >= 2, "the dead worker should still hold the rest of its batch"

            # A worker that only looks dead keeps its batch while its lease runs: nothing is taken from it in the
            # third of the lease after it stopped (it renews every third, so its claims were at most a third old).
            time.sleep(LEASE / 3)
            assert _held_by("first") == held, dispatchers.logs()

            # Then the next dispatch after the lease ran out takes them (within the lease and one sweep).
            recovered = wait_for(
                lambda: _held_by("first") == 0,
                timeout=STALE / 10,
                what="the claims to be released",
                dispatchers=dispatchers,
            )
            final = (ReminderStatus.SENT, ReminderStatus.UNKNOWN, ReminderStatus.FAILED)
            settled = wait_for(
                lambda: not Reminder.objects.exclude(status__in=final).exists(),
                timeout=60,
                what="every reminder to be settled",
                dispatchers=dispatchers,
            )
            time.sleep(3 * SWEEP)  # a few more dispatches: anything that would be sent twice would be sent now
        finally:
            dispatchers.kill_all()
        received = collections.Counter(smtp.recipients(subject_prefix="Reminder"))

    took = recovered - killed
    assert took <= LEASE + SWEEP + 2, f"The dead worker's claims waited {took:.1f} s (lease {LEASE} s)."
    assert settled - killed < STALE / 20
    rows = list(Reminder.objects.values_list("status", "partner__email", "user__email"))
    status_of = {partner or user: status for status, partner, user in rows}
    assert set(status_of) == addresses
    # Never twice.
    assert set(received.values()) == {1}, f"Some reminder arrived more than once: {received}"
    # Never lost: every one arrived and is "sent", or is "unknown" for a person (the ones the dead worker had
    # handed over but not yet written down, and the one in the mail server's hands when it died).
    assert ReminderStatus.FAILED not in status_of.values(), dispatchers.logs()
    sent = {address for address, status in status_of.items() if status == ReminderStatus.SENT}
    unknown = {address for address, status in status_of.items() if status == ReminderStatus.UNKNOWN}
    assert sent | unknown == addresses
    assert sent <= set(received), "a reminder marked sent never reached the mail server"
    assert set(received) - sent <= unknown
    assert 1 <= len(unknown) <= reminders.FLUSH_EVERY
    assert all("may or may not have arrived" in r.error for r in Reminder.objects.filter(status=ReminderStatus.UNKNOWN))
