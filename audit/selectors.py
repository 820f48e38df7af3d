"""Reads of the audit trail for the clinic admins' search, the CSV export and a couple's history."""

import datetime

from django.db.models import Q, QuerySet
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
    events = AuditEvent.objects.select_related("couple", "actor").prefetch_related("couple__partners")
    if username:
        # A person by username or by name, as the sentences name them ("Maya", "Chen", "Maya Chen", "maya").
        person = Q(actor_username__iexact=username)
        for word in username.split():
            person |= Q(actor__first_name__iexact=word) | Q(actor__last_name__iexact=word)
        if len(username.split()) == 2:
            first, last = username.split()
            person |= Q(actor__first_name__iexact=first, actor__last_name__iexact=last)
        events = events.filter(person)
    if action:
        events = events.filter(action=action)
    if case_number:
        # A couple by case number or by a partner's last name.
        events = events.filter(
            Q(couple__case_number__iexact=case_number) | Q(couple__partners__last_name__iexact=case_number)
        ).distinct()
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
