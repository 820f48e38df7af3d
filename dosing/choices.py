"""The four dosing approaches and the vocabularies of dosing (CLINICAL.md)."""

from dataclasses import dataclass
from fractions import Fraction

from django.db import models


class Approach(models.TextChoices):
    SOLO = "solo", "Solo administration"
    DUAL_PSYCHEDELIC = "dual_psychedelic", "Dual psychedelic"
    DUAL_PSYCHOLYTIC = "dual_psycholytic", "Dual psycholytic"
    EXTENDED_DISCUSSION = "extended_discussion", "Extended discussion"


@dataclass(frozen=True)
class ApproachInfo:
    """What an approach means, in the plain language shown to therapists and prescribers."""

    code: str
    name: str
    both_dose: bool
    fraction: Fraction
    who_doses: str
    session: str
    needs_agenda: bool = False
    needs_sober_partner: bool = False

    @property
    def fraction_label(self) -> str:
        return (
            "full dose" if self.fraction == 1 else f"about {self.fraction.numerator}/{self.fraction.denominator} dose"
        )


APPROACHES: dict[str, ApproachInfo] = {
    Approach.SOLO: ApproachInfo(
        Approach.SOLO,
        "Solo administration",
        False,
        Fraction(1),
        "Exactly one partner takes ketamine, at their full dose.",
        "The other partner stays sober as support (the sitter). Roles may alternate between cycles, "
        "each cycle needing its own approval.",
        needs_sober_partner=True,
    ),
    Approach.DUAL_PSYCHEDELIC: ApproachInfo(
        Approach.DUAL_PSYCHEDELIC,
        "Dual psychedelic",
        True,
        Fraction(1),
        "Both partners take ketamine, each at their full dose.",
        "An introspective session with little interaction; the relational work happens in integration.",
    ),
    Approach.DUAL_PSYCHOLYTIC: ApproachInfo(
        Approach.DUAL_PSYCHOLYTIC,
        "Dual psycholytic",
        True,
        Fraction(1, 2),
        "Both partners take ketamine, each at about half their full dose.",
        "The partners stay able to talk and engage with each other during the session.",
    ),
    Approach.EXTENDED_DISCUSSION: ApproachInfo(
        Approach.EXTENDED_DISCUSSION,
        "Extended discussion",
        True,
        Fraction(1, 4),
        "Both partners take ketamine, each at about a quarter of their full dose.",
        "A planned agenda and conversation plan is required before the session starts.",
        needs_agenda=True,
    ),
}


class Route(models.TextChoices):
    IV = "iv", "IV infusion"
    IM = "im", "IM injection"
    INTRANASAL = "intranasal", "Intranasal"
    SUBLINGUAL = "sublingual", "Sublingual or oral lozenge"


ROUTE_GUIDANCE = {
    Route.IV: "commonly 0.5 mg/kg over 40 minutes",
    Route.IM: "",
    Route.INTRANASAL: "",
    Route.SUBLINGUAL: "commonly 50-200 mg, with a fraction absorbed",
}


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the prescriber"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Setting(models.TextChoices):
    OFFICE = "office", "In office"
    HOME = "home", "At home with a support person present"


class SideEffectKind(models.TextChoices):
    NAUSEA = "nausea", "Nausea"
    VOMITING = "vomiting", "Vomiting"
    DISSOCIATION = "dissociation", "Dissociation"
    ANXIETY = "anxiety", "Anxiety"
    ELEVATED_BP = "elevated_bp", "Elevated blood pressure"
    OTHER = "other", "Other"


class Severity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class StockEntryKind(models.TextChoices):
    RECEIVED = "received", "Stock received"
    ADMINISTERED = "administered", "Administered"
    WASTED = "wasted", "Wasted (witnessed)"
    ADJUSTED = "adjusted", "Count adjustment"

    @property
    def sign(self) -> int:
        """Which way an entry of this kind moves a lot's balance: the one definition of it."""
        # An adjustment carries its own sign in the amount (a count may find more or less than the log).
        return 1 if self in (StockEntryKind.RECEIVED, StockEntryKind.ADJUSTED) else -1
