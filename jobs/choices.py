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
    FAILED = "failed", "Failed"
    UNKNOWN = "unknown", "Unknown: check by hand"
    SKIPPED = "skipped", "Not sent"
    CANCELLED = "cancelled", "Cancelled"


# The reminder's life: claimed once (conditional UPDATE), marked 'sending' just before the mail server or
# SMS gateway is called, and never sent again once that mark is written. A stale 'claimed' row goes back to
# 'pending' (nothing left the building); a stale 'sending' row becomes 'unknown' for a person to check.
REMINDER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ReminderStatus.PENDING: (ReminderStatus.CLAIMED, ReminderStatus.SKIPPED, ReminderStatus.CANCELLED),
    ReminderStatus.CLAIMED: (ReminderStatus.SENDING, ReminderStatus.PENDING, ReminderStatus.SKIPPED,
                             ReminderStatus.CANCELLED, ReminderStatus.FAILED),
    ReminderStatus.SENDING: (ReminderStatus.SENT, ReminderStatus.FAILED, ReminderStatus.PENDING,
                             ReminderStatus.UNKNOWN),
    ReminderStatus.SENT: (),
    ReminderStatus.FAILED: (),
    ReminderStatus.UNKNOWN: (),
    ReminderStatus.SKIPPED: (),
    ReminderStatus.CANCELLED: (ReminderStatus.PENDING,),  # moved back to the time it was planned for
}
OPEN_REMINDER_STATUSES = (ReminderStatus.PENDING, ReminderStatus.CLAIMED)


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
