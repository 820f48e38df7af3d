"""What one administration may be (CLINICAL.md, "Routes and doses" and "The medicine session"): an amount the clinic
can record, plausible for its route, at most the approved dose for its step (first dose or booster), the running
total at most the approved maximum, and a stated reason when the first dose is far from the approach's fraction.
Every refusal is a ValidationError on the field to fix, with a code naming the rule."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from clinic.services import clinic_settings_get
from dosing.choices import Route
from dosing.models import Approval, ApprovalDose
from dosing.wording import fmt_mg

RESOLUTION = Decimal("0.1")  # the clinic records doses to 0.1 mg (its syringes and scales read no finer)

# One administration's plausible range per route, in mg, for validation only (not advice). Outside it the amount
# is almost surely a typing slip (a missing or extra digit), whatever the approval says. The screening allows
# weights of 30-350 kg; boosters may be a few mg, so every lower bound is low.
ROUTE_RANGE_MG: dict[str, tuple[Decimal, Decimal]] = {
    # Commonly 0.5 mg/kg over 40 min: 175 mg at the heaviest weight screened, with room for a prescriber's
    # somewhat higher mg/kg.
    Route.IV: (Decimal("1"), Decimal("200")),
    # IM doses in KAP run up to about 1 mg/kg: 300 mg covers the heaviest partners.
    Route.IM: (Decimal("1"), Decimal("300")),
    # A nasal spray delivers small volumes per nostril: racemic intranasal doses stay well below 200 mg.
    Route.INTRANASAL: (Decimal("1"), Decimal("200")),
    # Lozenges: commonly 50-200 mg with only a fraction absorbed; some protocols go to a few hundred mg.
    Route.SUBLINGUAL: (Decimal("5"), Decimal("600")),
}
# Whatever the route, nothing above this is a dose (it also keeps Decimal arithmetic away from huge exponents).
ABSOLUTE_MAX_MG = max(high for _, high in ROUTE_RANGE_MG.values())


def _refuse(field: str | None, message: str, code: str):
    error = ValidationError(message, code=code)
    raise ValidationError({field: error}) if field else error


def dose_amount_clean(value, *, route: str | None = None, field: str | None = "mg") -> Decimal:
    """The amount as a Decimal, or a field error: a finite number of mg above 0, in tenths of a mg, within the
    route's plausible range (when the route is known)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        _refuse(field, "Enter the dose in mg.", "dose_amount_missing")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        _refuse(field, "Enter the dose as a number of mg, e.g. 12.5.", "dose_amount_not_a_number")
    if not amount.is_finite():
        _refuse(field, "A dose is a finite number of mg.", "dose_amount_not_finite")
    if amount <= 0:
        _refuse(field, "A dose is more than 0 mg.", "dose_amount_not_positive")
    if amount > ABSOLUTE_MAX_MG:
        _refuse(field, f"{amount:f} mg is not a plausible dose by any route; check the amount.", "dose_amount_range")
    if amount != amount.quantize(RESOLUTION):
        _refuse(
            field,
            f"Doses are recorded to 0.1 mg; {amount:f} mg is finer than that.",
            "dose_amount_resolution",
        )
    if route is not None and route in ROUTE_RANGE_MG:
        low, high = ROUTE_RANGE_MG[route]
        if not low <= amount <= high:
            _refuse(
                field,
                f"{fmt_mg(amount)} is outside the plausible range for {Route(route).label.lower()} "
                f"({fmt_mg(low)} to {fmt_mg(high)} per administration); check the amount.",
                "dose_amount_range",
            )
    return amount.quantize(RESOLUTION)


def dose_step_check(*, approved: ApprovalDose, given: Decimal, amount: Decimal, is_booster: bool, name: str) -> None:
    """The step is decided by what was given: the first dose, then boosters. Each is at most its approved step
    (the dose; a booster the rest of the maximum above the dose), and the total at most the maximum."""
    first = given == 0
    if first and is_booster:
        _refuse("is_booster", "The first dose is not a booster.", "dose_step_first_not_booster")
    if not first and not is_booster:
        _refuse(
            "is_booster",
            f"{name} has had {fmt_mg(given)} in this session: a further dose is a booster (tick Booster).",
            "dose_step_booster_expected",
        )
    if given + amount > approved.max_total_mg:
        _refuse(
            "mg",
            f"{fmt_mg(amount)} would bring {name}'s total to {fmt_mg(given + amount)}, over the approved maximum "
            f"of {fmt_mg(approved.max_total_mg)} ({fmt_mg(given)} given so far).",
            "dose_over_maximum",
        )
    if first and amount > approved.dose_mg:
        _refuse(
            "mg",
            f"{fmt_mg(amount)} is more than the approved dose of {fmt_mg(approved.dose_mg)} for the first dose; "
            f"the rest of the maximum ({fmt_mg(approved.max_total_mg)}) is for boosters.",
            "dose_over_step",
        )
    booster_step = approved.max_total_mg - approved.dose_mg
    if not first and booster_step <= 0:
        _refuse(
            "is_booster",
            f"The approval allows no booster for {name}: its maximum equals the dose ({fmt_mg(approved.dose_mg)}).",
            "dose_booster_not_approved",
        )
    if not first and amount > booster_step:
        _refuse(
            "mg",
            f"{fmt_mg(amount)} is more than the approved booster of {fmt_mg(booster_step)} (the maximum "
            f"{fmt_mg(approved.max_total_mg)} less the dose {fmt_mg(approved.dose_mg)}).",
            "dose_over_step",
        )


def dose_fraction_far(*, approval: Approval, approved: ApprovalDose, amount: Decimal) -> str:
    """Why the first dose is far from the approach's fraction of this partner's full dose ('' when it is not).
    Boosters are not judged by it: the maximum the prescriber signed bounds them."""
    info = approval.info
    fraction = Decimal(info.fraction.numerator) / Decimal(info.fraction.denominator)
    tolerance = Decimal(clinic_settings_get().dose_fraction_tolerance_percent) / 100
    ratio = amount / approved.full_dose_mg
    if abs(ratio - fraction) <= tolerance * fraction:
        return ""
    return (
        f"{fmt_mg(amount)} is {ratio:.0%} of the full dose ({fmt_mg(approved.full_dose_mg)}), far from "
        f"{info.name.lower()}'s {info.fraction_label}: state the reason for this administration."
    )
