"""The outbox: one row per piece of work a change calls for (reminders, a PDF summary, an export, an e-mail).

The row is written in the change's own transaction, so the work exists exactly when the change does; a worker
delivers it after the commit and marks it sent, and the beat sweep delivers what a lost broker message left.
"""

from django.db import models
from django.db.models import Q


class OutboxKind(models.TextChoices):
    SESSION_CHANGED = "session_changed", "A session was booked, moved or ended: its reminders follow"
    SUMMARY_NEEDED = "summary_needed", "A session needs a new PDF summary"
    EXPORT_REQUESTED = "export_requested", "A case report export was requested"
    QUESTIONNAIRE_LINK = "questionnaire_link", "A questionnaire link to e-mail to a partner"
    PASSWORD_RESET = "password_reset", "A password reset link to e-mail"
    ITEM9_POSITIVE = "item9_positive", "A positive PHQ-9 item 9: the therapists and the prescriber are told"
    DOSING_STOPPED = "dosing_stopped", "The gate shut during a medicine session: its therapist and prescriber are told"


# Kinds whose payload carries a secret (a link's token): it is erased once the e-mail is sent.
SECRET_KINDS = {OutboxKind.QUESTIONNAIRE_LINK}
MAX_ATTEMPTS = 8  # after this many failed deliveries a message waits for a person (it stays listed with its error)


class OutboxMessage(models.Model):
    """Insert in the change's transaction; delivered at least once, by handlers that are safe to run twice."""

    kind = models.CharField(max_length=32, choices=OutboxKind.choices)
    object_id = models.BigIntegerField(null=True, blank=True, help_text="The row the work is about, if any.")
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # A delivery in progress: another worker leaves the message alone until then (a crashed one's lease expires).
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # The sweep reads only what is still waiting, oldest first, however long the history grows.
            models.Index(fields=["id"], condition=Q(sent_at__isnull=True), name="outbox_waiting"),
        ]
        constraints = [
            # A kind outside the list would never be delivered by anyone.
            models.CheckConstraint(condition=Q(kind__in=OutboxKind.values), name="outbox_kind_known"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.object_id or '-'}"
