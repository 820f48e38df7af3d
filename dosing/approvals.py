"""The prescriber's signed approval: sign (superseding the current one), verify, revoke; "the current approval"."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cases import policy
from cases.models import WEIGHT_KG_MAX, WEIGHT_KG_MIN, Couple
from cases.services import partner_error_key
from clinic.services import clinic_settings_get
from dosing.choices import APPROACHES, RequestStatus, Route
from dosing.gate import partner_dosing_blockers
from dosing.lifecycle import medicine_sessions_block
from dosing.models import MAX_SESSIONS_PAST_MAXIMUM, Approval, ApprovalDose, ApprovalRevocation, DosingRequest
from dosing.notices import notice_send
from dosing.wording import day_label, fmt_mg, partner_name
from outbox.models import OutboxKind
from outbox.services import outbox_add
from sessions.choices import Phase, SessionStatus
from sessions.models import TherapySession


def approval_current(*, couple: Couple) -> Approval | None:
    """The couple's approval that is neither revoked nor superseded (it may be expired or used up)."""
    return Approval.objects.current().filter(couple=couple).order_by("-signed_at", "-id").first()


def course_medicine_maximums(*, couple_ids, clinic_maximum: int) -> dict[int, int]:
    """The course maximum of medicine sessions of each couple whose current approval allows sessions past the
    clinic's maximum (clinic maximum + that number), in one query; couples not in the answer have the clinic's.
    This is what sessions.course takes as `medicine_sessions_allowed`: a revoked or superseded approval allows
    nothing more, so a replacing approval must say so again."""
    couple_ids = list(couple_ids)
    if not couple_ids:
        return {}
    rows = (
        Approval.objects.current()
        .filter(couple_id__in=couple_ids, medicine_sessions_past_maximum__isnull=False)
        .values_list("couple_id", "medicine_sessions_past_maximum")
    )
    return {couple_id: clinic_maximum + extra for couple_id, extra in rows}


def course_medicine_maximum(*, couple: Couple, clinic_maximum: int) -> int | None:
    """The couple's course maximum of medicine sessions if its current approval raises it, else None."""
    return course_medicine_maximums(couple_ids=[couple.pk], clinic_maximum=clinic_maximum).get(couple.pk)


def _weight_problem(partner, weight: Decimal, *, settings) -> tuple[str, str] | None:
    """Why a dose's weight used cannot be signed as it stands: ("weight_kg", message) outside a plausible adult
    weight (refused), or ("weight_difference_confirmed", message) when it differs from the screening weight by
    more than the clinic's setting (signed once the prescriber confirms it)."""
    if not WEIGHT_KG_MIN <= weight <= WEIGHT_KG_MAX:
        return (
            "weight_kg",
            f"{partner_name(partner)}: a weight of {weight:.1f} kg is outside the plausible adult range of "
            f"{WEIGHT_KG_MIN}-{WEIGHT_KG_MAX} kg (the range screening accepts); check the weight used.",
        )
    screening_weight = partner.screening.weight_kg
    if screening_weight:
        difference = abs(weight - screening_weight) / screening_weight * 100
        if difference > settings.approval_weight_difference_percent:
            return (
                "weight_difference_confirmed",
                f"{partner_name(partner)}: the weight used, {weight:.1f} kg, differs from the screening weight of "
                f"{screening_weight:.1f} kg by {difference:.0f}% (more than the clinic's "
                f"{settings.approval_weight_difference_percent}%). Check it, and confirm the weight used to sign.",
            )
    return None


