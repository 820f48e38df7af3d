"""Private iCalendar feeds: each clinician subscribes to their sessions in their own calendar app.

A therapist's feed has the sessions they run; a prescriber's, the medicine sessions of the couples they
prescribe for. Partners appear by initials unless the clinician asks for first names; nothing else about the
couple is in the feed. Events keep the session's UUID, so a moved session moves in the calendar app and a
cancelled one is marked cancelled (and disappears) on the next refresh.
"""

import datetime
import hashlib
import secrets

import icalendar
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.choices import AuditAction
from audit.services import audit_record
from cases.models import Partner
from sessions.choices import Phase, SessionStatus
from sessions.models import CalendarFeed, TherapySession

PAST_DAYS = 60
AHEAD_DAYS = 365
FEED_VIEW = "sessions:calendar_feed"
STATUS = {SessionStatus.CANCELLED: "CANCELLED", SessionStatus.SCHEDULED: "CONFIRMED"}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_may_have(user: User) -> bool:
    """Clinicians (therapists and prescribers) with an active account have a calendar feed."""
    return bool(user.is_active and (user.is_therapist or user.is_prescriber))


def feed_active(*, user: User) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).first()


def feed_regenerate(*, by: User, show_first_names: bool = False) -> tuple[CalendarFeed, str]:
    """Give the clinician a new feed address (the old one stops working at once); returns the feed and its token,
    which is shown once and never stored."""
    if not feed_may_have(by):
        raise ValidationError("Only an active therapist or prescriber has a calendar feed.")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=by.pk).exists()
        CalendarFeed.objects.filter(user=by, revoked_at__isnull=True).update(revoked_at=timezone.now())
        feed = CalendarFeed.objects.create(user=by, token_hash=_hash(token), show_first_names=show_first_names)
    return feed, token


def feed_revoke(*, by: User) -> int:
    """Stop the clinician's feed address; calendar apps then get 404. Returns how many were stopped (0 or 1)."""
    return CalendarFeed.objects.filter(user=by, revoked_at__isnull=True).update(revoked_at=timezone.now())


def feed_url(token: str) -> str:
    return settings.SITE_URL + reverse("sessions:calendar_feed", kwargs={"token": token})


def feed_for_token(token: str) -> CalendarFeed | None:
    """The active feed this token opens, if its owner may still have one; else None (the view answers 404)."""
    if not token or len(token) > 100:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(token_hash=_hash(token), revoked_at__isnull=True).first()
    if feed is None or not feed_may_have(feed.user):
        return None
    return feed


def feed_read_record(feed: CalendarFeed, *, request) -> None:
    """Audit one read of the feed: whose feed, that it was read, from which address and app. One INSERT, no
    other query (the feed and its owner are already loaded); calendar apps read without signing in, so the owner
    is the actor the row names."""
    audit_record(
        action=AuditAction.READ,
        actor=feed.user,
        request=request,
        obj=feed,
        summary=f"{FEED_VIEW} viewed",
        path=reverse(FEED_VIEW, kwargs={"token": "TOKEN"}),  # never the token itself: the trail is read by admins
    )


def feed_sessions(*, user: User) -> QuerySet[TherapySession]:
    """The sessions in a clinician's feed: theirs to run, and as prescriber the medicine sessions of their couples."""
    now = timezone.now()
    mine = Q(therapist=user)
    if user.is_prescriber:
        mine |= Q(phase=Phase.MEDICINE, couple__prescriber=user)
    return (
        TherapySession.objects.filter(
            mine,
            start__gte=now - datetime.timedelta(days=PAST_DAYS),
            start__lte=now + datetime.timedelta(days=AHEAD_DAYS),
        )
        .exclude(status=SessionStatus.NO_SHOW)
        .select_related("couple", "room", "therapist__video_link")
        .prefetch_related(Prefetch("couple__partners", queryset=Partner.objects.order_by("label")))
        .annotate(changes=Count("events"))
        .order_by("start", "id")
    )


def _who(session: TherapySession, *, first_names: bool) -> str:
    partners = list(session.couple.partners.all())
    if first_names:
        return " & ".join(p.first_name for p in partners)
    return " & ".join(f"{p.first_name[:1]}.{p.last_name[:1]}." for p in partners)


def feed_render(feed: CalendarFeed) -> bytes:
    """The feed as an iCalendar document (RFC 5545), built in a constant number of queries."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//KAP Couples//Sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"KAP Couples: {feed.user.first_name or feed.user.username}")
    calendar.add("refresh-interval", datetime.timedelta(minutes=30), parameters={"VALUE": "DURATION"})
    stamp = timezone.now()
    for session in feed_sessions(user=feed.user):
        event = icalendar.Event()
        event.add("uid", f"{session.uuid}@kapcouples")
        event.add("dtstamp", stamp)
        event.add("dtstart", session.start)
        event.add("dtend", session.end)
        event.add("summary", f"{session.title} \u00b7 {_who(session, first_names=feed.show_first_names)}")
        join = session.join_url
        event.add("location", f"{session.place_label}: {join}" if join else session.place_label)
        event.add("status", STATUS.get(session.status, "CONFIRMED"))
        event.add("sequence", session.changes)
        event.add("url", settings.SITE_URL + reverse("sessions:session_detail", kwargs={"session_uuid": session.uuid}))
        event.add("description", (f"Join: {join}\n" if join else "") + "Open the session in KAP Couples for details.")
        calendar.add_component(event)
    return calendar.to_ical()
