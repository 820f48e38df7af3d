"""Verbs of the operations app: record a worker's heartbeat, record a failed task without PHI."""

import re
import smtplib
import traceback
import uuid
from pathlib import Path

from django.conf import settings
from django.db import Error as DatabaseError
from django.utils import timezone

from ops.models import TaskFailure, WorkerHeartbeat

WITHHELD = "(message withheld: it may contain patient information)"
# Errors of the machinery (database, network, mail server, storage) describe the infrastructure and are kept,
# scrubbed; any other error's message may quote a record or what a user typed, so it is withheld.
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_PARENTHESISED = re.compile(r"\([^()]*\)")
_EMAIL = re.compile(r"\S+@\S+")
_NUMBER = re.compile(r"\+?\d[\d \-().]{5,}\d")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def heartbeat_record(*, queue: str, worker: str) -> None:
    """Note that a worker on this queue is alive now (one row per queue, overwritten)."""
    WorkerHeartbeat.objects.update_or_create(
        queue=queue[:64], defaults={"beat_at": timezone.now(), "worker": worker[:128]}
    )


def _infrastructure_errors() -> tuple[type[BaseException], ...]:
    kinds: list[type[BaseException]] = [OSError, DatabaseError, smtplib.SMTPException, TimeoutError]
    try:
        import redis

        kinds.append(redis.RedisError)
    except ImportError:  # pragma: no cover - redis is a requirement
        pass
    try:
        from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded

        kinds += [SoftTimeLimitExceeded, TimeLimitExceeded]
    except ImportError:  # pragma: no cover
        pass
    return tuple(kinds)


def scrub_message(exception: BaseException) -> str:
    """The first line of an infrastructure error's message with quoted, bracketed, address- and number-like
    parts removed; for any other error, a note that the message was withheld."""
    if not isinstance(exception, _infrastructure_errors()):
        return WITHHELD
    text = (str(exception).strip().splitlines() or [""])[0]
    for pattern, replacement in (
        (_QUOTED, "'…'"),
        (_PARENTHESISED, "(…)"),
        (_EMAIL, "[address]"),
        (_NUMBER, "[number]"),
    ):
        text = pattern.sub(replacement, text)
    return text[:300]


def ids_only(value):
    """Keep an argument if it is an id (a whole number or a UUID); otherwise only its type."""
    if isinstance(value, bool):
        return f"<{type(value).__name__}>"
    if isinstance(value, int):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str) and _UUID.fullmatch(value):
        return value
    return f"<{type(value).__name__}>"


def _location(tb) -> str:
    """The innermost frame in the project's own code (not the virtualenv), as path:line in function."""
    base = Path(settings.BASE_DIR)
    found = ""
    for frame in traceback.extract_tb(tb) if tb is not None else []:
        path = Path(frame.filename)
        if path.is_relative_to(base) and ".venv" not in path.parts and "site-packages" not in path.parts:
            found = f"{path.relative_to(base)}:{frame.lineno} in {frame.name}"
    return found[:300]


def task_failure_record(
    *, task_name: str, task_id: str | None, exception: BaseException, args=None, kwargs=None, tb=None, worker: str = ""
) -> TaskFailure:
    """Record a failed background task for the clinic admins, with ids and the error's kind, never PHI."""
    kind = type(exception)
    return TaskFailure.objects.create(
        task_name=task_name[:200],
        task_id=(task_id or "")[:64],
        args=[ids_only(a) for a in (args or ())],
        kwargs={str(k)[:50]: ids_only(v) for k, v in (kwargs or {}).items()},
        exception=f"{kind.__module__}.{kind.__qualname__}"[:200],
        message=scrub_message(exception),
        location=_location(tb or exception.__traceback__),
        worker=worker[:128],
    )
