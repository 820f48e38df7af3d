"""Dosing verbs: request, approve (sign), decline, revoke; the gate; the medicine session record; the
controlled-substance log. Every rule of CLINICAL.md's dosing sections lives here, once."""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import formats, timezone

from accounts.models import User
from cases.choices import CoupleStatus, ScreeningOutcome
from cases.models import Couple, Partner
from clinic.services import clinic_settings_get
from dosing.choices import APPROACHES, Approach, RequestStatus, Route, Setting, StockEntryKind
from dosing.models import (
    Administration,
    Approval,
    ApprovalDose,
    ApprovalRevocation,
    Discharge,
    DosingRequest,
    InventoryCount,
    MedicineSessionPlan,
    Notice,
    PreDoseCheck,
    SideEffect,
    StockEntry,
    StockLot,
    VitalReading,
)


def _day(value: datetime.date) -> str:
    return formats.date_format(value, "j F Y")


def fmt_mg(value) -> str:
    """A dose as a clinician writes it: 75 mg, 12.5 mg."""
    text = f"{Decimal(value):f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + " mg"


def _partner_name(partner: Partner) -> str:
    return f"{partner.get_label_display()} ({partner.first_name})"


# -- requests ------------------------------------------------------------------------------------------


def dosing_request_create(*, by: User, couple: Couple, approach: str, rationale: str,
                          solo_partner: Partner | None = None) -> DosingRequest:
    """A therapist of the couple asks its prescriber for one approach, with a rationale."""
    errors = {}
    if not by.is_therapist or not couple.therapists.filter(pk=by.pk).exists():
        raise ValidationError("Only a therapist of this couple can request a dosing approach.")
    if couple.status not in (CoupleStatus.SCREENING, CoupleStatus.ACTIVE):
        raise ValidationError(f"A couple in {couple.get_status_display().lower()} cannot have dosing requested.")
    if couple.prescriber_id is None:
        raise ValidationError("Assign a prescriber to this couple first.")
    if approach not in Approach.values:
        errors["approach"] = "Choose one of the four approaches."
    elif approach == Approach.SOLO and solo_partner is None:
        errors["solo_partner"] = "Solo administration: choose the partner who will take ketamine."
    elif approach != Approach.SOLO and solo_partner is not None:
        errors["solo_partner"] = "Only solo administration names one dosing partner; the others dose both."
    if solo_partner is not None and solo_partner.couple_id != couple.pk:
        errors["solo_partner"] = "That partner is not in this couple."
    if not (rationale or "").strip():
        errors["rationale"] = "Explain why this approach suits the couple."
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            request = DosingRequest.objects.create(couple=couple, approach=approach, rationale=rationale.strip(),
                                                   solo_partner=solo_partner, requested_by=by)
    except IntegrityError:
        raise ValidationError("This couple already has a request waiting for the prescriber.") from None
    _notify(recipients=[couple.prescriber], couple=couple,
            text=f"{by} requests {APPROACHES[approach].name.lower()}.")
    return request


def dosing_request_decline(*, by: User, request: DosingRequest, reason: str) -> DosingRequest:
    """The couple's prescriber declines a pending request, saying why."""
    _require_couple_prescriber(by, request.couple)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the request is declined."})
    with transaction.atomic():
        request = DosingRequest.objects.select_for_update().get(pk=request.pk)
        if request.status != RequestStatus.PENDING:
            raise ValidationError("This request has already been answered.")
        request.status = RequestStatus.DECLINED
        request.decided_by, request.decided_at, request.decision_reason = by, timezone.now(), reason.strip()
        request.save()
    _notify(recipients=[request.requested_by], couple=request.couple,
            text=f"{request.info.name} was declined by {by}: {reason.strip()}")
    return request


def dosing_request_withdraw(*, by: User, request: DosingRequest) -> DosingRequest:
    """A therapist of the couple withdraws a request the prescriber has not answered."""
    if not request.couple.therapists.filter(pk=by.pk).exists():
        raise ValidationError("Only a therapist of this couple can withdraw its request.")
    with transaction.atomic():
        request = DosingRequest.objects.select_for_update().get(pk=request.pk)
        if request.status != RequestStatus.PENDING:
            raise ValidationError("This request has already been answered.")
        request.status, request.decided_by, request.decided_at = RequestStatus.WITHDRAWN, by, timezone.now()
        request.save()
    return request