def approval_sign(
    *,
    by: User,
    password: str,
    couple: Couple,
    approach: str,
    valid_from: datetime.date,
    valid_until: datetime.date | None,
    sessions_covered: int | None,
    conditions: str,
    doses: list[dict],
    request: DosingRequest | None = None,
    medicine_sessions_past_maximum: int | None = None,
    weight_difference_confirmed: bool = False,
) -> Approval:
    """Sign an approval as the couple's prescriber, re-entering the password. It supersedes the approval in
    force, answers the pending request, and its content is hashed so later tampering shows. The person who
    requested the approach (the request answered, or the couple's pending one) may not sign it.
    `medicine_sessions_past_maximum` lets the couple's course have that many medicine sessions past the clinic's
    course maximum while this approval is the current one (CLINICAL.md: only a new approval passes the maximum).
    Each weight used is a plausible adult weight, and one further from the screening weight than the clinic's
    setting is signed only with `weight_difference_confirmed` (the refusal says which and by how much)."""
    pending = request or DosingRequest.objects.filter(couple=couple, status=RequestStatus.PENDING).first()
    policy.require_may_approve(by, couple, requested_by_id=pending.requested_by_id if pending else None)
    if not password or not by.check_password(password):
        raise ValidationError({"password": "That is not your password; the approval was not signed."})
    info = APPROACHES.get(approach)
    if info is None:
        raise ValidationError({"approach": "Choose one of the four approaches."})
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if valid_from < today:
        errors.setdefault("valid_from", []).append("An approval starts today or later; it cannot be backdated.")
    if valid_until is not None and valid_until < valid_from:
        errors.setdefault("valid_until", []).append("The approval cannot end before it starts.")
    if valid_until is None and not sessions_covered:
        errors.setdefault("sessions_covered", []).append("Give the last date or the number of medicine sessions.")
    past_maximum = medicine_sessions_past_maximum or None
    if past_maximum is not None and (
        isinstance(past_maximum, bool)
        or not isinstance(past_maximum, int)
        or not 1 <= past_maximum <= MAX_SESSIONS_PAST_MAXIMUM
    ):
        errors.setdefault("medicine_sessions_past_maximum", []).append(
            f"Allow between 1 and {MAX_SESSIONS_PAST_MAXIMUM} medicine sessions past the course maximum, "
            "or leave it empty."
        )
        past_maximum = None
    partners = {p.pk: p for p in couple.partners.select_related("screening")}
    dosing = [d for d in doses if d.get("partner") is not None]
    if info.both_dose and len(dosing) != 2:
        errors.setdefault("__all__", []).append(f"{info.name}: both partners take ketamine; give both doses.")
    if not info.both_dose and len(dosing) != 1:
        errors.setdefault("__all__", []).append("Solo administration: exactly one partner takes ketamine.")
    settings = clinic_settings_get()
    tolerance = Decimal(settings.dose_fraction_tolerance_percent) / 100
    fraction = Decimal(info.fraction.numerator) / Decimal(info.fraction.denominator)
    for dose in dosing:
        partner = partners.get(getattr(dose["partner"], "pk", dose["partner"]))
        if partner is None:
            errors.setdefault("__all__", []).append("A dose names a partner who is not in this couple.")
            continue
        dose["partner"] = partner
        errors.setdefault("__all__", []).extend(partner_dosing_blockers(partner))
        if dose["route"] not in Route.values:
            errors.setdefault("__all__", []).append(f"{partner_name(partner)}: choose a route.")
        amounts = [dose.get(k) for k in ("full_dose_mg", "dose_mg", "max_total_mg", "weight_kg")]
        if any(not isinstance(a, Decimal | int) or isinstance(a, bool) for a in amounts):
            errors.setdefault("__all__", []).append(
                f"{partner_name(partner)}: give the full dose, the dose and the maximum in mg, and the weight in kg."
            )
            continue
        weight_problem = _weight_problem(partner, Decimal(dose["weight_kg"]), settings=settings)
        if weight_problem is not None:
            field, message = weight_problem
            if field == "weight_kg":
                errors.setdefault(partner_error_key(partner.label, "weight_kg"), []).append(message)
                continue
            if not weight_difference_confirmed:
                errors.setdefault("weight_difference_confirmed", []).append(message)
        if min(dose["full_dose_mg"], dose["dose_mg"], dose["max_total_mg"], dose["weight_kg"]) <= 0:
            # Checked here, not only in the form: a task or script calling this service gets the same answer.
            errors.setdefault("__all__", []).append(
                f"{partner_name(partner)}: the full dose, the dose, the maximum and the weight must all be above 0."
            )
            continue
        if dose["max_total_mg"] < dose["dose_mg"]:
            errors.setdefault("__all__", []).append(
                f"{partner_name(partner)}: the maximum must be at least the dose ({fmt_mg(dose['dose_mg'])})."
            )
        ratio = dose["dose_mg"] / dose["full_dose_mg"]
        if abs(ratio - fraction) > tolerance * fraction and not (dose.get("fraction_reason") or "").strip():
            errors.setdefault("__all__", []).append(
                f"{partner_name(partner)}: {fmt_mg(dose['dose_mg'])} is {ratio:.0%} of the full dose, far from "
                f"{info.name.lower()}'s {info.fraction_label}; state the reason."
            )
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        Couple.objects.select_for_update().get(pk=couple.pk)  # one signature at a time per couple
        current = approval_current(couple=couple)
        if request is not None:
            request = DosingRequest.objects.select_for_update().get(pk=request.pk)
            if request.status != RequestStatus.PENDING or request.couple_id != couple.pk:
                raise ValidationError("That request has already been answered.")
        approval = Approval(
            couple=couple,
            request=request,
            supersedes=current,
            approach=approach,
            valid_from=valid_from,
            valid_until=valid_until,
            sessions_covered=sessions_covered or None,
            medicine_sessions_past_maximum=past_maximum,
            conditions=(conditions or "").strip(),
            signed_by=by,
            signed_at=timezone.now(),
        )
        rows = [
            ApprovalDose(
                approval=approval,
                partner=d["partner"],
                route=d["route"],
                full_dose_mg=d["full_dose_mg"],
                dose_mg=d["dose_mg"],
                weight_kg=d["weight_kg"],
                screening_weight_kg=d["partner"].screening.weight_kg,
                max_total_mg=d["max_total_mg"],
                fraction_reason=(d.get("fraction_reason") or "").strip(),
            )
            for d in dosing
        ]
        approval.content_hash = approval.compute_hash(rows)
        approval.full_clean(exclude=["content_hash"])
        approval.save()
        for row in rows:
            row.approval = approval
            row.full_clean()
            row.save()
        if request is not None:
            request.status, request.decided_by, request.decided_at = RequestStatus.APPROVED, by, approval.signed_at
            request.save()
        if current is not None:
            _tell_sessions_under_way(
                current, f"the {current.info.name.lower()} approval was superseded by a new approval signed by {by}."
            )
        notice_send(
            recipients=list(couple.therapists.all()),
            couple=couple,
            text=f"{info.name} approved by {by}"
            + (
                f" (allows {past_maximum} medicine session{'s' if past_maximum != 1 else ''} past the course maximum)"
                if past_maximum
                else ""
            )
            + (
                f", replacing the approval of {day_label(timezone.localtime(current.signed_at).date())}."
                if current
                else "."
            ),
        )
    return approval


