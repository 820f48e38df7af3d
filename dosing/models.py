"""Dosing: the request, the prescriber's signed approval (the gate), the medicine session record and the
controlled-substance log. Signed approvals and log entries are insert-only."""

import hashlib
import json
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import ExpressionWrapper, F, Q
from django.db.models.functions import Round
from django.utils import timezone

from audit.querysets import InsertOnlyQuerySet
from cases.models import WEIGHT_KG_MAX, WEIGHT_KG_MIN
from dosing.choices import (
    APPROACHES,
    Approach,
    RequestStatus,
    Route,
    Setting,
    Severity,
    SideEffectKind,
    StockEntryKind,
)

MG = {"max_digits": 7, "decimal_places": 2}
MAX_SESSIONS_PAST_MAXIMUM = 12  # a course of 20 medicine sessions at most, from the default maximum of 8
KG = {"max_digits": 5, "decimal_places": 1}


def mg_per_kg_label(mg_per_kg: Decimal, weight_kg: Decimal) -> str:
    """A dose in mg/kg is never shown without the weight used (#17): "0.64 mg/kg at 70.0 kg"."""
    return f"{Decimal(mg_per_kg):.2f} mg/kg at {Decimal(weight_kg):.1f} kg"


class InsertOnly(models.Model):
    """A record that is written once and never changed or deleted (signed or controlled-substance data)."""

    objects = InsertOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError(f"A {self._meta.verbose_name} is never changed once written.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(f"A {self._meta.verbose_name} is kept for good.")


class DosingRequest(models.Model):
    """A therapist's request for one dosing approach for a couple, and the prescriber's answer."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    couple = models.ForeignKey("cases.Couple", on_delete=models.PROTECT, related_name="dosing_requests")
    approach = models.CharField(max_length=24, choices=Approach.choices)
    solo_partner = models.ForeignKey(
        "cases.Partner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="For solo administration: the partner proposed to take ketamine.",
    )
    rationale = models.TextField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=12, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(approach__in=Approach.values), name="request_approach_known"),
            models.CheckConstraint(condition=Q(status__in=RequestStatus.values), name="request_status_known"),
            # One open question to the prescriber per couple at a time.
            models.UniqueConstraint(
                fields=["couple"],
                condition=Q(status=RequestStatus.PENDING),
                name="one_pending_request_per_couple",
                violation_error_message="This couple already has a request waiting.",
            ),
            # Solo names its dosing partner; the dual approaches dose both.
            models.CheckConstraint(
                condition=Q(approach=Approach.SOLO, solo_partner__isnull=False)
                | (~Q(approach=Approach.SOLO) & Q(solo_partner__isnull=True)),
                name="request_solo_partner_iff_solo",
            ),
            # A decision says who made it and when; a decline says why.
            models.CheckConstraint(
                condition=Q(status=RequestStatus.PENDING) | Q(decided_by__isnull=False, decided_at__isnull=False),
                name="request_decision_has_decider",
            ),
            models.CheckConstraint(
                condition=~Q(status=RequestStatus.DECLINED) | ~Q(decision_reason=""), name="request_decline_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_approach_display()} for {self.couple}"

    @property
    def info(self):
        return APPROACHES[self.approach]


# The one definition of "the current approval": neither revoked nor superseded (it may still be expired or used
# up; whether it is in force for a session is dosing.gate's question).
CURRENT_APPROVAL = Q(revocation__isnull=True, superseded_by__isnull=True)


class ApprovalQuerySet(InsertOnlyQuerySet):
    def current(self):
        """Approvals neither revoked nor superseded (at most one per couple: signing supersedes the current)."""
        return self.filter(CURRENT_APPROVAL)

    def with_is_current(self):
        """Annotate each approval with is_current, for lists that show the history with the current one marked."""
        return self.annotate(is_current=ExpressionWrapper(CURRENT_APPROVAL, output_field=models.BooleanField()))


class Approval(InsertOnly):
    """A prescriber's signed approval of one approach for a couple: the gate every medicine session needs.

    Never edited: a change is a new approval that supersedes it; a revocation is an ApprovalRevocation.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    couple = models.ForeignKey("cases.Couple", on_delete=models.PROTECT, related_name="approvals")
    request = models.OneToOneField(
        DosingRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="approval"
    )
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    approach = models.CharField(max_length=24, choices=Approach.choices)
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    sessions_covered = models.PositiveSmallIntegerField(
        "medicine sessions covered", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    # CLINICAL.md: past the course maximum of medicine sessions (a clinic setting) needs a new prescriber approval
    # that says so. Counted from the clinic's maximum: 2 with a maximum of 8 lets the course have 10.
    medicine_sessions_past_maximum = models.PositiveSmallIntegerField(
        "medicine sessions allowed past the course maximum",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SESSIONS_PAST_MAXIMUM)],
    )
    conditions = models.TextField(blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(default=timezone.now)
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of what was signed.")

    objects = ApprovalQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(approach__in=Approach.values), name="approval_approach_known"),
            # An approval is bounded: by an end date, a number of sessions, or both.
            models.CheckConstraint(
                condition=Q(valid_until__isnull=False) | Q(sessions_covered__isnull=False),
                name="approval_is_bounded",
                violation_error_message="Give the last date or the number of medicine sessions.",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="approval_period_ordered",
                violation_error_message="The approval cannot end before it starts.",
            ),
            # An extension of the course allows at least one more medicine session (none is written as null).
            models.CheckConstraint(
                condition=Q(medicine_sessions_past_maximum__isnull=True)
                | Q(
                    medicine_sessions_past_maximum__gte=1, medicine_sessions_past_maximum__lte=MAX_SESSIONS_PAST_MAXIMUM
                ),
                name="approval_past_maximum_in_range",
                violation_error_message="Allow between 1 and 12 medicine sessions past the course maximum.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_approach_display()} approved for {self.couple} by {self.signed_by}"

    @property
    def info(self):
        return APPROACHES[self.approach]

    def signed_content(self, doses) -> dict:
        """What the prescriber signs, in a stable form: hashed at signing and checked on display. The extension
        past the course maximum is in it only when given, so approvals signed before it existed still verify."""
        content = {
            "couple": str(self.couple.uuid),
            "approach": self.approach,
            "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "sessions_covered": self.sessions_covered,
            "conditions": self.conditions,
            "signed_by": self.signed_by_id,
            "supersedes": self.supersedes_id,
            "doses": sorted(
                [
                    {
                        "partner": str(d.partner.uuid),
                        "route": d.route,
                        "dose_mg": f"{Decimal(d.dose_mg):.2f}",
                        "full_dose_mg": f"{Decimal(d.full_dose_mg):.2f}",
                        "weight_kg": f"{Decimal(d.weight_kg):.1f}",
                        "max_total_mg": f"{Decimal(d.max_total_mg):.2f}",
                        "fraction_reason": d.fraction_reason,
                        **(
                            {"screening_weight_kg": f"{Decimal(d.screening_weight_kg):.1f}"}
                            if d.screening_weight_kg is not None
                            else {}
                        ),
                    }
                    for d in doses
                ],
                key=lambda d: d["partner"],
            ),
        }
        if self.medicine_sessions_past_maximum is not None:
            content["medicine_sessions_past_maximum"] = self.medicine_sessions_past_maximum
        return content

    def compute_hash(self, doses) -> str:
        payload = json.dumps(self.signed_content(doses), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()


class ApprovalDose(InsertOnly):
    """The approved dose of one dosing partner under an approval."""

    approval = models.ForeignKey(Approval, on_delete=models.PROTECT, related_name="doses")
    partner = models.ForeignKey("cases.Partner", on_delete=models.PROTECT, related_name="approved_doses")
    route = models.CharField(max_length=12, choices=Route.choices)
    full_dose_mg = models.DecimalField("this partner's full dose (mg)", **MG)
    dose_mg = models.DecimalField("dose (mg)", **MG)
    weight_kg = models.DecimalField("weight used (kg)", **KG)
    # What screening said when the approval was signed: a weight used far from it was confirmed by the prescriber
    # (dosing.approvals), and the record shows both. Empty on approvals signed before it was kept.
    screening_weight_kg = models.DecimalField("screening weight when signed (kg)", null=True, blank=True, **KG)
    max_total_mg = models.DecimalField("maximum per session including any booster (mg)", **MG)
    fraction_reason = models.TextField(blank=True, help_text="Why the dose is far from the approach's fraction.")

    class Meta:
        ordering = ["approval", "partner__label"]
        constraints = [
            # A partner has one approved dose per approval.
            models.UniqueConstraint(fields=["approval", "partner"], name="approval_dose_once_per_partner"),
            models.CheckConstraint(condition=Q(route__in=Route.values), name="approval_dose_route_known"),
            models.CheckConstraint(
                condition=Q(dose_mg__gt=0, full_dose_mg__gt=0, weight_kg__gt=0), name="approval_dose_positive"
            ),
            # The mg/kg of a dose stands on its weight: a plausible adult one, as at screening (cases.models).
            models.CheckConstraint(
                condition=Q(weight_kg__gte=WEIGHT_KG_MIN, weight_kg__lte=WEIGHT_KG_MAX),
                name="approval_dose_weight_plausible",
                violation_error_message=f"The weight used is outside {WEIGHT_KG_MIN}-{WEIGHT_KG_MAX} kg.",
            ),
            # The maximum covers the dose itself; boosters come on top, up to it.
            models.CheckConstraint(condition=Q(max_total_mg__gte=F("dose_mg")), name="approval_max_covers_dose"),
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.dose_mg} mg {self.get_route_display()}"

    @property
    def mg_per_kg(self) -> Decimal:
        return (self.dose_mg / self.weight_kg).quantize(Decimal("0.01"))

    @property
    def mg_per_kg_label(self) -> str:
        """The dose per kg with the weight it stands on: "0.64 mg/kg at 70.0 kg"."""
        return mg_per_kg_label(self.mg_per_kg, self.weight_kg)

    @property
    def weight_differs_from_screening(self) -> bool:
        return self.screening_weight_kg is not None and self.screening_weight_kg != self.weight_kg

    @property
    def fraction_of_full(self) -> Decimal:
        return (self.dose_mg / self.full_dose_mg).quantize(Decimal("0.01"))


class ApprovalRevocation(InsertOnly):
    """The revocation of an approval, with the prescriber's reason; it takes effect at once."""

    approval = models.OneToOneField(Approval, on_delete=models.PROTECT, related_name="revocation")
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField()

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="revocation_has_reason")]

    def __str__(self) -> str:
        return f"Revocation of {self.approval}"


