"""The medicine session's bedside record (CLINICAL.md, "The medicine session, moment by moment"): plan, pre-dose
checks and the hold override, doses, vitals and side effects (discharge is dosing/discharge.py)."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone

from accounts.models import User
from cases import policy
from cases.models import Partner
from dosing.choices import Setting, StockEntryKind
from dosing.clinical_time import clinical_time_check
from dosing.doses import dose_amount_clean, dose_fraction_far, dose_step_check
from dosing.gate import dose_gate, medicine_gate
from dosing.holds import hold_blockers
from dosing.lifecycle import require_bedside
from dosing.models import (
    Administration,
    Approval,
    ApprovalDose,
    Discharge,
    MedicineSessionPlan,
    PreDoseCheck,
    SideEffect,
    StockEntry,
    StockLot,
    VitalReading,
)
from dosing.protocol import medicine_step_reasons
from dosing.stock import lot_balance
from dosing.vitals import bp_level
from dosing.wording import day_label, fmt_mg, partner_name
from sessions.models import TherapySession

# What the page and the refusal say once the gate has shut during a session.
MONITORING_GOES_ON = "Vital signs, side effects and discharge can still be recorded."


def _hm(value: datetime.datetime) -> str:
    return formats.time_format(timezone.localtime(value), "H:i")


def _documenting_gate(session) -> Approval:
    """Documenting a medicine session needs its gate open for the session's time."""
    gate = medicine_gate(couple=session.couple, start=session.start, session_pk=session.pk)
    reasons = gate.reasons + medicine_step_reasons(session, approval=gate.approval)  # the course, every step
    if not gate.is_open or reasons:
        raise ValidationError(
            [
                ValidationError(r, code="documenting_gate")
                for r in ["This medicine session cannot be documented:", *dict.fromkeys(reasons)]
            ]
        )
    return gate.approval


def _approved_dose(approval: Approval, partner: Partner) -> ApprovalDose:
    dose = approval.doses.filter(partner=partner).first()
    if dose is None:
        raise ValidationError(
            {
                "partner": ValidationError(
                    f"{partner_name(partner)} is not a dosing partner under the {approval.info.name.lower()} approval.",
                    code="not_a_dosing_partner",
                )
            }
        )
    return dose


@transaction.atomic  # the record and its audit row (the audit receiver) stand or fall together
def medicine_plan_save(
    *, by: User, session, setting: str, support_person: str = "", agenda: str = ""
) -> MedicineSessionPlan:
    """Record where the medicine session happens and, for extended discussion, its agenda."""
    require_bedside(session, "plan")
    policy.require_may_document(by, session)
    if setting == Setting.HOME and not support_person.strip():
        raise ValidationError({"support_person": "At home, name the support person who is present."})
    plan, _ = MedicineSessionPlan.objects.get_or_create(session=session)
    plan.setting, plan.support_person, plan.agenda = setting, support_person.strip(), agenda.strip()
    plan.full_clean()
    plan.save()
    return plan


@transaction.atomic  # the record and its audit row (the audit receiver) stand or fall together
def predose_record(*, by: User, session, partner: Partner, values: dict) -> PreDoseCheck:
    """Record one dosing partner's checks before dosing, at their clinical time (values["at"], now by default):
    inside the session and the approval in force, never in the future."""
    require_bedside(session, "predose")
    policy.require_may_document(by, session)
    approval = _documenting_gate(session)
    _approved_dose(approval, partner)
    # A form gives minutes; "now" by default is taken to the minute too, so a dose entered the same minute follows it.
    at = values.get("at") or timezone.now().replace(second=0, microsecond=0)
    at = clinical_time_check(session=session, at=at, what="predose", approval=approval)
    check = PreDoseCheck.objects.filter(session=session, partner=partner).first()
    if check is not None and session.administrations.filter(partner=partner).exists():
        raise ValidationError(
            "Dosing has started: the pre-dose checks are kept as they were.", code="predose_after_dosing"
        )
    check = check or PreDoseCheck(session=session, partner=partner)
    for field in (
        "fasting_confirmed",
        "ride_home_arranged",
        "no_new_contraindication",
        "sober_partner_present",
        "systolic",
        "diastolic",
        "heart_rate",
        "spo2",
    ):
        if field in values:
            setattr(check, field, values[field])
    check.at = at
    check.recorded_by, check.recorded_at = by, timezone.now()
    if check.override_by_id and bp_level(check.systolic, check.diastolic) != "hold":
        check.override_by, check.override_reason, check.override_at = None, "", None
    check.full_clean()
    if check.diastolic >= check.systolic:
        raise ValidationError({"diastolic": "Diastolic pressure must be lower than systolic."})
    check.save()
    return check


