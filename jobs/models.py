"""Background work as database rows: reminders, PDF session summaries and case report exports.

The broker only nudges workers; what must happen is written here first, so a lost message, a dead
worker or Redis being down delays work but never loses it.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from jobs.choices import (
    Channel,
    DeliveryStatus,
    DocumentStatus,
    ExportStatus,
    NoticeKind,
    RecipientKind,
    ReminderStatus,
    ReplyAnswer,
    SummaryTrigger,
)
from sessions.choices import Phase


class ReminderLead(models.Model):
    """How long before a session of a phase a reminder goes out; set per phase by the clinic (48 h and 2 h)."""

    phase = models.CharField(max_length=16, choices=Phase.choices)
    minutes_before = models.PositiveIntegerField(
        "minutes before the session",
        validators=[MinValueValidator(5), MaxValueValidator(14 * 24 * 60)],
        help_text="e.g. 2880 for 48 hours, 120 for 2 hours.",
    )

    class Meta:
        ordering = ["phase", "-minutes_before"]
        constraints = [
            # A lead time appears once per phase: two equal leads would send the same reminder twice.
            models.UniqueConstraint(fields=["phase", "minutes_before"], name="reminder_lead_once_per_phase"),
            models.CheckConstraint(condition=Q(phase__in=Phase.values), name="reminder_lead_phase_known"),
        ]

    def __str__(self) -> str:
        return f"{self.get_phase_display()}: {lead_label(self.minutes_before)} before"


def lead_label(minutes: int) -> str:
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return f"{days * 24} h" if days <= 3 else f"{days} days"
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"


class Reminder(models.Model):
    """One reminder to one person about one session at one lead time; claimed once, sent at most once."""

    session = models.ForeignKey("clinical_sessions.TherapySession", on_delete=models.CASCADE, related_name="reminders")
    # The start the reminder was planned for: a moved session gets new rows, and the old ones are cancelled.
    session_start = models.DateTimeField()
    recipient_kind = models.CharField(max_length=10, choices=RecipientKind.choices)
    partner = models.ForeignKey("cases.Partner", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    lead_minutes = models.PositiveIntegerField()
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="After a transient failure.")
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sending_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    # The SMS provider's id of the text and what its signed status callbacks last said (jobs/delivery.py).
    provider_id = models.CharField(max_length=64, blank=True)
    delivery_status = models.CharField(max_length=12, choices=DeliveryStatus.choices, blank=True)
    delivery_error = models.CharField(max_length=120, blank=True)
    delivery_updated_at = models.DateTimeField(null=True, blank=True)
    resent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who last asked to send it again.",
    )
    resent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["status", "due_at"]), models.Index(fields=["session", "session_start"])]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ReminderStatus.values), name="reminder_status_known"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="reminder_channel_known"),
            # A reminder goes to exactly one person: a partner, or the therapist (a user).
            models.CheckConstraint(
                condition=Q(recipient_kind=RecipientKind.PARTNER, partner__isnull=False, user__isnull=True)
                | Q(recipient_kind=RecipientKind.THERAPIST, partner__isnull=True, user__isnull=False),
                name="reminder_one_recipient",
            ),
            # Planning twice (a retried task, two beats) finds the row instead of making a second one.
            models.UniqueConstraint(
                fields=["session", "session_start", "partner", "lead_minutes"],
                condition=Q(partner__isnull=False),
                name="reminder_once_per_partner_lead",
            ),
            models.UniqueConstraint(
                fields=["session", "session_start", "user", "lead_minutes"],
                condition=Q(user__isnull=False),
                name="reminder_once_per_user_lead",
            ),
            # 'sent' always says when.
            models.CheckConstraint(
                condition=~Q(status=ReminderStatus.SENT) | Q(sent_at__isnull=False), name="reminder_sent_has_time"
            ),
            # A status callback finds exactly one reminder by the provider's id.
            models.UniqueConstraint(
                fields=["provider_id"], condition=~Q(provider_id=""), name="reminder_provider_id_once"
            ),
            models.CheckConstraint(
                condition=Q(delivery_status="") | Q(delivery_status__in=DeliveryStatus.values),
                name="reminder_delivery_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{lead_label(self.lead_minutes)} reminder to {self.recipient_label} ({self.get_status_display()})"

    @property
    def recipient_label(self) -> str:
        if self.recipient_kind == RecipientKind.PARTNER:
            return f"{self.partner.get_label_display()} ({self.partner.first_name})"
        return f"therapist ({self.user})"

    @property
    def lead_label(self) -> str:
        return lead_label(self.lead_minutes)


def summary_path(instance, filename: str) -> str:
    return f"summaries/{instance.session.couple.uuid}/{instance.uuid}.pdf"


class SessionSummary(models.Model):
    """A PDF summary of a session, built after its note is signed or amended (or a medicine session completed)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey("clinical_sessions.TherapySession", on_delete=models.PROTECT, related_name="summaries")
    version = models.PositiveIntegerField()
    trigger = models.CharField(max_length=10, choices=SummaryTrigger.choices)
    # The amendment this version includes up to, so that one amendment asks for one version.
    amendment_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.PENDING)
    file = models.FileField(upload_to=summary_path, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session", "-version"]
        verbose_name_plural = "session summaries"
        constraints = [
            models.UniqueConstraint(fields=["session", "version"], name="summary_version_once"),
            # One version per (trigger, amendments so far): asking twice finds the same row.
            models.UniqueConstraint(fields=["session", "trigger", "amendment_count"], name="summary_once_per_change"),
            models.CheckConstraint(condition=Q(status__in=DocumentStatus.values), name="summary_status_known"),
            models.CheckConstraint(
                condition=~Q(status=DocumentStatus.READY) | ~Q(file=""), name="summary_ready_has_file"
            ),
        ]

    def __str__(self) -> str:
        return f"Summary v{self.version} of {self.session}"

    @property
    def filename(self) -> str:
        local = timezone.localtime(self.session.start)
        return f"{self.session.couple.case_number}-{self.session.phase}-{local:%Y%m%d}-v{self.version}.pdf"


def export_path(instance, filename: str) -> str:
    return f"exports/{instance.uuid}/{filename}"


class ExportJob(models.Model):
    """An admin's case report export: the filters, its progress, its files and when they are deleted."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filters = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    sessions_csv = models.FileField(upload_to=export_path, blank=True)
    couples_csv = models.FileField(upload_to=export_path, blank=True)
    reports_zip = models.FileField(upload_to=export_path, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ExportStatus.values), name="export_status_known"),
            models.CheckConstraint(
                condition=Q(progress_done__lte=models.F("progress_total")), name="export_progress_within_total"
            ),
            # A finished export always says when its files go.
            models.CheckConstraint(
                condition=~Q(status=ExportStatus.DONE) | Q(expires_at__isnull=False), name="export_done_expires"
            ),
        ]

    def __str__(self) -> str:
        return f"Export {self.uuid} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        return int(self.progress_done * 100 / self.progress_total) if self.progress_total else 0

    @property
    def is_downloadable(self) -> bool:
        return self.status == ExportStatus.DONE and self.expires_at is not None and self.expires_at > timezone.now()


class SessionNotice(models.Model):
    """A message to a partner that their session moved or was cancelled, by their reminder channel; sent once.

    session_start is the start it announces (the new one for a move), so a session moved twice gets two notices
    and only the latest is sent if the first has not gone yet (jobs/notices.py)."""

    session = models.ForeignKey("clinical_sessions.TherapySession", on_delete=models.CASCADE, related_name="notices")
    partner = models.ForeignKey("cases.Partner", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=NoticeKind.choices)
    session_start = models.DateTimeField()
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sending_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=NoticeKind.values), name="notice_kind_known"),
            models.CheckConstraint(condition=Q(status__in=ReminderStatus.values), name="notice_status_known"),
            # Announcing the same change twice (a retried task) finds the row instead of texting twice.
            models.UniqueConstraint(fields=["session", "partner", "kind", "session_start"], name="notice_once"),
            models.CheckConstraint(
                condition=~Q(status=ReminderStatus.SENT) | Q(sent_at__isnull=False), name="notice_sent_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} notice to {self.partner.first_name} ({self.get_status_display()})"


class SessionReply(models.Model):
    """A partner's answer to a reminder's link: they confirm the appointment or ask to cancel it (jobs/replies.py).

    One per reminder: the link is single-use. Asking to cancel does not cancel: the therapist decides."""

    reminder = models.OneToOneField(Reminder, on_delete=models.CASCADE, related_name="reply")
    session = models.ForeignKey("clinical_sessions.TherapySession", on_delete=models.CASCADE, related_name="replies")
    partner = models.ForeignKey("cases.Partner", on_delete=models.CASCADE, related_name="+")
    answer = models.CharField(max_length=10, choices=ReplyAnswer.choices)
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-answered_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(answer__in=ReplyAnswer.values), name="reply_answer_known"),
        ]

    def __str__(self) -> str:
        return f"{self.partner.first_name}: {self.get_answer_display()}"
