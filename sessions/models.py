"""Therapy sessions of a couple, their status history, rooms, and the signed notes that document them."""

import datetime
import hashlib
import json
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from audit.querysets import AuditedQuerySet, InsertOnlyQuerySet
from sessions.choices import (
    NOTE_FIELDS,
    MedicineState,
    NoteStatus,
    Phase,
    Place,
    SessionEventKind,
    SessionStatus,
)

MAX_SESSION_MINUTES = 12 * 60


class Room(models.Model):
    """An office room sessions can be held in; a retired room stays for the sessions it held."""

    name = models.CharField(max_length=60, unique=True)
    active = models.BooleanField(default=True, help_text="Untick to stop booking this room; past sessions keep it.")
    notes = models.CharField(max_length=200, blank=True, help_text="e.g. has a recliner, wheelchair accessible.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TherapySession(models.Model):
    """One appointment of a couple with a therapist: phase, time (UTC), place and status.

    Change it only through sessions.services, where the protocol, clash and status rules live.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    couple = models.ForeignKey("cases.Couple", on_delete=models.PROTECT, related_name="sessions")
    phase = models.CharField(max_length=16, choices=Phase.choices)
    therapist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="therapy_sessions")
    start = models.DateTimeField(help_text="Stored in UTC, shown in the clinic's time zone.")
    duration_minutes = models.PositiveIntegerField("duration (minutes)")
    # Kept with start and duration so that clash queries are plain comparisons on every database.
    end = models.DateTimeField(editable=False)
    place = models.CharField(max_length=16, choices=Place.choices)
    room = models.ForeignKey(Room, on_delete=models.PROTECT, null=True, blank=True, related_name="sessions")
    status = models.CharField(max_length=16, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED)
    status_changed_at = models.DateTimeField(default=timezone.now)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    objects = AuditedQuerySet.as_manager()
    # A telehealth session's own video link; empty uses its therapist's default (sessions/telehealth.py).
    video_url = models.URLField("video link", max_length=300, blank=True)
    approval = models.ForeignKey(
        "dosing.Approval",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="medicine_sessions",
        help_text="The prescriber approval a medicine session stands on; set by the services, never by hand.",
    )
    # The medicine session's lifecycle, as facts (dosing.lifecycle moves them, one transition at a time):
    # started by its therapist, dosing declared done (observation), or blocked because the gate shut after booking.
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    dosing_done_at = models.DateTimeField(null=True, blank=True, editable=False)
    blocked_reason = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            models.Index(fields=["therapist", "start"]),
            models.Index(fields=["room", "start"]),
            models.Index(fields=["couple", "start"]),
            # The prescriber's panel: medicine sessions of this week and of the last two weeks, clinic-wide.
            models.Index(fields=["phase", "start"], name="session_phase_start_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(phase__in=Phase.values), name="session_phase_known"),
            models.CheckConstraint(condition=Q(status__in=SessionStatus.values), name="session_status_known"),
            models.CheckConstraint(condition=Q(place__in=Place.values), name="session_place_known"),
            # A session takes time, and no clinic session runs past half a day.
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0, duration_minutes__lte=MAX_SESSION_MINUTES),
                name="session_duration_positive",
                violation_error_message="A session lasts between 1 minute and 12 hours.",
            ),
            # Only a medicine session is started, moves to observation or is blocked; observation follows the start,
            # and a blocked session has not started.
            models.CheckConstraint(
                condition=Q(phase="medicine")
                | Q(started_at__isnull=True, dosing_done_at__isnull=True, blocked_reason=""),
                name="session_stages_only_medicine",
            ),
            models.CheckConstraint(
                condition=Q(dosing_done_at__isnull=True) | Q(started_at__isnull=False),
                name="session_observation_after_start",
            ),
            models.CheckConstraint(
                condition=Q(blocked_reason="") | Q(started_at__isnull=True), name="session_blocked_not_started"
            ),
            # The end is derived from start and duration; it can never come first.
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="session_ends_after_start"),
            # The gate, in the database: a medicine session cannot exist without its prescriber approval, and
            # only medicine sessions carry one.
            models.CheckConstraint(
                condition=Q(phase=Phase.MEDICINE, approval__isnull=False)
                | (~Q(phase=Phase.MEDICINE) & Q(approval__isnull=True)),
                name="session_medicine_has_approval",
                violation_error_message="A medicine session needs a prescriber approval in force.",
            ),
            # A video link is for a telehealth session, and only over HTTPS (it carries the meeting's secret).
            models.CheckConstraint(
                condition=Q(video_url="") | Q(place=Place.TELEHEALTH, video_url__startswith="https://"),
                name="session_video_https_telehealth",
                violation_error_message="A video link is an https:// address, for a telehealth session.",
            ),
            # An office session is in a room; telehealth and home sessions are not.
            models.CheckConstraint(
                condition=Q(place=Place.OFFICE, room__isnull=False) | (~Q(place=Place.OFFICE) & Q(room__isnull=True)),
                name="session_room_iff_office",
                violation_error_message="Choose a room for an office session (and none for telehealth or home).",
            ),
        ]

    def __str__(self) -> str:
        local = timezone.localtime(self.start)
        return f"{self.get_phase_display()} · {self.couple} · {local:%Y-%m-%d %H:%M}"

    def _derive_end(self) -> None:
        if self.start is not None and self.duration_minutes:
            # Elapsed minutes: in UTC, so that a start given on the clinic's clock does not add wall-clock time
            # across a daylight-saving change.
            self.end = self.start.astimezone(datetime.UTC) + datetime.timedelta(minutes=self.duration_minutes)

    def save(self, *args, **kwargs):
        self._derive_end()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self._derive_end()
        errors = {}
        if self.duration_minutes is not None and not 0 < self.duration_minutes <= MAX_SESSION_MINUTES:
            errors["duration_minutes"] = "The session must end after it starts, and last at most 12 hours."
        if self.place == Place.OFFICE and self.room_id is None:
            errors["room"] = "Choose the office room."
        if self.place != Place.OFFICE and self.room_id is not None:
            errors["room"] = f"A {Place(self.place).label.lower()} session has no office room."
        if errors:
            raise ValidationError(errors)

    @property
    def title(self) -> str:
        """'Preparation session', 'Medicine session', 'Follow-up session'."""
        label = self.get_phase_display()
        return label if label.endswith("session") else f"{label} session"

    @property
    def medicine_state(self) -> str | None:
        """The medicine session's state (MedicineState) read from its status and lifecycle facts; None otherwise."""
        if self.phase != Phase.MEDICINE:
            return None
        if self.status != SessionStatus.SCHEDULED:
            return MedicineState(self.status)
        if self.dosing_done_at is not None:
            return MedicineState.OBSERVATION
        if self.started_at is not None:
            return MedicineState.IN_PROGRESS
        return MedicineState.BLOCKED if self.blocked_reason else MedicineState.BOOKED

    def get_medicine_state_display(self) -> str:
        state = self.medicine_state
        return MedicineState(state).label if state else ""

    @property
    def place_label(self) -> str:
        return str(self.room) if self.place == Place.OFFICE and self.room_id else self.get_place_display()

    @property
    def join_url(self) -> str:
        """The link to join a telehealth session: its own, else its therapist's standing room; "" otherwise.
        Select therapist__video_link with the session to read it without a query."""
        if self.place != Place.TELEHEALTH:
            return ""
        if self.video_url:
            return self.video_url
        try:
            return self.therapist.video_link.url
        except ClinicianVideoLink.DoesNotExist:
            return ""

    @property
    def is_final(self) -> bool:
        return self.status != SessionStatus.SCHEDULED


class SessionEvent(models.Model):
    """A line in a session's history: booked, moved, or its status changed; by whom and when. Append-only."""

    session = models.ForeignKey(TherapySession, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=SessionEventKind.choices)
    from_status = models.CharField(max_length=16, choices=SessionStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=SessionStatus.choices, blank=True)
    summary = models.CharField(max_length=300)
    note = models.TextField(blank=True)
    # None: the clinic's scheduled check did it (a medicine session blocked because its approval expired).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=SessionEventKind.values), name="session_event_kind_known"),
            # A status change always names both ends of the move.
            models.CheckConstraint(
                condition=~Q(kind=SessionEventKind.STATUS) | (~Q(from_status="") & ~Q(to_status="")),
                name="session_event_status_has_both_ends",
            ),
        ]

    def __str__(self) -> str:
        return self.summary