def _tell_sessions_under_way(approval: Approval, reason: str) -> None:
    """Medicine sessions under way on this approval stop dosing at once (dosing.gate.dose_gate); their therapist and
    the couple's prescriber are told after the commit, through the outbox (inside the caller's transaction)."""
    for session in TherapySession.objects.filter(
        approval=approval, phase=Phase.MEDICINE, status=SessionStatus.SCHEDULED, started_at__isnull=False
    ):
        outbox_add(kind=OutboxKind.DOSING_STOPPED, object_id=session.pk, payload={"reason": reason})


def approval_verify(approval: Approval) -> bool:
    """Whether the stored approval still matches what was signed."""
    return approval.compute_hash(list(approval.doses.select_related("partner"))) == approval.content_hash


def approval_revoke(*, by: User, approval: Approval, reason: str) -> list:
    """Revoke an approval at once, with a reason; returns the medicine sessions on the calendar it blocks and
    tells the couple's therapists which they are."""
    policy.require_may_decide_dosing(by, approval.couple)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the approval is revoked."})
    with transaction.atomic():
        approval = Approval.objects.select_for_update().get(pk=approval.pk)
        if ApprovalRevocation.objects.filter(approval=approval).exists():
            raise ValidationError("This approval is already revoked.")
        if Approval.objects.filter(supersedes=approval).exists():
            raise ValidationError("This approval was replaced by a newer one; revoke that one instead.")
        ApprovalRevocation.objects.create(approval=approval, revoked_by=by, reason=reason.strip())
        blocked = medicine_sessions_block(by=by, couple=approval.couple)
        _tell_sessions_under_way(approval, f"the {approval.info.name.lower()} approval was revoked ({reason.strip()}).")
        listing = "; ".join(str(s) for s in blocked) or "none on the calendar"
        notice_send(
            recipients=list(approval.couple.therapists.all()),
            couple=approval.couple,
            text=f"The {approval.info.name.lower()} approval was revoked by {by} "
            f"({reason.strip()}). Medicine sessions now blocked: {listing}.",
        )
    return blocked
