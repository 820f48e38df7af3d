"""The case: a couple of two partners, each partner's screening, and the case's history."""

import datetime
import unicodedata
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from audit.querysets import AuditedQuerySet, InsertOnlyQuerySet
from cases.choices import (
    Condition,
    Contraindication,
    CoupleStatus,
    EventKind,
    InteractingMedication,
    Item9Decision,
    PartnerLabel,
    QuestionnaireContext,
    ReminderChannel,
    ScreeningOutcome,
)
from cases.instruments import INSTRUMENT_CHOICES, INSTRUMENTS
from cases.phones import E164_REGEX, phone_normalize, phone_sms_problem

ADULT_AGE = 18
# A plausible adult weight, the one range screening and every approved dose accept: below 30 kg or above 350 kg is
# almost always a slip (grams, pounds, a missing or extra digit) rather than a patient, and a mg/kg dose set on
# it would be wrong by the same factor. Adults outside it exist; their prescriber corrects the screening first.
WEIGHT_KG_MIN, WEIGHT_KG_MAX = 30, 350

case_number_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9-]{2,19}$", "Use 3 to 20 capital letters, digits and hyphens, e.g. KAP-0042."
)


def age_on(date_of_birth: datetime.date, day: datetime.date) -> int:
    return day.year - date_of_birth.year - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))


class Couple(models.Model):
    """The case: two partners treated together, their care team and where they are in treatment."""

    objects = AuditedQuerySet.as_manager()
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case_number = models.CharField(max_length=20, unique=True, validators=[case_number_validator])
    status = models.CharField(max_length=16, choices=CoupleStatus.choices, default=CoupleStatus.REFERRED)
    therapists = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="therapist_couples")
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="prescriber_couples",
        help_text="Reviews screening and approves dosing for this couple.",
    )
    treatment_goals = models.TextField(blank=True)
    relationship_concerns = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    status_changed_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["case_number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CoupleStatus.values),
                name="couple_status_known",
                violation_error_message="Unknown couple status.",
            ),
        ]
        indexes = [models.Index(fields=["status", "case_number"])]

    def __str__(self) -> str:
        return self.case_number

    @property
    def is_open(self) -> bool:
        return self.status in (CoupleStatus.REFERRED, CoupleStatus.SCREENING, CoupleStatus.ACTIVE)


