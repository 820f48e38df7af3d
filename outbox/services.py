"""Writing to the outbox inside a transaction, and handing the message to the worker once it commits."""

import logging
import time
from contextvars import ContextVar, Token

from celery import current_app
from django.conf import settings
from django.db import transaction

from outbox.models import OutboxMessage

logger = logging.getLogger("jobs")

DELIVER_TASK = "jobs.tasks.outbox_deliver"  # by name: the worker side (jobs) sits above every app that writes here
# After the broker refused a message, publishing is skipped for this long: the sweep delivers meanwhile, and a
# request never waits for a broker that is down.
BROKER_PAUSE_SECONDS = 30
_broker_down_until = 0.0
# Within one request: how many messages waited for the sweep instead of going to the broker (a warning says so).
_deferred: ContextVar[list | None] = ContextVar("outbox_deferred", default=None)


def deferred_reset(token: Token | None = None) -> Token | None:
    """Start counting for a request (returns a token), or stop (given the token)."""
    if token is not None:
        _deferred.reset(token)
        return None
    return _deferred.set([])


def deferred_in_request() -> bool:
    """Whether work asked for in this request waits for the sweep because the broker did not take it."""
    return bool(_deferred.get())


def _deferred_note(name: str) -> None:
    waiting = _deferred.get()
    if waiting is not None:
        waiting.append(name)


def outbox_add(*, kind: str, object_id: int | None = None, payload: dict | None = None) -> OutboxMessage:
    """Record work the current change calls for, in its transaction; it is handed to a worker after the commit
    (or found by the sweep), never before and never lost with a rolled-back change."""
    message = OutboxMessage.objects.create(kind=kind, object_id=object_id, payload=payload or {})
    transaction.on_commit(lambda: outbox_publish(message_id=message.pk), robust=True)
    return message


def broker_available() -> bool:
    """False while the last publish failed recently: writes then say their reminders and PDFs will follow."""
    return time.monotonic() >= _broker_down_until


def outbox_publish(*, message_id: int) -> bool:
    """Ask a worker to deliver the message now; True if the broker took it. Never raises and never waits long:
    a message the broker does not take waits for the sweep."""
    return task_send(DELIVER_TASK, message_id)


def task_send(name: str, *args) -> bool:
    """Hand a task to the broker by name without waiting for a broker that is down; True if it was taken.
    Whatever it would do is already a row, so a refused task only waits for the beat sweep."""
    global _broker_down_until
    task = current_app.tasks.get(name)
    if task is None:  # the web process loads the tasks modules only when first asked
        current_app.loader.import_default_modules()
        task = current_app.tasks[name]
    if settings.CELERY_TASK_ALWAYS_EAGER:
        task(*args)  # inline, as a worker would run it (tests, and CELERY_TASK_ALWAYS_EAGER=1 on one machine)
        return True
    if not broker_available():
        _deferred_note(name)
        return False
    try:
        task.apply_async(args=args, retry=False)
    except Exception as exc:  # noqa: BLE001 - any broker failure: the row is written, the sweep will find it
        _broker_down_until = time.monotonic() + BROKER_PAUSE_SECONDS
        logger.warning(
            "Broker unreachable (%s); %s waits for the sweep (publishing paused %s s).",
            type(exc).__name__,
            name,
            BROKER_PAUSE_SECONDS,
        )
        _deferred_note(name)
        return False
    return True
