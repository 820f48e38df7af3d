"""What other apps' services call inside their transactions: each registers work to run once it commits.

The work itself is written to the database first (reminder rows, a summary row); the broker message that
follows is only a nudge, so a booking or a signature never fails because Redis is down, and the beat sweeps
pick up whatever a lost nudge would have started.
"""

import logging

from django.conf import settings
from django.db import transaction

logger = logging.getLogger("jobs")


def nudge(task, *args) -> None:
    """Ask a worker to run task(*args) now, if the broker answers; the periodic sweeps cover it if not."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        task(*args)  # inline, as a worker would run it (tests, and CELERY_TASK_ALWAYS_EAGER=1 on one machine)
        return
    try:
        task.apply_async(args=args, retry=False)
    except Exception as exc:  # noqa: BLE001 - any broker failure: the row is written, the sweep will find it
        logger.warning("Broker unreachable (%s); %s will run on the next sweep.", type(exc).__name__, task.name)


def session_changed_on_commit(session_id: int) -> None:
    """Once the transaction commits, bring the session's reminders in line with it (booked, moved, ended)."""

    def plan():
        from jobs import tasks
        from jobs.reminders import reminders_plan_for_session

        reminders_plan_for_session(session_id)
        nudge(tasks.reminders_dispatch)

    transaction.on_commit(plan, robust=True)


def session_notice_on_commit(session_id: int, kind: str) -> None:
    """Once the transaction commits, tell the partners that their session moved or was cancelled (jobs/notices.py)."""

    def announce():
        from jobs import tasks
        from jobs.notices import session_notices_plan

        session_notices_plan(session_id=session_id, kind=kind)
        nudge(tasks.reminders_dispatch)

    transaction.on_commit(announce, robust=True)


def reminders_due_on_commit() -> None:
    """Once the transaction commits, ask a worker to send what is due (a reminder put back by a person)."""

    def dispatch():
        from jobs import tasks

        nudge(tasks.reminders_dispatch)

    transaction.on_commit(dispatch, robust=True)


def summary_needed_on_commit(session_id: int, trigger: str) -> None:
    """Once the transaction commits, ask for a new PDF summary of the session (note signed or amended)."""

    def request():
        from jobs import tasks
        from jobs.summaries import summary_request

        summary = summary_request(session_id=session_id, trigger=trigger)
        if summary is not None:
            nudge(tasks.summary_render, summary.pk)

    transaction.on_commit(request, robust=True)
