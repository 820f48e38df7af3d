"""Integration work and repeated measures: what each integration session follows, the couple's commitments,
and single-use questionnaire links a partner answers without an account."""

import hashlib
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from cases.choices import QuestionnaireContext
from cases.instruments import INSTRUMENT_CHOICES, INSTRUMENTS
from integration.choices import (
    CommitmentEventKind,
    CommitmentKind,
    CommitmentOwner,
    CommitmentStatus,
    LinkState,
)

SESSION_MODEL = "clinical_sessions.TherapySession"


class IntegrationRecord(models.Model):
    """One integration session and the medicine session it follows (the latest one before it in the plan).

    Kept in step with the calendar by integration.services.integration_links_sync; the partners' reflections
    and shared insights are written in the session's signed note, the commitments hang off this record.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    couple = models.ForeignKey("cases.Couple", on_delete=models.PROTECT, related_name="integration_records")
    session = models.OneToOneField(SESSION_MODEL, on_delete=models.PROTECT, related_name="integration_record")
    follows = models.ForeignKey(
        SESSION_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="integrations_after",
        help_text="The medicine session this integration follows; empty only if that session left the plan.",
    )
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session__start", "id"]
        constraints = [
            # An integration session follows another session, never itself.
            models.CheckConstraint(condition=~Q(follows=F("session")), name="integration_follows_another_session"),
        ]

    def __str__(self) -> str:
        return f"Integration record of {self.session}"

    def clean(self) -> None:
        from sessions.choices import Phase

        errors = {}
        if self.session.phase != Phase.INTEGRATION:
            errors["session"] = "Only an integration session has an integration record."
        elif self.session.couple_id != self.couple_id:
            errors["session"] = "The session belongs to another couple."
        if self.follows is not None:
            if self.follows.phase != Phase.MEDICINE:
                errors["follows"] = "An integration session follows a medicine session."
            elif self.follows.couple_id != self.couple_id:
                errors["follows"] = "The medicine session belongs to another couple."
            elif self.follows.start >= self.session.start:
                errors["follows"] = "The medicine session must come before the integration session."
        if errors:
            raise ValidationError(errors)


class Commitment(models.Model):
    """A practice, conversation or homework a couple commits to in an integration session, with its owner
    (partner A, B or both), a due date and a status that later sessions review. Change it with the services."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    couple = models.ForeignKey("cases.Couple", on_delete=models.PROTECT, related_name="commitments")
    made_in = models.ForeignKey(IntegrationRecord, on_delete=models.PROTECT, related_name="commitments")
    kind = models.CharField(max_length=16, choices=CommitmentKind.choices)
    text = models.CharField("commitment", max_length=500)
    owner = models.CharField(max_length=4, choices=CommitmentOwner.choices)
    due_on = models.DateField("due on")
    status = models.CharField(max_length=16, choices=CommitmentStatus.choices, default=CommitmentStatus.OPEN)
    status_changed_at = models.DateTimeField(default=timezone.now)
    status_changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["couple", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=CommitmentKind.values), name="commitment_kind_known"),
            models.CheckConstraint(condition=Q(owner__in=CommitmentOwner.values), name="commitment_owner_known"),
            models.CheckConstraint(condition=Q(status__in=CommitmentStatus.values), name="commitment_status_known"),
            # A commitment says what is committed to.
            models.CheckConstraint(condition=~Q(text=""), name="commitment_text_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text}"

    @property
    def is_active(self) -> bool:
        return self.status in (CommitmentStatus.OPEN, CommitmentStatus.IN_PROGRESS)

    @property
    def overdue(self) -> bool:
        return self.is_active and self.due_on < timezone.localdate()


class CommitmentEvent(models.Model):
    """A line in a commitment's history: made, reviewed, or its status changed; in which session, by whom, when.
    Append-only."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=CommitmentEventKind.choices)
    from_status = models.CharField(max_length=16, choices=CommitmentStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=CommitmentStatus.choices, blank=True)
    session = models.ForeignKey(
        SESSION_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The session in which the commitment was made or reviewed.",
    )
    note = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=CommitmentEventKind.values), name="commitment_event_kind_known"
            ),
            # A status change always names both ends of the move.
            models.CheckConstraint(
                condition=~Q(kind=CommitmentEventKind.STATUS) | (~Q(from_status="") & ~Q(to_status="")),
                name="commitment_event_status_has_both_ends",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.commitment}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise ValidationError("A commitment's history is never changed; add another line.")
        super().save(*args, **kwargs)


def token_hash(token: str) -> str:
    """What is stored of a link's token: its SHA-256, so the table alone cannot open any questionnaire."""
    return hashlib.sha256(token.encode()).hexdigest()


class QuestionnaireLink(models.Model):
    """A single-use, expiring link by which one partner answers one questionnaire without signing in.

    Only the token's hash is stored; the token itself travels in the e-mail and nowhere else.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    partner = models.ForeignKey("cases.Partner", on_delete=models.PROTECT, related_name="questionnaire_links")
    instrument = models.CharField(max_length=8, choices=INSTRUMENT_CHOICES)
    context = models.CharField(max_length=20, choices=QuestionnaireContext.choices)
    session = models.ForeignKey(
        SESSION_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The session the questionnaire is due for, if any.",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    emailed_at = models.DateTimeField(null=True, blank=True)
    # Handed to a backend that only logs (kapcouples/mail.py): the partner got nothing, the page says so.
    email_logged = models.BooleanField("e-mail only logged, not sent", default=False)
    used_at = models.DateTimeField(null=True, blank=True)
    response = models.OneToOneField(
        "cases.QuestionnaireResponse", on_delete=models.PROTECT, null=True, blank=True, related_name="link"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdraw_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(instrument__in=list(INSTRUMENTS)), name="link_instrument_known"),
            models.CheckConstraint(condition=Q(context__in=QuestionnaireContext.values), name="link_context_known"),
            # A link is answered exactly when it has its response.
            models.CheckConstraint(
                condition=Q(used_at__isnull=True, response__isnull=True)
                | Q(used_at__isnull=False, response__isnull=False),
                name="link_used_iff_response",
            ),
            # A withdrawal says who withdrew it and when.
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True, withdrawn_by__isnull=True)
                | Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False),
                name="link_withdrawal_complete",
            ),
            # An answered link cannot be withdrawn, nor a withdrawn one answered.
            models.CheckConstraint(
                condition=Q(used_at__isnull=True) | Q(withdrawn_at__isnull=True), name="link_used_or_withdrawn_not_both"
            ),
            models.CheckConstraint(condition=Q(expires_at__gt=F("created_at")), name="link_expires_after_creation"),
            # One live link per partner and questionnaire: a new link replaces (withdraws) the old one, so an
            # old e-mail can never be answered beside a newer one.
            models.UniqueConstraint(
                fields=["partner", "instrument"],
                condition=Q(used_at__isnull=True, withdrawn_at__isnull=True),
                name="one_live_link_per_partner_instrument",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} link for {self.partner}"

    @property
    def state(self) -> str:
        if self.used_at is not None:
            return LinkState.USED
        if self.withdrawn_at is not None:
            return LinkState.WITHDRAWN
        if self.expires_at <= timezone.now():
            return LinkState.EXPIRED
        return LinkState.LIVE

    def get_state_display(self) -> str:
        return LinkState(self.state).label

    @property
    def definition(self):
        return INSTRUMENTS[self.instrument]