def _require_couple_prescriber(by: User, couple: Couple) -> None:
    if not by.is_prescriber:
        raise ValidationError("Only a prescriber can approve, decline or revoke dosing.")
    if couple.prescriber_id != by.pk:
        raise ValidationError("Only this couple's own prescriber can decide on its dosing.")


# -- approvals -----------------------------------------------------------------------------------------


def partner_dosing_blockers(partner: Partner) -> list[str]:
    """Why this partner may not take ketamine now (empty when cleared and consented)."""
    screening = partner.screening
    reasons = []
    if not screening.medicine_candidate:
        reasons.append(f"{_partner_name(partner)} was screened as sober support only.")
    if screening.outcome != ScreeningOutcome.CLEARED:
        reasons.append(f"{_partner_name(partner)} is not cleared (screening: {screening.get_outcome_display().lower()}).")
    if not screening.has_consent:
        reasons.append(f"{_partner_name(partner)} has not signed consent.")
    return reasons


def approval_sign(*, by: User, password: str, couple: Couple, approach: str, valid_from: datetime.date,
                  valid_until: datetime.date | None, sessions_covered: int | None, conditions: str,
                  doses: list[dict], request: DosingRequest | None = None) -> Approval:
    """Sign an approval as the couple's prescriber, re-entering the password. It supersedes the approval in
    force, answers the pending request, and its content is hashed so later tampering shows."""
    _require_couple_prescriber(by, couple)
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
            errors.setdefault("__all__", []).append(f"{_partner_name(partner)}: choose a route.")
        if min(dose["full_dose_mg"], dose["dose_mg"], dose["max_total_mg"], dose["weight_kg"]) <= 0:
            # Checked here, not only in the form: a task or script calling this service gets the same answer.
            errors.setdefault("__all__", []).append(
                f"{_partner_name(partner)}: the full dose, the dose, the maximum and the weight must all be above 0.")
            continue
        if dose["max_total_mg"] < dose["dose_mg"]:
            errors.setdefault("__all__", []).append(
                f"{_partner_name(partner)}: the maximum must be at least the dose ({fmt_mg(dose['dose_mg'])}).")
        ratio = dose["dose_mg"] / dose["full_dose_mg"]
        if abs(ratio - fraction) > tolerance * fraction and not (dose.get("fraction_reason") or "").strip():
            errors.setdefault("__all__", []).append(
                f"{_partner_name(partner)}: {fmt_mg(dose['dose_mg'])} is {ratio:.0%} of the full dose, far from "
                f"{info.name.lower()}'s {info.fraction_label}; state the reason.")
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
        approval = Approval(couple=couple, request=request, supersedes=current, approach=approach,
                            valid_from=valid_from, valid_until=valid_until, sessions_covered=sessions_covered or None,
                            conditions=(conditions or "").strip(), signed_by=by, signed_at=timezone.now())
        rows = [ApprovalDose(approval=approval, partner=d["partner"], route=d["route"], full_dose_mg=d["full_dose_mg"],
                             dose_mg=d["dose_mg"], weight_kg=d["weight_kg"], max_total_mg=d["max_total_mg"],
                             fraction_reason=(d.get("fraction_reason") or "").strip()) for d in dosing]
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
    _notify(recipients=list(couple.therapists.all()), couple=couple,
            text=f"{info.name} approved by {by}"
                 + (f", replacing the approval of {_day(timezone.localtime(current.signed_at).date())}."
                    if current else "."))
    return approval


def approval_verify(approval: Approval) -> bool:
    """Whether the stored approval still matches what was signed."""
    return approval.compute_hash(list(approval.doses.select_related("partner"))) == approval.content_hash


def approval_current(*, couple: Couple) -> Approval | None:
    """The couple's latest approval that is neither revoked nor superseded (it may be expired)."""
    return (Approval.objects.filter(couple=couple, revocation__isnull=True, superseded_by__isnull=True)
            .order_by("-signed_at", "-id").first())


