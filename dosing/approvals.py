"""The prescriber's signed approval: sign (superseding the current one), verify, revoke; "the current approval"."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cases import policy
from cases.models import Couple
from clinic.services import clinic_settings_get
from dosing.choices import APPROACHES, RequestStatus, Route
from dosing.gate import partner_dosing_blockers
from dosing.lifecycle import medicine_sessions_block
from dosing.models import Approval, ApprovalDose, ApprovalRevocation, DosingRequest
from dosing.notices import notice_send
from dosing.wording import day_label, fmt_mg, partner_name
from outbox.models import OutboxKind
from outbox.services import outbox_add
from sessions.choices import Phase, SessionStatus
from sessions.models import TherapySession


def approval_current(*, couple: Couple) -> Approval | None:
    """The couple's approval that is neither revoked nor superseded (it may be expired or used up)."""
    return Approval.objects.current().filter(couple=couple).order_by("-signed_at", "-id").first()


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
) -> Approval:
    """Sign an approval as the couple's prescriber, re-entering the password. It supersedes the approval in
    force, answers the pending request, and its content is hashed so later tampering shows. The person who
    requested the approach (the request answered, or the couple's pending one) may not sign it."""
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
    partners = {p.pk: p for p in couple.partners.select_related("screening")}
    dosing = [d for d in doses if d.get("partner") is not None]
    if info.both_dose and len(dosing) != 2:
        errors.setdefault("__all__", []).append(f"{info.name}: both partners take ketamine; give both doses.")
    if not info.both_dose and len(dosing) != 1:
        errors.setdefault("__all__", []).append("Solo administration: exactly one partner takes ketamine.")
    tolerance = Decimal(clinic_settings_get().dose_fraction_tolerance_percent) / 100
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