def predose_override(*, by: User, check: PreDoseCheck, reason: str) -> PreDoseCheck:
    """The couple's (or covering) prescriber allows dosing despite a hold-level blood pressure, with a reason. Not
    the therapist running the session, unless the clinic allows dual-role acts: then the override is audited."""
    session = check.session
    require_bedside(session, "predose")
    verdict = policy.require_may_override_hold(by, session)
    if not (reason or "").strip():
        raise ValidationError(
            {"reason": ValidationError("State the reason for the override.", code="override_needs_reason")}
        )
    with transaction.atomic():
        check.override_by, check.override_reason, check.override_at = by, reason.strip(), timezone.now()
        check.save(update_fields=["override_by", "override_reason", "override_at"])
        policy.audit_if_flagged(
            verdict,
            actor=by,
            obj=check,
            couple=session.couple,
            what=f"pre-dose check {check.pk}: hold overridden by the therapist running the session",
        )
    return check


def predose_blockers(*, session, partner: Partner, approval: Approval) -> list[str]:
    """What must be done before this partner's first dose."""
    check = PreDoseCheck.objects.filter(session=session, partner=partner).first()
    name = partner_name(partner)
    if check is None:
        return [f"{name}: record the pre-dose checks first."]
    reasons = []
    if not check.fasting_confirmed:
        reasons.append(f"{name}: fasting is not confirmed.")
    if not check.ride_home_arranged:
        reasons.append(f"{name}: no ride home is arranged.")
    if not check.no_new_contraindication:
        reasons.append(f"{name}: a new contraindication was reported; the prescriber must review.")
    if approval.info.needs_sober_partner and not check.sober_partner_present:
        reasons.append("Solo administration: the sober partner's presence is not confirmed.")
    if approval.info.needs_agenda:
        plan = MedicineSessionPlan.objects.filter(session=session).first()
        if plan is None or not plan.agenda:
            reasons.append("Extended discussion: write the agenda and conversation plan before the session starts.")
    return reasons