class Notice(models.Model):
    """Something a user must see on their home page (e.g. an approval was revoked), until they dismiss it."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    couple = models.ForeignKey("cases.Couple", on_delete=models.CASCADE, related_name="+")
    blocked_session = models.ForeignKey(
        "clinical_sessions.TherapySession",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Set when the notice says this booked medicine session is blocked by the gate.",
    )
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "dismissed_at"])]
        constraints = [
            # The daily sweep tells each therapist once about each blocked session, however often it runs.
            models.UniqueConstraint(
                fields=["recipient", "blocked_session"],
                condition=Q(blocked_session__isnull=False),
                name="notice_once_per_blocked_session",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]


# -- the medicine session record ---------------------------------------------------------------------


class MedicineSessionPlan(models.Model):
    """The medicine session's setting, its sober partner (solo) and its agenda (extended discussion)."""

    session = models.OneToOneField(
        "clinical_sessions.TherapySession", on_delete=models.PROTECT, related_name="medicine_plan"
    )
    setting = models.CharField(max_length=8, choices=Setting.choices, default=Setting.OFFICE)
    support_person = models.CharField(max_length=120, blank=True, help_text="At home: who is present.")
    agenda = models.TextField(blank=True, help_text="Extended discussion: the planned agenda and conversation plan.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # At home a named support person is present.
            models.CheckConstraint(
                condition=~Q(setting=Setting.HOME) | ~Q(support_person=""), name="medicine_home_needs_support_person"
            ),
        ]


