"""Issue 18.2: queues that cannot starve each other. Reminders, PDF summaries and clinic-wide exports each have a
worker pool of their own (Procfile, systemd units, compose), the tasks are routed to them, and a backlog of
summaries is worked newest first in small batches, so one sweep never holds the documents worker for long."""

import datetime
import re
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from jobs import summaries
from jobs.choices import DocumentStatus
from jobs.models import SessionSummary
from sessions.choices import Phase
from sessions.tests.helpers import held

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from procfile import read_procfile  # noqa: E402

POOLS = {"reminders": {"reminders"}, "documents": {"documents", "celery"}, "exports": {"exports"}}


def queues_of(command: str) -> set[str]:
    return set(re.search(r"-Q (\S+)", command).group(1).split(","))


def test_each_queue_has_one_pool_of_its_own_in_the_procfile_the_units_and_compose():
    workers = {name: queues_of(cmd) for name, cmd in read_procfile().items() if " worker " in f" {cmd} "}
    assert sorted(workers.values(), key=sorted) == sorted(POOLS.values(), key=sorted)
    units = {
        path.name: queues_of(path.read_text()) for path in (ROOT / "deploy/systemd").glob("kapcouples-worker-*.service")
    }
    assert sorted(units.values(), key=sorted) == sorted(POOLS.values(), key=sorted)
    compose = (ROOT / "compose.yaml").read_text()
    assert '"-Q", "exports"' in compose and '"-Q", "documents,celery"' in compose and '"-Q", "reminders"' in compose


def test_the_tasks_go_to_their_pools():
    routes = settings.CELERY_TASK_ROUTES
    assert routes["jobs.tasks.export_build"]["queue"] == "exports"
    assert routes["jobs.tasks.summary_render"]["queue"] == "documents"
    assert routes["jobs.tasks.reminders_dispatch"]["queue"] == "reminders"


@pytest.mark.django_db
def test_a_summary_backlog_is_worked_newest_first_a_batch_at_a_time(couple, therapist):
    start = timezone.now() - datetime.timedelta(days=30)
    waiting = []
    for day in range(summaries.SWEEP_BATCH + 2):
        session = held(couple, therapist, Phase.ASSESSMENT, start + datetime.timedelta(days=day))
        waiting.append(SessionSummary.objects.create(session=session, version=1, trigger="signed"))
    assert summaries.summaries_render_waiting() == summaries.SWEEP_BATCH
    untouched = list(
        SessionSummary.objects.filter(status=DocumentStatus.PENDING, attempts=0)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    assert untouched == [s.pk for s in waiting[:2]]  # the two oldest wait for the next sweep