def dose_record(
    *,
    by: User,
    session,
    partner: Partner,
    at: datetime.datetime,
    mg,
    lot: StockLot | None,
    is_booster: bool = False,
    fraction_reason: str = "",
) -> Administration:
    """Record a dose given (or a booster) at its clinical time. The gate is checked again at that time; the dose is
    at most its approved step and the total at most the approved maximum; a booster needs a reading after the
    previous dose; a hold-level reading without its override stops it; a first dose far from the approach's
    fraction needs a reason. Under row locks (session, approval, approved dose, lot, in that order), so two entries
    at once are decided one after the other."""
    policy.require_may_document(by, session)
    amount = dose_amount_clean(mg)
    if lot is None:
        raise ValidationError(
            {"lot": ValidationError("Give the lot the dose was drawn from.", code="dose_lot_missing")}
        )
    name = partner_name(partner)
    with transaction.atomic():
        TherapySession.objects.select_for_update().filter(pk=session.pk).first()
        require_bedside(session, "dose")
        approval = Approval.objects.select_for_update().filter(pk=session.approval_id).first()
        if approval is None:
            raise ValidationError("This medicine session has no approval: no dose can be recorded.", code="dose_gate")
        at = clinical_time_check(session=session, at=at, what="dose", approval=approval)
        gate = dose_gate(session=session, at=at)
        stopped = gate.reasons + medicine_step_reasons(session, approval=approval)  # and the course, every step
        if not gate.is_open or stopped:
            raise ValidationError(
                [
                    ValidationError(r, code="dose_gate")
                    for r in ["No further dose may be given:", *dict.fromkeys(stopped), MONITORING_GOES_ON]
                ]
            )
        approved = ApprovalDose.objects.select_for_update().get(pk=_approved_dose(approval, partner).pk)
        amount = dose_amount_clean(amount, route=approved.route)
        reasons = predose_blockers(session=session, partner=partner, approval=approval)
        if reasons:
            raise ValidationError([ValidationError(r, code="dose_predose") for r in reasons])
        check = PreDoseCheck.objects.get(session=session, partner=partner)
        if at < check.at:
            raise ValidationError(
                {
                    "at": ValidationError(
                        f"{name}'s pre-dose checks were taken at {_hm(check.at)}; a dose comes after them.",
                        code="dose_before_predose",
                    )
                }
            )
        if Discharge.objects.filter(session=session, partner=partner).exists():
            raise ValidationError(
                f"{name} has been discharged; no more doses in this session.", code="dose_after_discharge"
            )
        earlier = list(session.administrations.filter(partner=partner).order_by("at", "id"))
        given = sum((a.mg for a in earlier), Decimal(0))
        if earlier and at < earlier[-1].at:
            raise ValidationError(
                {
                    "at": ValidationError(
                        f"{name}'s previous dose was at {_hm(earlier[-1].at)}; a booster comes after it.",
                        code="dose_before_previous",
                    )
                }
            )
        dose_step_check(approved=approved, given=given, amount=amount, is_booster=is_booster, name=partner.first_name)
        holds = hold_blockers(
            session=session, partner=partner, at=at, previous_dose_at=earlier[-1].at if earlier else None
        )
        if holds:
            raise ValidationError([ValidationError(r, code="dose_hold") for r in holds])
        fraction_reason = (fraction_reason or "").strip()
        far = "" if earlier else dose_fraction_far(approval=approval, approved=approved, amount=amount)
        if far and not fraction_reason:
            raise ValidationError({"fraction_reason": ValidationError(far, code="dose_fraction_reason")})
        lot = StockLot.objects.select_for_update().get(pk=lot.pk)
        if lot.expires_on < timezone.localtime(at).date():
            raise ValidationError(
                {
                    "lot": ValidationError(
                        f"Lot {lot.lot_number} expired on {day_label(lot.expires_on)}.", code="dose_lot_expired"
                    )
                }
            )
        balance = lot_balance(lot)
        if amount > balance:
            raise ValidationError(
                {
                    "lot": ValidationError(
                        f"Lot {lot.lot_number} holds {fmt_mg(balance)} in the log, less than {fmt_mg(amount)}.",
                        code="dose_lot_balance",
                    )
                }
            )
        administration = Administration.objects.create(
            session=session,
            partner=partner,
            approved_dose=approved,
            at=at,
            route=approved.route,
            mg=amount,
            weight_kg=approved.weight_kg,
            lot=lot,
            is_booster=bool(earlier),
            fraction_reason=fraction_reason if far else "",
            administered_by=by,
        )
        StockEntry.objects.create(
            lot=lot,
            kind=StockEntryKind.ADMINISTERED,
            amount_mg=amount,
            at=at,
            by=by,
            administration=administration,
            note=f"{session.couple.case_number} {partner.get_label_display()}",
        )
    return administration


@transaction.atomic  # the record and its audit row (the audit receiver) stand or fall together
def vitals_record(
    *,
    by: User,
    session,
    partner: Partner,
    at: datetime.datetime,
    systolic: int,
    diastolic: int,
    heart_rate: int,
    spo2: int | None = None,
) -> VitalReading:
    """Record one set of vital signs for a partner, at the clinical time they were taken (inside the session, not
    in the future); monitoring goes on whatever the gate says."""
    require_bedside(session, "vitals")
    policy.require_may_document(by, session)
    if partner.couple_id != session.couple_id:
        raise ValidationError({"partner": "That partner is not in this couple."})
    at = clinical_time_check(session=session, at=at, what="vitals")
    reading = VitalReading(
        session=session,
        partner=partner,
        at=at,
        systolic=systolic,
        diastolic=diastolic,
        heart_rate=heart_rate,
        spo2=spo2,
        recorded_by=by,
        recorded_at=timezone.now(),
    )
    reading.full_clean()
    if diastolic >= systolic:
        raise ValidationError({"diastolic": "Diastolic pressure must be lower than systolic."})
    reading.save()
    return reading


@transaction.atomic  # the record and its audit row (the audit receiver) stand or fall together
def side_effect_record(
    *,
    by: User,
    session,
    partner: Partner,
    at: datetime.datetime,
    kind: str,
    severity: str,
    description: str = "",
    intervention: str = "",
) -> SideEffect:
    """Record a side effect and the intervention, at the clinical time it was seen (inside the session)."""
    require_bedside(session, "side_effect")
    policy.require_may_document(by, session)
    if partner.couple_id != session.couple_id:
        raise ValidationError({"partner": "That partner is not in this couple."})
    at = clinical_time_check(session=session, at=at, what="side_effect")
    effect = SideEffect(
        session=session,
        partner=partner,
        at=at,
        kind=kind,
        severity=severity,
        description=description.strip(),
        intervention=intervention.strip(),
        recorded_by=by,
        recorded_at=timezone.now(),
    )
    effect.full_clean()
    effect.save()
    return effect
