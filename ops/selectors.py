"""Reads of the operations app: is this process able to serve, and are the workers alive."""

import time

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from ops.models import TaskFailure, WorkerHeartbeat
from outbox.selectors import outbox_backlog


def _timed(check) -> dict:
    started = time.monotonic()
    try:
        check()
        ok = True
    except Exception:  # noqa: BLE001 - any failure means not ready; the answer names the check, not the error
        ok = False
    return {"ok": ok, "ms": round((time.monotonic() - started) * 1000, 1)}


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _redis() -> None:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


def worker_heartbeats() -> dict[str, dict]:
    """For each queue, whether a worker ran beat's heartbeat on it recently, and how long ago it did."""
    now = timezone.now()
    stale_after = settings.OPS_HEARTBEAT_SECONDS * 3 + 5
    try:
        seen = dict(
            WorkerHeartbeat.objects.filter(queue__in=settings.OPS_HEARTBEAT_QUEUES).values_list("queue", "beat_at")
        )
    except DatabaseError:
        seen = {}
    result = {}
    for queue in settings.OPS_HEARTBEAT_QUEUES:
        beat_at = seen.get(queue)
        age = round((now - beat_at).total_seconds(), 1) if beat_at else None
        result[f"worker:{queue}"] = {"ok": age is not None and age <= stale_after, "age_s": age}
    return result


def readiness() -> dict[str, dict]:
    """Every check /readyz makes: the database, Redis (when configured) and a live worker on every queue."""
    checks = {"database": _timed(_database)}
    if settings.REDIS_URL:
        checks["redis"] = _timed(_redis)
    checks.update(worker_heartbeats())
    checks["outbox"] = _outbox()
    return checks


def _outbox() -> dict:
    """Written work no worker delivered within two sweeps (broker down, workers stopped or failing)."""
    try:
        backlog = outbox_backlog()
    except DatabaseError:
        return {"ok": False, "waiting": None}
    return {"ok": backlog.ok, "waiting": backlog.waiting, "given_up": backlog.given_up}


def task_failures_recent_count(*, days: int = 7) -> int:
    """How many background tasks failed in the last days (shown to clinic admins)."""
    return TaskFailure.objects.filter(failed_at__gte=timezone.now() - timezone.timedelta(days=days)).count()
