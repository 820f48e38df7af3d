"""Reads of the audit trail for the clinic admins' search, the CSV export and a couple's history."""

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from audit.models import AuditEvent


def audit_event_search(
    *,
    username: str = "",
    action: str = "",
    case_number: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[AuditEvent]:
    """Events matching every given filter, newest first; dates are whole days in the clinic's time zone."""
    events = AuditEvent.objects.select_related("couple")
    if username:
        events = events.filter(actor_username__iexact=username)
    if action:
        events = events.filter(action=action)
    if case_number:
        events = events.filter(couple__case_number__iexact=case_number)
    if date_from:
        events = events.filter(at__gte=_start_of(date_from))
    if date_to:
        events = events.filter(at__lt=_start_of(date_to + datetime.timedelta(days=1)))
    return events.order_by("-at", "-id")


def couple_audit_history(*, couple, limit: int = 20) -> list[AuditEvent]:
    """The latest events about one couple, for its own page."""
    return list(AuditEvent.objects.filter(couple=couple).order_by("-at", "-id")[:limit])


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
