"""What happens to a reminder after it left: the SMS provider's signed delivery reports, and resending by a person.

A text counts as "sent" once the provider took it; its delivery status (queued, sent, delivered, undelivered,
failed) then follows the provider's status callbacks, which arrive signed and possibly out of order or twice.
A reminder that failed, whose fate is unknown, or whose text the provider could not deliver, can be sent again
by one of the couple's therapists or a clinic admin: it goes back to the queue as a fresh attempt.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cases import policy
from jobs.choices import (
    DELIVERY_RANK,
    PROVIDER_DELIVERY_STATUS,
    UNDELIVERED_STATUSES,
    Channel,
    ReminderStatus,
)
from jobs.models import Reminder
from jobs.sms_twilio import twilio_signature_valid
from outbox.services import task_send
from sessions.choices import SessionStatus

RESENDABLE = (ReminderStatus.FAILED, ReminderStatus.UNKNOWN, ReminderStatus.SENT)


def status_callback_url() -> str:
    """The public address the SMS provider reports delivery to (signed with the clinic's auth token)."""
    return settings.SITE_URL + reverse("jobs:sms_status")


def sms_signature_valid(*, url: str, params: dict, signature: str) -> bool:
    """Whether a delivery report really comes from the SMS provider (its signature over url and fields)."""
    return twilio_signature_valid(url=url, params=params, signature=signature)


def delivery_fields(*, provider_id: str, provider_status: str) -> dict:
    """The Reminder fields for a provider's first answer to a send."""
    return {
        "provider_id": provider_id[:64],
        "delivery_status": PROVIDER_DELIVERY_STATUS.get(provider_status, ""),
        "delivery_error": "",
        "delivery_updated_at": timezone.now(),
    }


def reminder_delivery_record(*, provider_id: str, provider_status: str, error_code: str = "") -> Reminder | None:
    """Record a (verified) delivery report: the reminder's delivery status moves forward, never back; a report
    for an unknown id, an unknown status or an earlier stage changes nothing. Safe to receive twice."""
    status = PROVIDER_DELIVERY_STATUS.get((provider_status or "").lower())
    if not provider_id or status is None:
        return None
    reminder = Reminder.objects.filter(provider_id=provider_id, channel=Channel.SMS).first()
    if reminder is None:
        return None
    lower = [s for s, rank in DELIVERY_RANK.items() if rank < DELIVERY_RANK[status]]
    error = ""
    if status in UNDELIVERED_STATUSES:
        error = (
            f"The provider could not deliver the text (error {error_code})."
            if error_code
            else ("The provider could not deliver the text.")
        )
    # Conditional, so that two reports racing each other leave the later stage in place.
    Reminder.objects.filter(pk=reminder.pk, provider_id=provider_id).filter(
        Q(delivery_status="") | Q(delivery_status__in=lower)
    ).update(delivery_status=status, delivery_error=error[:120], delivery_updated_at=timezone.now())
    reminder.refresh_from_db()
    return reminder


def reminder_resend_refusal(reminder: Reminder) -> str:
    """Why this reminder cannot be sent again, or "" if it can."""
    if reminder.status not in RESENDABLE:
        return f"A reminder that is {reminder.get_status_display().lower()} is not sent again."
    if reminder.status == ReminderStatus.SENT and reminder.delivery_status not in UNDELIVERED_STATUSES:
        return "This reminder was sent; only one the provider could not deliver is sent again."
    session = reminder.session
    if session.status != SessionStatus.SCHEDULED or session.start != reminder.session_start:
        return "The session was cancelled or moved since; its current reminders are planned for it."
    if session.start <= timezone.now():
        return "The session has already started."
    return ""


def reminder_resend(*, by: User, reminder: Reminder) -> Reminder:
    """Put a failed, unknown or undelivered reminder back in the queue now, as a person decided after checking."""
    policy.require_may_manage_sessions(by, reminder.session.couple, what="resend its reminders")
    refusal = reminder_resend_refusal(reminder)
    if refusal:
        raise ValidationError(refusal)
    now = timezone.now()
    moved = Reminder.objects.filter(pk=reminder.pk, status=reminder.status, updated_at=reminder.updated_at).update(
        status=ReminderStatus.PENDING,
        due_at=min(reminder.due_at, now),
        attempts=0,
        next_attempt_at=None,
        claimed_by="",
        claimed_at=None,
        sending_at=None,
        error="",
        provider_id="",
        delivery_status="",
        delivery_error="",
        delivery_updated_at=None,
        resent_by=by,
        resent_at=now,
        updated_at=now,
    )
    if not moved:
        raise ValidationError("This reminder changed meanwhile; reload the page and check it again.")
    # A worker sends it now rather than at the next sweep (by name: the tasks module sits above this one).
    transaction.on_commit(lambda: task_send("jobs.tasks.reminders_dispatch"), robust=True)
    reminder.refresh_from_db()
    return reminder