def search_text(value: str) -> str:
    """Text as the couple search compares it: accents dropped, case folded, spaces collapsed ("Zoë  Núñez" ->
    "zoe nunez"). Letters without a decomposition (ø, ł) stay as they are."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.casefold().split())


class Partner(models.Model):
    """One of the couple's two partners, with contact details and how they want reminders."""

    objects = AuditedQuerySet.as_manager()
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    couple = models.ForeignKey(Couple, on_delete=models.CASCADE, related_name="partners")
    label = models.CharField(max_length=1, choices=PartnerLabel.choices)
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    date_of_birth = models.DateField()
    pronouns = models.CharField(max_length=40, blank=True, help_text="e.g. she/her, he/him, they/them")
    email = models.EmailField(blank=True)
    phone = models.CharField(
        max_length=32, blank=True, help_text="Stored in E.164 (+12025550143); typed the clinic's way or with +country."
    )
    # A number from before numbers were checked that could not be read: kept, shown, never texted, until corrected.
    phone_to_correct = models.CharField("phone number to correct", max_length=32, blank=True, editable=False)
    reminder_channel = models.CharField(
        "preferred reminder channel", max_length=8, choices=ReminderChannel.choices, default=ReminderChannel.EMAIL
    )
    emergency_contact_name = models.CharField(max_length=120, blank=True)
    # Stored in E.164 like the partner's own phone; a number from before numbers were checked that could not be
    # read stays as typed (shown as is) until the partner's details are next saved, which asks for a real number.
    emergency_contact_phone = models.CharField(
        max_length=32, blank=True, help_text="Typed the clinic's way or with +country; stored in E.164."
    )
    emergency_contact_relationship = models.CharField(max_length=60, blank=True)
    # "first last" as search_text() reads it, kept by save() (bulk inserts set it themselves): the couple list
    # finds a partner by any part of the name, without accents or case, on PostgreSQL and SQLite alike.
    search_name = models.CharField(max_length=170, blank=True, editable=False)

    class Meta:
        ordering = ["couple", "label"]
        constraints = [
            # A couple is exactly two partners: the labels A and B, each at most once.
            models.UniqueConstraint(
                fields=["couple", "label"],
                name="partner_label_unique_per_couple",
                violation_error_message="This couple already has that partner; a couple has exactly two.",
            ),
            models.CheckConstraint(condition=Q(label__in=PartnerLabel.values), name="partner_label_a_or_b"),
            # Questionnaire links and reminders go to this address: it identifies one person.
            models.UniqueConstraint(
                Lower("email"),
                name="partner_email_unique_ci",
                condition=~Q(email=""),
                violation_error_message="Another partner already uses this e-mail address.",
            ),
            # A reminder channel must have an address to send to.
            models.CheckConstraint(
                condition=~Q(reminder_channel=ReminderChannel.EMAIL, email=""),
                name="partner_email_channel_has_email",
                violation_error_message="E-mail reminders need an e-mail address.",
            ),
            models.CheckConstraint(
                condition=~Q(reminder_channel=ReminderChannel.SMS, phone="", phone_to_correct=""),
                name="partner_sms_channel_has_phone",
                violation_error_message="Text-message reminders need a phone number.",
            ),
            # Texts and calls go to one canonical form of the number (cases/phones.py).
            models.CheckConstraint(
                condition=Q(phone="") | Q(phone__regex=E164_REGEX),
                name="partner_phone_e164",
                violation_error_message="The phone number is stored in E.164, e.g. +12025550143.",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        self.search_name = search_text(f"{self.first_name} {self.last_name}")
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"first_name", "last_name"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_name"}
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def age(self) -> int:
        return age_on(self.date_of_birth, timezone.localdate())

    def get_constraints(self):
        # clean() checks the e-mail itself, to show the message next to the field; the
        # database constraint still stands behind it.
        return [
            (model, [c for c in constraints if c.name != "partner_email_unique_ci"])
            for model, constraints in super().get_constraints()
        ]

    def clean(self) -> None:
        errors = {}
        if self.date_of_birth:
            today = timezone.localdate()
            if self.date_of_birth > today:
                errors["date_of_birth"] = "The date of birth is in the future."
            elif age_on(self.date_of_birth, today) < ADULT_AGE:
                errors["date_of_birth"] = "Partners must be 18 or older: being under 18 rules out ketamine treatment."
            elif age_on(self.date_of_birth, today) > 120:
                errors["date_of_birth"] = "Check the date of birth: that is over 120 years ago."
        if self.email:
            self.email = self.email.strip().lower()
            if Partner.objects.filter(email__iexact=self.email).exclude(pk=self.pk).exists():
                errors["email"] = "Another partner already uses this e-mail address."
        if self.reminder_channel == ReminderChannel.EMAIL and not self.email:
            errors["email"] = "E-mail reminders need an e-mail address (or choose another channel)."
        if self.phone:
            try:
                self.phone = phone_normalize(self.phone)
            except ValidationError as exc:
                errors["phone"] = exc.messages
            else:
                self.phone_to_correct = ""  # a valid number replaces the unreadable one from before
                problem = phone_sms_problem(self.phone) if self.reminder_channel == ReminderChannel.SMS else ""
                if problem:
                    errors["phone"] = problem
        if self.emergency_contact_phone:
            try:
                self.emergency_contact_phone = phone_normalize(self.emergency_contact_phone)
            except ValidationError as exc:
                errors["emergency_contact_phone"] = [
                    "The emergency contact's number is not a phone number. " + exc.messages[0]
                ]
        if self.reminder_channel == ReminderChannel.SMS and not self.phone and "phone" not in errors:
            errors["phone"] = "Text-message reminders need a phone number (or choose another channel)."
        if errors:
            raise ValidationError(errors)


class Screening(models.Model):
    """A partner's screening: conditions, medical checks, vitals, consent and the eligibility outcome."""

    objects = AuditedQuerySet.as_manager()
    partner = models.OneToOneField(Partner, on_delete=models.CASCADE, related_name="screening")
    medicine_candidate = models.BooleanField(
        "screened to take ketamine",
        default=True,
        help_text="Untick for a partner who will only be the sober support; they need consent, not clearance.",
    )
    conditions = models.JSONField(default=list, blank=True)
    military_or_veteran = models.BooleanField("military or veteran", default=False)
    interacting_medications = models.JSONField(default=list, blank=True)
    current_medications = models.TextField(blank=True)
    allergies = models.TextField(blank=True)
    medical_history = models.TextField(blank=True)

    systolic = models.PositiveSmallIntegerField(
        "baseline systolic (mmHg)", null=True, blank=True, validators=[MinValueValidator(60), MaxValueValidator(260)]
    )
    diastolic = models.PositiveSmallIntegerField(
        "baseline diastolic (mmHg)", null=True, blank=True, validators=[MinValueValidator(30), MaxValueValidator(160)]
    )
    heart_rate = models.PositiveSmallIntegerField(
        "baseline heart rate (bpm)", null=True, blank=True, validators=[MinValueValidator(25), MaxValueValidator(220)]
    )
    weight_kg = models.DecimalField(
        "weight (kg)",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(WEIGHT_KG_MIN), MaxValueValidator(WEIGHT_KG_MAX)],
        help_text="Doses are often set in mg/kg.",
    )

    consent_signed_on = models.DateField("consent signed on", null=True, blank=True)
    consent_version = models.CharField("consent form version", max_length=20, blank=True)

    outcome = models.CharField(max_length=16, choices=ScreeningOutcome.choices, default=ScreeningOutcome.PENDING)
    outcome_note = models.TextField(blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome_at = models.DateTimeField(null=True, blank=True)
    # CLINICAL.md: PHQ-9 item 9 above 0 is a suicide-risk flag. One recorded after the clearance (from any source)
    # sends the partner back to prescriber review: the gate shuts for them (dosing.gate) until the couple's
    # prescriber records an Item9ReviewDecision, which empties this field in the same transaction.
    item9_review = models.ForeignKey(
        "QuestionnaireResponse",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="PHQ-9 item 9 waiting for prescriber review",
        editable=False,
    )

    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(outcome__in=ScreeningOutcome.values), name="screening_outcome_known"),
            # An outcome is a decision: it always says who made it and when.
            models.CheckConstraint(
                condition=Q(outcome=ScreeningOutcome.PENDING) | Q(outcome_by__isnull=False, outcome_at__isnull=False),
                name="screening_outcome_has_decider",
            ),
            # Consent is a signed form of a known version: both or neither.
            models.CheckConstraint(
                condition=Q(consent_signed_on__isnull=True, consent_version="")
                | (Q(consent_signed_on__isnull=False) & ~Q(consent_version="")),
                name="screening_consent_complete",
                violation_error_message="Consent needs both the date it was signed and the form's version.",
            ),
            # Plausible human vitals only (backs the form validators).
            models.CheckConstraint(
                condition=Q(systolic__isnull=True) | Q(systolic__gte=60, systolic__lte=260),
                name="screening_systolic_range",
            ),
            models.CheckConstraint(
                condition=Q(diastolic__isnull=True) | Q(diastolic__gte=30, diastolic__lte=160),
                name="screening_diastolic_range",
            ),
            models.CheckConstraint(
                condition=Q(heart_rate__isnull=True) | Q(heart_rate__gte=25, heart_rate__lte=220),
                name="screening_heart_rate_range",
            ),
            models.CheckConstraint(
                condition=Q(weight_kg__isnull=True) | Q(weight_kg__gte=WEIGHT_KG_MIN, weight_kg__lte=WEIGHT_KG_MAX),
                name="screening_weight_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Screening of {self.partner}"

    def clean(self) -> None:
        errors = {}
        unknown = set(self.conditions or []) - set(Condition.values)
        if unknown:
            errors["conditions"] = f"Unknown conditions: {', '.join(sorted(unknown))}."
        unknown = set(self.interacting_medications or []) - set(InteractingMedication.values)
        if unknown:
            errors["interacting_medications"] = f"Unknown medications: {', '.join(sorted(unknown))}."
        if self.systolic and self.diastolic and self.diastolic >= self.systolic:
            errors["diastolic"] = "Diastolic pressure must be lower than systolic."
        if self.consent_signed_on and self.consent_signed_on > timezone.localdate():
            errors["consent_signed_on"] = "Consent cannot be signed in the future."
        if bool(self.consent_signed_on) != bool(self.consent_version):
            field = "consent_version" if self.consent_signed_on else "consent_signed_on"
            errors[field] = "Consent needs both the date it was signed and the form's version."
        if errors:
            raise ValidationError(errors)

    @property
    def has_consent(self) -> bool:
        return self.consent_signed_on is not None

    @property
    def condition_labels(self) -> list[str]:
        return [Condition(c).label for c in self.conditions or [] if c in Condition.values]

    @property
    def medication_labels(self) -> list[str]:
        return [
            InteractingMedication(c).label
            for c in self.interacting_medications or []
            if c in InteractingMedication.values
        ]


class ContraindicationFinding(models.Model):
    """One answered item of a partner's contraindication checklist: present or not, with a note."""

    screening = models.ForeignKey(Screening, on_delete=models.CASCADE, related_name="contraindications")
    code = models.CharField(max_length=24, choices=Contraindication.choices)
    present = models.BooleanField()
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["screening", "code"]
        constraints = [
            # The checklist holds each item once.
            models.UniqueConstraint(fields=["screening", "code"], name="contraindication_once_per_screening"),
            models.CheckConstraint(condition=Q(code__in=Contraindication.values), name="contraindication_code_known"),
        ]

    def __str__(self) -> str:
        return f"{self.get_code_display()}: {'yes' if self.present else 'no'}"


class QuestionnaireResponse(models.Model):
    """A partner's scored answers to one standard questionnaire on one day."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="questionnaires")
    instrument = models.CharField(max_length=8, choices=INSTRUMENT_CHOICES)
    context = models.CharField(
        max_length=20, choices=QuestionnaireContext.choices, default=QuestionnaireContext.SCREENING
    )
    answers = models.JSONField()
    score = models.PositiveSmallIntegerField()
    suicide_risk = models.BooleanField(default=False, help_text="PHQ-9 item 9 answered above 0.")
    administered_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["partner", "instrument", "-administered_on", "-recorded_at"]
        indexes = [models.Index(fields=["partner", "instrument", "administered_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(instrument__in=list(INSTRUMENTS)), name="questionnaire_instrument_known"
            ),
            # A total outside the instrument's range can only come from a scoring bug or a bypass.
            models.CheckConstraint(
                condition=Q(instrument="PHQ9", score__lte=27)
                | Q(instrument="GAD7", score__lte=21)
                | Q(instrument="PCL5", score__lte=80)
                | Q(instrument="CSI4", score__lte=21),
                name="questionnaire_score_in_range",
            ),
            # Only the PHQ-9 has the suicide-risk item.
            models.CheckConstraint(
                condition=Q(suicide_risk=False) | Q(instrument="PHQ9"), name="questionnaire_suicide_flag_phq9_only"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} {self.score} ({self.partner}, {self.administered_on})"

    @property
    def definition(self):
        return INSTRUMENTS[self.instrument]

    @property
    def provisional(self):
        """The PCL-5's DSM-5 provisional diagnosis of these answers (cases.instruments); None for the others."""
        return self.definition.provisional_for(self.answers)


class CaseEvent(models.Model):
    """A line in the couple's timeline: what happened, to whom, by whom and when. Append-only."""

    couple = models.ForeignKey(Couple, on_delete=models.CASCADE, related_name="events")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    from_status = models.CharField(max_length=16, choices=CoupleStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=CoupleStatus.choices, blank=True)
    summary = models.CharField(max_length=300)
    note = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["couple", "-at"])]
        constraints = [
            # A status event always names both ends of the move.
            models.CheckConstraint(
                condition=~Q(kind=EventKind.STATUS) | (~Q(from_status="") & ~Q(to_status="")),
                name="case_event_status_has_both_ends",
            ),
        ]

    def __str__(self) -> str:
        return self.summary


