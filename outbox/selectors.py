"""Reads of the outbox: how much written work is still waiting for a worker."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone

from outbox.models import MAX_ATTEMPTS, OutboxMessage


@dataclass(frozen=True)
class Backlog:
    waiting: int  # older than two sweeps: no worker took them
    given_up: int  # failed MAX_ATTEMPTS times: a person has to look (the rows keep their error)
    oldest_at: datetime.datetime | None

    @property
    def ok(self) -> bool:
        return self.waiting == 0 and self.given_up == 0


def outbox_backlog() -> Backlog:
    """What the workers are behind on: one query, over the partial index of unsent messages only."""
    late = timezone.now() - datetime.timedelta(seconds=2 * settings.JOBS_SWEEP_SECONDS + 10)
    row = OutboxMessage.objects.filter(sent_at__isnull=True, created_at__lt=late).aggregate(
        waiting=Count("id"), given_up=Count("id", filter=Q(attempts__gte=MAX_ATTEMPTS)), oldest_at=Min("created_at")
    )
    return Backlog(waiting=row["waiting"] - row["given_up"], given_up=row["given_up"], oldest_at=row["oldest_at"])
