"""Reads for the pages of background work, scoped through cases.policy."""

from django.http import Http404

from accounts.models import User
from cases import policy
from cases.policy import visible_couples
from jobs.models import ExportJob, Reminder, SessionSummary


def session_background(*, session) -> dict:
    """The reminders and PDF summaries of one session, for its page (two queries)."""
    return {
        "reminders": list(Reminder.objects.filter(session=session).select_related("partner", "user")
                          .order_by("-session_start", "-lead_minutes", "recipient_kind", "partner__label")),
        "summaries": list(SessionSummary.objects.filter(session=session).order_by("-version")),
    }


def summary_for_user(user: User, summary_uuid) -> SessionSummary:
    """A summary of a couple the user may see; otherwise 404, as if it did not exist."""
    summary = (SessionSummary.objects.select_related("session__couple").filter(uuid=summary_uuid)
               .filter(session__couple__in=visible_couples(user)).first())
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
