"""Celery entry points: each takes ids, calls one service, and is safe to run twice (the rows carry the state).

Only transient database errors are retried, with backoff; anything else is recorded on the row by the service.
"""

import os
import socket

from celery import shared_task
from django.db import InterfaceError, OperationalError

from jobs import exports, notices, outbox, reminders, summaries

TRANSIENT = (OperationalError, InterfaceError)
RETRY = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}


def _worker_id(task) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{task.request.id or 'eager'}"[:64]


@shared_task(bind=True, name="jobs.tasks.reminders_dispatch", **RETRY)
def reminders_dispatch(self) -> dict:
    """Beat, every JOBS_SWEEP_SECONDS: plan what is missing, then send what is due."""
    reminders.reminders_plan_missing()
    result = reminders.reminders_dispatch_due(worker=_worker_id(self))
    notices_sent = notices.notices_dispatch_due()
    return {"sent": result.sent, "failed": result.failed, "other": result.other, "notices": notices_sent}


@shared_task(name="jobs.tasks.outbox_deliver", **RETRY)
def outbox_deliver(message_id: int) -> bool:
    """After a commit: the work its outbox message asks for (reminders, a summary, an export)."""
    return outbox.outbox_deliver(message_id=message_id)


@shared_task(name="jobs.tasks.outbox_sweep", **RETRY)
def outbox_sweep() -> int:
    """Beat, every JOBS_SWEEP_SECONDS: outbox messages the broker did not take or a dead worker left."""
    return outbox.outbox_sweep()


@shared_task(name="jobs.tasks.reminders_plan", **RETRY)
def reminders_plan(session_id: int) -> None:
    reminders.reminders_plan_for_session(session_id)


@shared_task(name="jobs.tasks.summary_render", **RETRY)
def summary_render(summary_id: int) -> str | None:
    return summaries.summary_render(summary_id)


@shared_task(bind=True, name="jobs.tasks.export_build", **RETRY)
def export_build(self, job_id: int) -> str | None:
    return exports.export_build(job_id, worker=_worker_id(self))


@shared_task(bind=True, name="jobs.tasks.documents_sweep", **RETRY)
def documents_sweep(self) -> None:
    """Beat: summaries and exports whose nudge was lost or whose worker died. Exports are handed to the exports
    queue, so that a large one never holds up session summaries on this one."""
    summaries.summaries_request_missing()
    summaries.summaries_render_waiting()
    for job_id in exports.exports_waiting():
        export_build.delay(job_id)


@shared_task(name="jobs.tasks.exports_expire", **RETRY)
def exports_expire() -> int:
    return exports.exports_expire()