def approval_revoke(*, by: User, approval: Approval, reason: str) -> list:
    """Revoke an approval at once, with a reason; returns the medicine sessions on the calendar it blocks and
    tells the couple's therapists which they are."""
    _require_couple_prescriber(by, approval.couple)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the approval is revoked."})
    with transaction.atomic():
        approval = Approval.objects.select_for_update().get(pk=approval.pk)
        if ApprovalRevocation.objects.filter(approval=approval).exists():
            raise ValidationError("This approval is already revoked.")
        if Approval.objects.filter(supersedes=approval).exists():
            raise ValidationError("This approval was replaced by a newer one; revoke that one instead.")
        ApprovalRevocation.objects.create(approval=approval, revoked_by=by, reason=reason.strip())
    blocked = medicine_sessions_blocked(couple=approval.couple)
    listing = "; ".join(str(s) for s in blocked) or "none on the calendar"
    _notify(recipients=list(approval.couple.therapists.all()), couple=approval.couple,
            text=f"The {approval.info.name.lower()} approval was revoked by {by} "
                 f"({reason.strip()}). Medicine sessions now blocked: {listing}.")
    return blocked


def _sessions_used(approval: Approval, *, before: datetime.datetime | None, exclude_pk=None) -> int:
    from sessions.choices import PLANNED_STATUSES, Phase

    sessions = approval.couple.sessions.filter(phase=Phase.MEDICINE, status__in=PLANNED_STATUSES, approval=approval)
    if before is not None:
        sessions = sessions.filter(start__lt=before)
    if exclude_pk is not None:
        sessions = sessions.exclude(pk=exclude_pk)
    return sessions.count()


def approval_in_force(*, couple: Couple, start: datetime.datetime, session_pk=None) -> tuple[Approval | None, list[str]]:
    """The approval that covers a medicine session of this couple at this time, or None with the reasons."""
    day = timezone.localtime(start).date()
    approval = approval_current(couple=couple)
    if approval is None:
        latest = Approval.objects.filter(couple=couple).select_related("revocation").order_by("-signed_at").first()
        if latest is not None and hasattr(latest, "revocation"):
            return None, [f"The {latest.info.name.lower()} approval was revoked on "
                          f"{_day(timezone.localtime(latest.revocation.revoked_at).date())}: {latest.revocation.reason}. "
                          "A new prescriber approval is needed."]
        return None, ["No prescriber approval of a dosing approach is on file for this couple."]
    reasons = []
    if day < approval.valid_from:
        reasons.append(f"The approval starts on {_day(approval.valid_from)}, after {_day(day)}.")
    if approval.valid_until is not None and day > approval.valid_until:
        reasons.append(f"The approval ended on {_day(approval.valid_until)}; a new prescriber approval is needed.")
    if approval.sessions_covered is not None:
        used = _sessions_used(approval, before=start, exclude_pk=session_pk)
        if used >= approval.sessions_covered:
            reasons.append(f"The approval covers {approval.sessions_covered} medicine session"
                           f"{'s' if approval.sessions_covered != 1 else ''}, and {used} already use it.")
    return (None, reasons) if reasons else (approval, [])


def medicine_gate(*, couple: Couple, start: datetime.datetime, session_pk=None) -> tuple[Approval | None, list[str]]:
    """The gate: the approval in force for this medicine session, with every dosing partner cleared and
    consented - or None and every reason it is shut."""
    approval, reasons = approval_in_force(couple=couple, start=start, session_pk=session_pk)
    if approval is None:
        return None, reasons
    for dose in approval.doses.select_related("partner__screening"):
        reasons.extend(partner_dosing_blockers(dose.partner))
    return (None, reasons) if reasons else (approval, [])


def medicine_sessions_blocked(*, couple: Couple | None = None) -> list:
    """Scheduled medicine sessions whose gate is now shut (revoked, expired, used up, partner not cleared)."""
    from sessions.choices import Phase, SessionStatus
    from sessions.models import TherapySession

    sessions = TherapySession.objects.filter(phase=Phase.MEDICINE, status=SessionStatus.SCHEDULED,
                                             start__gte=timezone.now()).select_related("couple")
    if couple is not None:
        sessions = sessions.filter(couple=couple)
    return [s for s in sessions.order_by("start") if medicine_gate(couple=s.couple, start=s.start, session_pk=s.pk)[1]]