VITAL_RANGES = {"systolic": (50, 260), "diastolic": (20, 160), "heart_rate": (20, 250), "spo2": (50, 100)}


def _vital(name: str, label: str, *, null: bool = False):
    low, high = VITAL_RANGES[name]
    return models.PositiveSmallIntegerField(
        label, null=null, blank=null, validators=[MinValueValidator(low), MaxValueValidator(high)]
    )


def _vital_constraints(prefix: str) -> list:
    # Plausible human values only: a typo like 20 or 400 mmHg must not reach the chart.
    return [
        models.CheckConstraint(
            condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": low, f"{name}__lte": high}),
            name=f"{prefix}_{name}_range",
        )
        for name, (low, high) in VITAL_RANGES.items()
    ]


class PreDoseCheck(models.Model):
    """One dosing partner's checks before the first dose; a hold-level blood pressure needs a prescriber override."""

    session = models.ForeignKey(
        "clinical_sessions.TherapySession", on_delete=models.PROTECT, related_name="predose_checks"
    )
    partner = models.ForeignKey("cases.Partner", on_delete=models.PROTECT, related_name="+")
    fasting_confirmed = models.BooleanField()
    ride_home_arranged = models.BooleanField()
    no_new_contraindication = models.BooleanField("no new contraindication")
    sober_partner_present = models.BooleanField(null=True, blank=True)
    # Clinical time of the checks and the baseline reading (recorded_at is when they were entered).
    at = models.DateTimeField("checked at", default=timezone.now)
    systolic = _vital("systolic", "systolic (mmHg)")
    diastolic = _vital("diastolic", "diastolic (mmHg)")
    heart_rate = _vital("heart_rate", "heart rate (bpm)")
    spo2 = _vital("spo2", "SpO2 (%)")
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    override_reason = models.TextField(blank=True)
    override_at = models.DateTimeField("overridden at", null=True, blank=True)  # when the prescriber decided
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "partner"], name="predose_once_per_partner"),
            *_vital_constraints("predose"),
            # An override is a prescriber's recorded decision, with a reason.
            models.CheckConstraint(
                condition=Q(override_by__isnull=True, override_reason="")
                | (Q(override_by__isnull=False) & ~Q(override_reason="")),
                name="predose_override_has_reason",
            ),
        ]


