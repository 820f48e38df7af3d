"""Reads for the pages of background work, scoped through cases.policy."""

from django.conf import settings
from django.http import Http404

from accounts.models import User
from cases import policy
from cases.policy import visible_couples
from jobs.checks import sms_configuration_problems
from jobs.choices import ReminderStatus
from jobs.delivery import reminder_resend_refusal
from jobs.models import ExportJob, Reminder, SessionNotice, SessionSummary
from jobs.sms import sms_logs_only, sms_refusal
from kapcouples.mail import email_logs_only
from sessions.selectors import session_for_user


def session_background(*, session) -> dict:
    """The reminders (with the couple's answers to them), change notices and PDF summaries of one session, for its
    page (three queries)."""
    reminders = list(
        Reminder.objects.filter(session=session)
        .select_related("partner", "user", "resent_by", "reply")
        .order_by("-session_start", "-lead_minutes", "recipient_kind", "partner__label")
    )
    replies = []
    for reminder in reminders:
        reminder.session = session
        reminder.resendable = not reminder_resend_refusal(reminder)
        reply = getattr(reminder, "reply", None)  # one per reminder, for its session and partner (jobs.replies)
        if reply is not None:
            reply.reminder, reply.partner, reply.session = reminder, reminder.partner, session
            replies.append(reply)
    replies.sort(key=lambda r: (r.answered_at, r.pk), reverse=True)  # SessionReply's ordering
    return {
        "reminders": reminders,
        "summaries": list(SessionSummary.objects.filter(session=session).order_by("-version")),
        "notices": list(SessionNotice.objects.filter(session=session).select_related("partner")),
        "replies": replies,
    }


UNKNOWN_SHOWN = 20


def reminders_unknown(limit: int = UNKNOWN_SHOWN) -> list[Reminder]:
    """Reminders whose sending was interrupted (a worker died mid-send): each may or may not have reached its
    recipient, so a person checks and resends from the session page. The oldest first, at most `limit`, one query."""
    return list(
        Reminder.objects.filter(status=ReminderStatus.UNKNOWN)
        .select_related("session__couple")
        .order_by("due_at", "pk")[:limit]
    )


def reminder_for_user(user: User, session_uuid, reminder_id: int) -> Reminder:
    """A reminder of a session the user may see; otherwise 404."""
    session = session_for_user(user, session_uuid)
    reminder = Reminder.objects.filter(session=session, pk=reminder_id).select_related("partner", "user").first()
    if reminder is None:
        raise Http404("No such reminder.")
    reminder.session = session
    return reminder


def summary_for_user(user: User, summary_uuid) -> SessionSummary:
    """A summary of a couple the user may see; otherwise 404, as if it did not exist."""
    summary = (
        SessionSummary.objects.select_related("session__couple")
        .filter(uuid=summary_uuid)
        .filter(session__couple__in=visible_couples(user))
        .first()
    )
    if summary is None:
        raise Http404("No such document.")
    return summary


def export_for_admin(user: User, job_uuid) -> ExportJob:
    job = ExportJob.objects.filter(uuid=job_uuid).select_related("requested_by").first()
    if job is None or not policy.may_administer_clinic(user):
        raise Http404("No such export.")
    return job


def recent_exports(limit: int = 20) -> list[ExportJob]:
    return list(ExportJob.objects.select_related("requested_by")[:limit])


def sms_setup() -> dict:
    """How text reminders go out here: refused (and why), only logged, or through the provider."""
    return {
        "refusal": sms_refusal(),
        "logs_only": sms_logs_only(),
        "backend": settings.SMS_BACKEND,
        "mail_logs_only": email_logs_only(),
        "mail_backend": settings.EMAIL_BACKEND,
        "problems": [message for _, message in sms_configuration_problems()],
    }