def medicine_gate_sweep() -> int:
    """Tell the therapists, once per session, about booked medicine sessions the gate now shuts (an approval
    expired, used up or revoked; a partner no longer cleared). Returns how many notices were written."""
    written = 0
    for session in medicine_sessions_blocked():
        _, reasons = medicine_gate(couple=session.couple, start=session.start, session_pk=session.pk)
        for therapist in session.couple.therapists.all():
            _, created = Notice.objects.get_or_create(
                recipient=therapist, blocked_session=session,
                defaults={"couple": session.couple,
                          "text": f"{session} is blocked: {' '.join(reasons)} Move or cancel it, or ask the "
                                  "prescriber for a new approval."})
            written += created
    return written


def _notify(*, recipients, couple: Couple, text: str) -> None:
    Notice.objects.bulk_create([Notice(recipient=r, couple=couple, text=text) for r in recipients if r is not None])


# -- the medicine session record -----------------------------------------------------------------------


def _medicine_session(session):
    from sessions.choices import Phase, SessionStatus

    if session.phase != Phase.MEDICINE:
        raise ValidationError("Only a medicine session has a dosing record.")
    if session.status != SessionStatus.SCHEDULED:
        # Once completed the record is closed like a signed note: corrections go in the note's amendments.
        raise ValidationError(f"This session is {session.get_status_display().lower()}; its dosing record is closed "
                              "(add an amendment to the session note to correct it).")
    return session


def _documenting_gate(session) -> Approval:
    """Documenting a medicine session needs its gate open for the session's time."""
    approval, reasons = medicine_gate(couple=session.couple, start=session.start, session_pk=session.pk)
    if approval is None:
        raise ValidationError(["This medicine session cannot be documented:", *reasons])
    return approval


def _approved_dose(approval: Approval, partner: Partner) -> ApprovalDose:
    dose = approval.doses.filter(partner=partner).first()
    if dose is None:
        raise ValidationError({"partner": f"{_partner_name(partner)} is not a dosing partner under the "
                                          f"{approval.info.name.lower()} approval."})
    return dose


def medicine_plan_save(*, by: User, session, setting: str, support_person: str = "", agenda: str = "") -> MedicineSessionPlan:
    """Record where the medicine session happens and, for extended discussion, its agenda."""
    _medicine_session(session)
    if setting == Setting.HOME and not support_person.strip():
        raise ValidationError({"support_person": "At home, name the support person who is present."})
    plan, _ = MedicineSessionPlan.objects.get_or_create(session=session)
    plan.setting, plan.support_person, plan.agenda = setting, support_person.strip(), agenda.strip()
    plan.full_clean()
    plan.save()
    return plan


def _thresholds():
    s = clinic_settings_get()
    return (s.bp_flag_systolic, s.bp_flag_diastolic), (s.bp_hold_systolic, s.bp_hold_diastolic)


def bp_level(systolic: int | None, diastolic: int | None) -> str:
    """'hold', 'flag' or 'ok' for a blood pressure, by the clinic thresholds."""
    if systolic is None or diastolic is None:
        return "ok"
    (flag_s, flag_d), (hold_s, hold_d) = _thresholds()
    if systolic >= hold_s or diastolic >= hold_d:
        return "hold"
    if systolic >= flag_s or diastolic >= flag_d:
        return "flag"
    return "ok"


def predose_record(*, by: User, session, partner: Partner, values: dict) -> PreDoseCheck:
    """Record one dosing partner's checks before dosing."""
    _medicine_session(session)
    approval = _documenting_gate(session)
    _approved_dose(approval, partner)
    check = PreDoseCheck.objects.filter(session=session, partner=partner).first()
    if check is not None and session.administrations.filter(partner=partner).exists():
        raise ValidationError("Dosing has started: the pre-dose checks are kept as they were.")
    check = check or PreDoseCheck(session=session, partner=partner)
    for field in ("fasting_confirmed", "ride_home_arranged", "no_new_contraindication", "sober_partner_present",
                  "systolic", "diastolic", "heart_rate", "spo2"):
        if field in values:
            setattr(check, field, values[field])
    check.recorded_by, check.recorded_at = by, timezone.now()
    if check.override_by_id and bp_level(check.systolic, check.diastolic) != "hold":
        check.override_by, check.override_reason = None, ""
    check.full_clean()
    if check.diastolic >= check.systolic:
        raise ValidationError({"diastolic": "Diastolic pressure must be lower than systolic."})
    check.save()
    return check