class Administration(InsertOnly):
    """One dose given (or booster), drawn from a stock lot. The session's total never exceeds the approved maximum."""

    session = models.ForeignKey(
        "clinical_sessions.TherapySession", on_delete=models.PROTECT, related_name="administrations"
    )
    partner = models.ForeignKey("cases.Partner", on_delete=models.PROTECT, related_name="administrations")
    approved_dose = models.ForeignKey(ApprovalDose, on_delete=models.PROTECT, related_name="administrations")
    at = models.DateTimeField()
    route = models.CharField(max_length=12, choices=Route.choices)
    mg = models.DecimalField(**MG)
    weight_kg = models.DecimalField("weight used (kg)", **KG)
    lot = models.ForeignKey("dosing.StockLot", on_delete=models.PROTECT, related_name="administrations")
    is_booster = models.BooleanField(default=False)
    fraction_reason = models.TextField(
        blank=True, help_text="Why this dose is far from the approach's fraction of the partner's full dose."
    )
    administered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(mg__gt=0, weight_kg__gt=0), name="administration_positive"),
            # The clinic records doses to 0.1 mg (dosing.doses): a finer amount is a typing slip, not a dose.
            models.CheckConstraint(condition=Q(mg=Round(F("mg"), 1)), name="administration_mg_tenths"),
            models.CheckConstraint(condition=Q(route__in=Route.values), name="administration_route_known"),
        ]

    @property
    def mg_per_kg(self) -> Decimal:
        return (self.mg / self.weight_kg).quantize(Decimal("0.01"))

    @property
    def mg_per_kg_label(self) -> str:
        """The dose per kg with the weight it stands on: "0.64 mg/kg at 70.0 kg"."""
        return mg_per_kg_label(self.mg_per_kg, self.weight_kg)


class VitalReading(InsertOnly):
    """Blood pressure, heart rate and SpO2 of one partner at one moment of a medicine session."""

    session = models.ForeignKey("clinical_sessions.TherapySession", on_delete=models.PROTECT, related_name="vitals")
    partner = models.ForeignKey("cases.Partner", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    systolic = _vital("systolic", "systolic (mmHg)")
    diastolic = _vital("diastolic", "diastolic (mmHg)")
    heart_rate = _vital("heart_rate", "heart rate (bpm)")
    spo2 = _vital("spo2", "SpO2 (%)", null=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, help_text="When it was entered; `at` is when taken.")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["session", "partner", "at"])]
        constraints = [
            *_vital_constraints("vital"),
            models.CheckConstraint(condition=Q(diastolic__lt=F("systolic")), name="vital_diastolic_below_systolic"),
        ]


class HoldOverride(InsertOnly):
    """The couple's prescriber allows dosing despite one hold-level reading, with a reason. It covers that reading
    only: any later reading at or above the hold threshold holds dosing again (dosing.holds)."""

    reading = models.OneToOneField(VitalReading, on_delete=models.PROTECT, related_name="override")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField()

    class Meta:
        constraints = [
            # An override is a prescriber's stated decision.
            models.CheckConstraint(condition=~Q(reason=""), name="hold_override_has_reason"),
        ]

    def __str__(self) -> str:
        return f"Override of reading {self.reading_id} by {self.by}"


