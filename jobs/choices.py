"""Fixed vocabularies of background work: reminders, session summaries and case report exports."""

from django.db import models


class RecipientKind(models.TextChoices):
    PARTNER = "partner", "Partner"
    THERAPIST = "therapist", "Therapist"


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "Text message"
    NONE = "none", "None (opted out)"


class ReminderStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    CLAIMED = "claimed", "Being prepared"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    LOGGED = "logged", "Logged, not sent (no mail/SMS service configured)"
    FAILED = "failed", "Failed"
    UNKNOWN = "unknown", "Unknown: check by hand"
    SKIPPED = "skipped", "Not sent"
    CANCELLED = "cancelled", "Cancelled"


# The reminder's life: claimed once (conditional UPDATE), marked 'sending' just before the mail server or
# SMS gateway is called, and never sent again once that mark is written. A stale 'claimed' row goes back to
# 'pending' (nothing left the building); a stale 'sending' row becomes 'unknown' for a person to check.
REMINDER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ReminderStatus.PENDING: (ReminderStatus.CLAIMED, ReminderStatus.SKIPPED, ReminderStatus.CANCELLED),
    ReminderStatus.CLAIMED: (
        ReminderStatus.SENDING,
        ReminderStatus.PENDING,
        ReminderStatus.SKIPPED,
        ReminderStatus.CANCELLED,
        ReminderStatus.FAILED,
    ),
    ReminderStatus.SENDING: (
        ReminderStatus.SENT,
        ReminderStatus.LOGGED,
        ReminderStatus.FAILED,
        ReminderStatus.PENDING,
        ReminderStatus.UNKNOWN,
    ),
    # A person may resend what did not arrive (jobs/delivery.py: reminder_resend): a failed or unknown reminder, or a sent text the
    # provider reported undelivered. Nothing else ever leaves these states.
    ReminderStatus.SENT: (ReminderStatus.PENDING,),
    ReminderStatus.LOGGED: (),
    ReminderStatus.FAILED: (ReminderStatus.PENDING,),
    ReminderStatus.UNKNOWN: (ReminderStatus.PENDING,),
    ReminderStatus.SKIPPED: (),
    ReminderStatus.CANCELLED: (ReminderStatus.PENDING,),  # moved back to the time it was planned for
}
OPEN_REMINDER_STATUSES = (ReminderStatus.PENDING, ReminderStatus.CLAIMED)


class DeliveryStatus(models.TextChoices):
    """What the SMS provider reports after it took a text, through its signed status callback."""

    QUEUED = "queued", "Queued at the provider"
    SENT = "sent", "Sent to the network"
    DELIVERED = "delivered", "Delivered"
    UNDELIVERED = "undelivered", "Not delivered"
    FAILED = "failed", "Failed"


# The provider's statuses, mapped onto ours, with their order: callbacks may arrive out of order, and a later
# stage is never overwritten by an earlier one.
PROVIDER_DELIVERY_STATUS = {
    "accepted": DeliveryStatus.QUEUED,
    "scheduled": DeliveryStatus.QUEUED,
    "queued": DeliveryStatus.QUEUED,
    "sending": DeliveryStatus.QUEUED,
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.DELIVERED,
    "undelivered": DeliveryStatus.UNDELIVERED,
    "failed": DeliveryStatus.FAILED,
    "canceled": DeliveryStatus.FAILED,
}
DELIVERY_RANK = {
    DeliveryStatus.QUEUED: 1,
    DeliveryStatus.SENT: 2,
    DeliveryStatus.DELIVERED: 3,
    DeliveryStatus.UNDELIVERED: 3,
    DeliveryStatus.FAILED: 3,
}
UNDELIVERED_STATUSES = (DeliveryStatus.UNDELIVERED, DeliveryStatus.FAILED)


class SummaryTrigger(models.TextChoices):
    SIGNED = "signed", "Note signed"
    AMENDED = "amended", "Note amended"
    COMPLETED = "completed", "Medicine session completed"


class DocumentStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    RENDERING = "rendering", "Being built"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Building"
    DONE = "done", "Ready to download"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired (files deleted)"


class ExportFile(models.TextChoices):
    SESSIONS_CSV = "sessions.csv", "Sessions (CSV, one row per session)"
    COUPLES_CSV = "couples.csv", "Couples (CSV, one row per couple)"
    REPORTS_ZIP = "case-reports.zip", "Case reports (ZIP of one PDF per couple)"


class NoticeKind(models.TextChoices):
    MOVED = "moved", "Session moved"
    CANCELLED = "cancelled", "Session cancelled"


class ReplyAnswer(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    CANCEL_REQUESTED = "cancel", "Asked to cancel"