def predose_override(*, by: User, check: PreDoseCheck, reason: str) -> PreDoseCheck:
    """A prescriber allows dosing despite a hold-level blood pressure, with a reason."""
    if not by.is_prescriber:
        raise ValidationError("Only a prescriber can override a blood-pressure hold.")
    if not (reason or "").strip():
        raise ValidationError({"reason": "State the reason for the override."})
    check.override_by, check.override_reason = by, reason.strip()
    check.save(update_fields=["override_by", "override_reason"])
    return check


def predose_blockers(*, session, partner: Partner, approval: Approval) -> list[str]:
    """What must be done before this partner's first dose."""
    check = PreDoseCheck.objects.filter(session=session, partner=partner).first()
    name = _partner_name(partner)
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


def _latest_bp(session, partner: Partner, check: PreDoseCheck | None):
    reading = VitalReading.objects.filter(session=session, partner=partner).order_by("-at", "-id").first()
    if reading is not None and (check is None or reading.at >= check.recorded_at):
        return reading.systolic, reading.diastolic, None
    if check is not None:
        return check.systolic, check.diastolic, check
    return None, None, None


def dose_record(*, by: User, session, partner: Partner, at: datetime.datetime, mg: Decimal, lot: StockLot | None,
                is_booster: bool = False) -> Administration:
    """Record a dose given (or a booster). Refused past the approved maximum, without a lot, before the pre-dose
    checks, or while blood pressure is at the hold level without a prescriber override."""
    _medicine_session(session)
    if lot is None:
        raise ValidationError({"lot": "Give the lot the dose was drawn from."})
    try:
        amount = Decimal(mg)
    except (InvalidOperation, TypeError):
        raise ValidationError({"mg": "Enter the dose in mg."}) from None
    if amount <= 0:
        raise ValidationError({"mg": "A dose is more than 0 mg."})
    if at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError({"at": "A dose cannot be recorded in the future."})
    with transaction.atomic():
        approval = _documenting_gate(session)
        # Lock the approved dose: two quick entries cannot both pass the maximum check.
        approved = ApprovalDose.objects.select_for_update().get(pk=_approved_dose(approval, partner).pk)
        reasons = predose_blockers(session=session, partner=partner, approval=approval)
        if reasons:
            raise ValidationError(reasons)
        check = PreDoseCheck.objects.get(session=session, partner=partner)
        systolic, diastolic, source = _latest_bp(session, partner, check)
        if bp_level(systolic, diastolic) == "hold" and not (source is check and check.override_by_id):
            (_, _), (hold_s, hold_d) = _thresholds()
            raise ValidationError(f"Dosing is held: blood pressure {systolic}/{diastolic} mmHg is at or above "
                                  f"{hold_s}/{hold_d}. A prescriber must record an override first.")
        if Discharge.objects.filter(session=session, partner=partner).exists():
            raise ValidationError(f"{_partner_name(partner)} has been discharged; no more doses in this session.")
        given = session.administrations.filter(partner=partner).aggregate(total=Sum("mg"))["total"] or Decimal(0)
        if is_booster and given == 0:
            raise ValidationError({"is_booster": "The first dose is not a booster."})
        if given + amount > approved.max_total_mg:
            raise ValidationError({"mg": f"{fmt_mg(amount)} would bring {partner.first_name}'s total to "
                                         f"{fmt_mg(given + amount)}, over the approved maximum of "
                                         f"{fmt_mg(approved.max_total_mg)} ({fmt_mg(given)} given so far)."})
        lot = StockLot.objects.select_for_update().get(pk=lot.pk)
        if lot.expires_on < timezone.localtime(at).date():
            raise ValidationError({"lot": f"Lot {lot.lot_number} expired on {_day(lot.expires_on)}."})
        balance = lot_balance(lot)
        if amount > balance:
            raise ValidationError({"lot": f"Lot {lot.lot_number} holds {fmt_mg(balance)} in the log, less than "
                                          f"{fmt_mg(amount)}."})
        administration = Administration.objects.create(
            session=session, partner=partner, approved_dose=approved, at=at, route=approved.route, mg=amount,
            weight_kg=approved.weight_kg, lot=lot, is_booster=is_booster, administered_by=by)
        StockEntry.objects.create(lot=lot, kind=StockEntryKind.ADMINISTERED, amount_mg=amount, at=at, by=by,
                                  administration=administration,
                                  note=f"{session.couple.case_number} {partner.get_label_display()}")
    return administration


