"""Rows the operations side keeps: when each queue's workers last answered, and background tasks that failed."""

from django.db import models
from django.utils import timezone


class WorkerHeartbeat(models.Model):
    """The last time a worker consuming a queue ran the heartbeat that beat sends to that queue."""

    queue = models.CharField(max_length=64, unique=True)
    beat_at = models.DateTimeField()
    worker = models.CharField(max_length=128, blank=True, help_text="host:pid of the worker that answered.")

    class Meta:
        ordering = ["queue"]

    def __str__(self) -> str:
        return f"{self.queue} at {self.beat_at:%Y-%m-%d %H:%M:%S}"


class TaskFailure(models.Model):
    """A background task that ended in an error: which task, with which ids, and the error without PHI."""

    task_name = models.CharField(max_length=200)
    task_id = models.CharField(max_length=64, blank=True)
    # Only whole numbers and UUIDs are kept; any other argument is replaced by its type ("<str>").
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    exception = models.CharField(max_length=200)
    message = models.CharField(max_length=300, blank=True)
    location = models.CharField(max_length=300, blank=True, help_text="The innermost line of our code.")
    worker = models.CharField(max_length=128, blank=True)
    failed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-failed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.task_name} failed with {self.exception.rsplit('.', 1)[-1]}"