class CoveringPrescriber(models.Model):
    """A prescriber a clinic admin named to hold this couple's prescriber powers for a period of days (both ends
    included), e.g. while its own prescriber is away. Kept as history: a cover is never edited or deleted."""

    couple = models.ForeignKey(Couple, on_delete=models.PROTECT, related_name="covers")
    prescriber = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="covering")
    starts_on = models.DateField("covers from")
    ends_on = models.DateField("covers until", help_text="The last day of the cover, included.")
    reason = models.CharField(max_length=300, help_text="Why the cover is needed, e.g. the prescriber's leave.")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["couple", "-starts_on", "-id"]
        indexes = [models.Index(fields=["prescriber", "starts_on", "ends_on"])]
        constraints = [
            # A period that ends before it starts would cover nothing and read as a mistake.
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="cover_ends_after_start",
                violation_error_message="The cover cannot end before it starts.",
            ),
            # A cover hands over prescriber powers: the record says why.
            models.CheckConstraint(
                condition=~Q(reason=""), name="cover_has_reason", violation_error_message="Say why the cover is needed."
            ),
            # The same prescriber named twice from the same day for one couple is a double entry.
            models.UniqueConstraint(
                fields=["couple", "prescriber", "starts_on"],
                name="cover_once_per_start",
                violation_error_message="This prescriber already covers this couple from that day.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prescriber} covers {self.couple} {self.starts_on}-{self.ends_on}"


class Item9ReviewDecision(models.Model):
    """The couple's prescriber's signed decision on a positive PHQ-9 item 9 recorded after a partner's clearance:
    the clearance stands (with why it is safe) or the partner is not eligible. Insert-only (records.guards)."""

    objects = InsertOnlyQuerySet.as_manager()
    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="item9_decisions")
    response = models.OneToOneField(
        QuestionnaireResponse, on_delete=models.PROTECT, related_name="item9_decision", help_text="What sent it back."
    )
    decision = models.CharField(max_length=20, choices=Item9Decision.choices)
    note = models.TextField(help_text="Why: what the review found and what was agreed.")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(decision__in=Item9Decision.values), name="item9_decision_known"),
            # A decision on a suicide-risk flag always says why.
            models.CheckConstraint(condition=~Q(note=""), name="item9_decision_has_note"),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} ({self.screening.partner})"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError("A decision on PHQ-9 item 9 is never changed once signed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("A decision on PHQ-9 item 9 is kept for good.")