def vitals_record(*, by: User, session, partner: Partner, at: datetime.datetime, systolic: int, diastolic: int,
                  heart_rate: int, spo2: int | None = None) -> VitalReading:
    """Record one set of vital signs for a partner during the medicine session."""
    _medicine_session(session)
    if partner.couple_id != session.couple_id:
        raise ValidationError({"partner": "That partner is not in this couple."})
    if at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError({"at": "Vitals cannot be recorded in the future."})
    reading = VitalReading(session=session, partner=partner, at=at, systolic=systolic, diastolic=diastolic,
                           heart_rate=heart_rate, spo2=spo2, recorded_by=by)
    reading.full_clean()
    if diastolic >= systolic:
        raise ValidationError({"diastolic": "Diastolic pressure must be lower than systolic."})
    reading.save()
    return reading


def side_effect_record(*, by: User, session, partner: Partner, at: datetime.datetime, kind: str, severity: str,
                       description: str = "", intervention: str = "") -> SideEffect:
    """Record a side effect and the intervention."""
    _medicine_session(session)
    if partner.couple_id != session.couple_id:
        raise ValidationError({"partner": "That partner is not in this couple."})
    effect = SideEffect(session=session, partner=partner, at=at, kind=kind, severity=severity,
                        description=description.strip(), intervention=intervention.strip(), recorded_by=by)
    effect.full_clean()
    effect.save()
    return effect


def medicine_completion_blockers(session) -> list[str]:
    """A medicine session is complete once someone was dosed and every dosed partner was discharged."""
    dosed = {a.partner_id: a.partner for a in session.administrations.select_related("partner")}
    if not dosed:
        return ["No dose is recorded: document the doses (or cancel the session if no one was dosed)."]
    discharged = set(Discharge.objects.filter(session=session).values_list("partner_id", flat=True))
    return [f"{_partner_name(p)} is not discharged yet." for pk, p in dosed.items() if pk not in discharged]


def discharge_blockers(*, session, partner: Partner, at: datetime.datetime) -> list[str]:
    """What stops this dosed partner's discharge at this time."""
    last = session.administrations.filter(partner=partner).order_by("-at").first()
    name = _partner_name(partner)
    if last is None:
        return [f"{name} was not dosed in this session; only dosed partners are discharged."]
    reasons = []
    minimum = clinic_settings_get().discharge_observation_minutes
    ready_at = last.at + datetime.timedelta(minutes=minimum)
    if at < ready_at:
        reasons.append(f"{name} needs {minimum} minutes of observation after the last dose "
                       f"(at {formats.time_format(timezone.localtime(last.at), 'H:i')}); discharge from "
                       f"{formats.time_format(timezone.localtime(ready_at), 'H:i')}.")
    reading = VitalReading.objects.filter(session=session, partner=partner, at__gte=last.at).order_by("-at").first()
    if reading is None:
        reasons.append(f"{name}: record vitals taken after the last dose.")
    elif bp_level(reading.systolic, reading.diastolic) != "ok":
        reasons.append(f"{name}: the latest blood pressure, {reading.systolic}/{reading.diastolic} mmHg, is not back "
                       "within the thresholds.")
    return reasons


def discharge_record(*, by: User, session, partner: Partner, at: datetime.datetime, alert_and_oriented: bool,
                     released_to_name: str, released_to_relationship: str, released_to_other_partner: bool,
                     no_driving_acknowledged: bool) -> Discharge:
    """Discharge a dosed partner to a responsible adult - not the other partner if both dosed."""
    _medicine_session(session)
    errors: dict[str, str] = {}
    reasons = discharge_blockers(session=session, partner=partner, at=at)
    if not alert_and_oriented:
        errors["alert_and_oriented"] = "Discharge only a partner who is alert and oriented."
    if not no_driving_acknowledged:
        errors["no_driving_acknowledged"] = "Tell the partner not to drive until the next day after sleep."
    if not released_to_name.strip():
        errors["released_to_name"] = "Name the responsible adult."
    if released_to_other_partner:
        dosed = set(session.administrations.values_list("partner_id", flat=True))
        if len(dosed) == 2:
            errors["released_to_other_partner"] = ("Both partners were dosed: release to a responsible adult other "
                                                   "than the other partner.")
    if Discharge.objects.filter(session=session, partner=partner).exists():
        reasons.append(f"{_partner_name(partner)} is already discharged.")
    if reasons:
        errors["__all__"] = reasons
    if errors:
        raise ValidationError(errors)
    return Discharge.objects.create(
        session=session, partner=partner, at=at, alert_and_oriented=True, released_to_name=released_to_name.strip(),
        released_to_relationship=released_to_relationship.strip(), released_to_other_partner=released_to_other_partner,
        no_driving_acknowledged=True, discharged_by=by)