class SignedNoteLocked(ValidationError):
    """Raised when anything tries to change or delete a signed note."""


class SessionNote(models.Model):
    """The therapist's note of one session: drafted, then signed by that therapist, then locked for good.

    A correction is a NoteAmendment under it, never an edit.
    """

    session = models.OneToOneField(TherapySession, on_delete=models.PROTECT, related_name="note")
    objects = AuditedQuerySet.as_manager()
    content = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=NoteStatus.choices, default=NoteStatus.DRAFT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    content_hash = models.CharField(max_length=64, blank=True, help_text="SHA-256 of what was signed.")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(status__in=NoteStatus.values), name="note_status_known"),
            # A signature says who signed and when; a draft has neither.
            models.CheckConstraint(
                condition=Q(status=NoteStatus.DRAFT, signed_by__isnull=True, signed_at__isnull=True)
                | Q(status=NoteStatus.SIGNED, signed_by__isnull=False, signed_at__isnull=False),
                name="note_signature_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"Note of {self.session}"

    @property
    def is_signed(self) -> bool:
        return self.status == NoteStatus.SIGNED

    def compute_hash(self) -> str:
        """The SHA-256 of what the therapist signs: the session, the content, the signer and the time."""
        payload = json.dumps(
            {
                "session": str(self.session.uuid),
                "content": self.content or {},
                "signed_by": self.signed_by_id,
                "signed_at": self.signed_at.isoformat() if self.signed_at else None,
            },
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(payload.encode()).hexdigest()

    @property
    def matches_signature(self) -> bool:
        """Whether the stored note is still what was signed (False also flags a signed note with no hash)."""
        return self.is_signed and self.content_hash == self.compute_hash()

    def sections(self) -> list[tuple[str, str]]:
        """The note's parts in the phase's order, as (label, text)."""
        return [(f.label, (self.content or {}).get(f.key, "")) for f in NOTE_FIELDS.get(self.session.phase, ())]

    def save(self, *args, **kwargs):
        # The lock is checked against the stored row, so no entry point (admin, shell, service) can rewrite
        # a signed note by saving a stale or altered instance.
        if self.pk and SessionNote.objects.filter(pk=self.pk, status=NoteStatus.SIGNED).exists():
            raise SignedNoteLocked("This note is signed and locked; add an amendment instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if SessionNote.objects.filter(pk=self.pk, status=NoteStatus.SIGNED).exists():
            raise SignedNoteLocked("A signed note is kept for good.")
        return super().delete(*args, **kwargs)


class NoteAmendment(models.Model):
    """A dated correction or addition to a signed note, by a named user, shown under the original. Append-only."""

    note = models.ForeignKey(SessionNote, on_delete=models.PROTECT, related_name="amendments")
    objects = InsertOnlyQuerySet.as_manager()
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # An amendment says something.
            models.CheckConstraint(condition=~Q(text=""), name="amendment_not_empty"),
        ]

    def __str__(self) -> str:
        return f"Amendment to {self.note} by {self.author}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise ValidationError("An amendment is never changed; add another one.")
        super().save(*args, **kwargs)


class CalendarFeed(models.Model):
    """A clinician's private iCalendar feed of their sessions (sessions/feeds.py). The address carries a random
    token that is stored only as its SHA-256, so a copy of the database does not open anyone's calendar;
    regenerating revokes the old address, and a revoked one answers 404."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    show_first_names = models.BooleanField(
        default=False, help_text="Off: partners appear by their initials only, which is the default."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One working address per clinician: a new one replaces the old.
            models.UniqueConstraint(
                fields=["user"], condition=Q(revoked_at__isnull=True), name="calendar_feed_one_active_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"Calendar feed of {self.user} ({'revoked' if self.revoked_at else 'active'})"


class ClinicianVideoLink(models.Model):
    """A therapist's standing video room, used for their telehealth sessions that have no link of their own."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="video_link")
    url = models.URLField("default video link", max_length=300)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(url__startswith="https://"),
                name="clinician_video_https",
                violation_error_message="A video link is an https:// address.",
            ),
        ]

    def __str__(self) -> str:
        return f"Video link of {self.user}"