class SideEffect(InsertOnly):
    """A side effect seen in a partner during a medicine session, and what was done about it."""

    session = models.ForeignKey(
        "clinical_sessions.TherapySession", on_delete=models.PROTECT, related_name="side_effects"
    )
    partner = models.ForeignKey("cases.Partner", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    kind = models.CharField(max_length=16, choices=SideEffectKind.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    description = models.CharField(max_length=300, blank=True)
    intervention = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, help_text="When it was entered; `at` is when seen.")

    class Meta:
        ordering = ["at", "id"]


class Discharge(InsertOnly):
    """A dosing partner's discharge: observed long enough, vitals back in range, released to a responsible adult."""

    session = models.ForeignKey("clinical_sessions.TherapySession", on_delete=models.PROTECT, related_name="discharges")
    partner = models.ForeignKey("cases.Partner", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    alert_and_oriented = models.BooleanField()
    released_to_name = models.CharField("released to", max_length=120)
    released_to_relationship = models.CharField(max_length=60)
    released_to_other_partner = models.BooleanField(default=False)
    no_driving_acknowledged = models.BooleanField("told not to drive until the next day after sleep")
    discharged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "partner"], name="discharge_once_per_partner"),
            # Discharge is only for a partner who is alert and oriented and knows not to drive.
            models.CheckConstraint(
                condition=Q(alert_and_oriented=True, no_driving_acknowledged=True), name="discharge_alert_and_told"
            ),
        ]


# -- controlled-substance log ------------------------------------------------------------------------


class StockLot(models.Model):
    """A lot of ketamine received by the office (Schedule III); its balance is the sum of its log entries."""

    lot_number = models.CharField(max_length=40, unique=True)
    product = models.CharField(
        max_length=120,
        default="Ketamine HCl injection",
        help_text="Product and concentration, e.g. ketamine HCl 50 mg/mL, 10 mL vial.",
    )
    expires_on = models.DateField()
    received_on = models.DateField(default=timezone.localdate)
    supplier = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["expires_on", "lot_number"]

    def __str__(self) -> str:
        return f"Lot {self.lot_number} (expires {self.expires_on:%Y-%m-%d})"


class StockEntry(InsertOnly):
    """One line of the controlled-substance log. Kept at least 2 years; never changed or deleted."""

    lot = models.ForeignKey(StockLot, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=12, choices=StockEntryKind.choices)
    amount_mg = models.DecimalField(**MG, help_text="Positive; the kind says which way it moves the balance.")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    administration = models.OneToOneField(
        Administration, on_delete=models.PROTECT, null=True, blank=True, related_name="stock_entry"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "stock entries"
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=StockEntryKind.values), name="stock_entry_kind_known"),
            # Adjustments may go either way; everything else moves a positive amount.
            models.CheckConstraint(
                condition=Q(kind=StockEntryKind.ADJUSTED) | Q(amount_mg__gt=0), name="stock_entry_amount_positive"
            ),
            # Waste is witnessed by a second person.
            models.CheckConstraint(
                condition=~Q(kind=StockEntryKind.WASTED) | (Q(witness__isnull=False) & ~Q(witness=F("by"))),
                name="stock_waste_witnessed",
            ),
            # Every administration appears in the log exactly once, and only administrations link one.
            models.CheckConstraint(
                condition=Q(kind=StockEntryKind.ADMINISTERED, administration__isnull=False)
                | (~Q(kind=StockEntryKind.ADMINISTERED) & Q(administration__isnull=True)),
                name="stock_administered_links_administration",
            ),
        ]

    @property
    def signed_amount(self) -> Decimal:
        return self.amount_mg * StockEntryKind(self.kind).sign


class InventoryCount(InsertOnly):
    """A physical count of a lot against the log's balance; a difference must be explained."""

    lot = models.ForeignKey(StockLot, on_delete=models.PROTECT, related_name="counts")
    counted_mg = models.DecimalField(**MG)
    expected_mg = models.DecimalField("balance in the log (mg)", **MG)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    witness = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(counted_mg__gte=0), name="count_not_negative"),
            models.CheckConstraint(condition=~Q(witness=F("by")), name="count_witness_is_another_person"),
            # A count that does not reconcile says why.
            models.CheckConstraint(
                condition=Q(counted_mg=F("expected_mg")) | ~Q(note=""), name="count_difference_explained"
            ),
        ]

    @property
    def difference_mg(self) -> Decimal:
        return self.counted_mg - self.expected_mg