# -- controlled-substance log ----------------------------------------------------------------------------


def lot_balance(lot: StockLot) -> Decimal:
    """What the log says the lot holds now."""
    total = Decimal(0)
    for kind, amount in lot.entries.values_list("kind", "amount_mg"):
        total += amount if kind in (StockEntryKind.RECEIVED, StockEntryKind.ADJUSTED) else -amount
    return total


def _require_stock_role(user: User) -> None:
    if not (user.is_prescriber or user.is_clinic_admin):
        raise ValidationError("Only a prescriber or a clinic admin keeps the controlled-substance log.")


def _witness_confirms(witness: User | None, password: str, by: User) -> None:
    if witness is None or witness.pk == by.pk:
        raise ValidationError({"witness": "A second person must witness this."})
    if not witness.is_active or not witness.check_password(password or ""):
        raise ValidationError({"witness_password": "The witness's password is not right."})


def stock_receive(*, by: User, lot_number: str, product: str, expires_on: datetime.date, amount_mg: Decimal,
                  supplier: str = "") -> StockLot:
    """Log ketamine received: a new lot and its first entry."""
    _require_stock_role(by)
    if amount_mg <= 0:
        raise ValidationError({"amount_mg": "Enter the amount received, in mg."})
    if expires_on <= timezone.localdate():
        raise ValidationError({"expires_on": "This lot has already expired."})
    with transaction.atomic():
        lot = StockLot(lot_number=lot_number.strip(), product=product.strip(), expires_on=expires_on,
                       supplier=supplier.strip())
        lot.full_clean()
        lot.save()
        StockEntry.objects.create(lot=lot, kind=StockEntryKind.RECEIVED, amount_mg=amount_mg, by=by)
    return lot


def stock_waste(*, by: User, lot: StockLot, amount_mg: Decimal, witness: User | None, witness_password: str,
                note: str) -> StockEntry:
    """Log waste, witnessed by a second person who confirms with their password."""
    _require_stock_role(by)
    _witness_confirms(witness, witness_password, by)
    if amount_mg <= 0:
        raise ValidationError({"amount_mg": "Enter the amount wasted, in mg."})
    if not note.strip():
        raise ValidationError({"note": "Say what was wasted and why (e.g. remainder of vial after a dose)."})
    with transaction.atomic():
        lot = StockLot.objects.select_for_update().get(pk=lot.pk)
        balance = lot_balance(lot)
        if amount_mg > balance:
            raise ValidationError({"amount_mg": f"The log shows only {fmt_mg(balance)} in lot {lot.lot_number}."})
        return StockEntry.objects.create(lot=lot, kind=StockEntryKind.WASTED, amount_mg=amount_mg, by=by,
                                         witness=witness, note=note.strip())


def inventory_count(*, by: User, lot: StockLot, counted_mg: Decimal, witness: User | None, witness_password: str,
                    note: str = "") -> InventoryCount:
    """Record a witnessed physical count. A difference from the log must be explained, and is then booked as an
    adjustment so that the log reconciles with the shelf."""
    _require_stock_role(by)
    _witness_confirms(witness, witness_password, by)
    if counted_mg < 0:
        raise ValidationError({"counted_mg": "A count cannot be negative."})
    with transaction.atomic():
        lot = StockLot.objects.select_for_update().get(pk=lot.pk)
        expected = lot_balance(lot)
        if counted_mg != expected and not note.strip():
            raise ValidationError({"note": f"The log shows {fmt_mg(expected)} and you counted {fmt_mg(counted_mg)}: "
                                           "explain the difference."})
        count = InventoryCount.objects.create(lot=lot, counted_mg=counted_mg, expected_mg=expected, by=by,
                                              witness=witness, note=note.strip())
        if counted_mg != expected:
            StockEntry.objects.create(lot=lot, kind=StockEntryKind.ADJUSTED, amount_mg=counted_mg - expected, by=by,
                                      witness=witness, note=f"Count {count.pk}: {note.strip()}")
    return count
