"""Reads for the dosing pages and dashboards, scoped to the user through cases.policy."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone

from accounts.models import User
from cases.models import Couple, Partner, QuestionnaireResponse
from cases.policy import visible_couples
from clinic.services import clinic_settings_get
from dosing.clinical_time import entered_late
from dosing.discharge import discharge_blockers
from dosing.gate import dose_gate, medicine_gate
from dosing.holds import hold_blockers, partner_readings
from dosing.lifecycle import BEDSIDE, available_actions
from dosing.models import (
    Administration,
    Approval,
    ApprovalDose,
    Discharge,
    DosingRequest,
    HoldOverride,
    MedicineSessionPlan,
    Notice,
    PreDoseCheck,
    SideEffect,
    StockLot,
    VitalReading,
)
from dosing.record import MONITORING_GOES_ON
from dosing.stock import balance_sum
from dosing.vitals import bp_level, bp_thresholds
from sessions.choices import MedicineState


def couple_dosing(*, couple: Couple) -> dict:
    """The couple's dosing page: current approval, its history and requests."""
    approvals = list(
        Approval.objects.filter(couple=couple)
        .with_is_current()
        .select_related("signed_by", "revocation__revoked_by", "supersedes")
        .prefetch_related(Prefetch("doses", queryset=ApprovalDose.objects.select_related("partner")))
        .order_by("-signed_at", "-id")
    )
    superseded = {a.supersedes_id for a in approvals if a.supersedes_id}
    current = next((a for a in approvals if a.is_current), None)
    for approval in approvals:
        approval.is_superseded = approval.pk in superseded
        approval.matches_signature = approval.compute_hash(list(approval.doses.all())) == approval.content_hash
    requests = list(
        DosingRequest.objects.filter(couple=couple).select_related("requested_by", "decided_by", "solo_partner")
    )
    return {
        "approvals": approvals,
        "current": current,
        "requests": requests,
        "pending": next((r for r in requests if r.status == "pending"), None),
    }


@dataclass(frozen=True)
class Hold:
    """A reading at or above the hold threshold, which held dosing, and the prescriber's override if one covers it."""

    what: str  # "Baseline" (the pre-dose check) or "Reading"
    at: datetime.datetime
    systolic: int
    diastolic: int
    override_by: object = None
    override_at: datetime.datetime | None = None
    override_reason: str = ""


def _holds(check, vitals) -> list[Hold]:
    holds = []
    if check is not None and check.level == "hold":
        holds.append(
            Hold(
                "Baseline",
                getattr(check, "at", check.recorded_at),
                check.systolic,
                check.diastolic,
                check.override_by,
                check.override_at,
                check.override_reason,
            )
        )
    for reading in vitals:
        if reading.level == "hold":
            override = getattr(reading, "hold_override", None)
            holds.append(
                Hold(
                    "Reading",
                    reading.at,
                    reading.systolic,
                    reading.diastolic,
                    getattr(override, "by", None),
                    getattr(override, "at", None),
                    getattr(override, "reason", ""),
                )
            )
    return holds


@dataclass
class PartnerRecord:
    partner: Partner
    approved: ApprovalDose | None
    check: PreDoseCheck | None = None
    doses: list = field(default_factory=list)
    vitals: list = field(default_factory=list)
    side_effects: list = field(default_factory=list)
    discharge: Discharge | None = None
    total_mg: object = 0
    discharge_blockers: list = field(default_factory=list)
    hold_reasons: list = field(default_factory=list)  # why blood pressure stops the next dose now
    hold_reading: VitalReading | None = None  # the reading a prescriber may override to lift the hold
    holds: list = field(default_factory=list)  # every hold-level reading with its override, for the paper record
    weights: list = field(default_factory=list)  # the weights the doses' mg/kg stand on (one, unless re-approved)


def medicine_record(*, session, user: User | None = None) -> dict:
    """Everything on the medicine session record page, per partner, in a fixed number of queries: its state, what
    the state allows at the bedside, and (for a user) the moves available to them with the reasons."""
    now = timezone.now()
    state = session.medicine_state
    dosing_stopped: list[str] = []
    if state in (MedicineState.IN_PROGRESS, MedicineState.OBSERVATION):
        # Under way: the record stands on the approval it started under, whatever the gate says now; a gate shut
        # since then stops further doses only (monitoring and discharge go on), and the page says so.
        gate_reasons = []
        approval = Approval.objects.filter(pk=session.approval_id).select_related("signed_by").first()
        if state == MedicineState.IN_PROGRESS:
            dosing_stopped = dose_gate(session=session, at=now).reasons
    else:
        approval, gate_reasons = medicine_gate(couple=session.couple, start=session.start, session_pk=session.pk)
    plan = MedicineSessionPlan.objects.filter(session=session).first()
    partners = list(session.couple.partners.select_related("screening").order_by("label"))
    approved = {d.partner_id: d for d in approval.doses.all()} if approval else {}
    checks = {
        c.partner_id: c
        for c in PreDoseCheck.objects.filter(session=session).select_related("override_by", "recorded_by")
    }
    doses = list(Administration.objects.filter(session=session).select_related("lot", "administered_by"))
    vitals = list(VitalReading.objects.filter(session=session).select_related("recorded_by").order_by("at", "id"))
    overrides = {o.reading_id: o for o in HoldOverride.objects.filter(reading__session=session).select_related("by")}
    effects = list(SideEffect.objects.filter(session=session))
    discharges = {d.partner_id: d for d in Discharge.objects.filter(session=session).select_related("discharged_by")}
    records = []
    for partner in partners:
        record = PartnerRecord(
            partner=partner,
            approved=approved.get(partner.pk),
            check=checks.get(partner.pk),
            doses=[d for d in doses if d.partner_id == partner.pk],
            vitals=[v for v in vitals if v.partner_id == partner.pk],
            side_effects=[e for e in effects if e.partner_id == partner.pk],
            discharge=discharges.get(partner.pk),
        )
        record.total_mg = sum((d.mg for d in record.doses), 0)
        for reading in record.vitals:
            reading.level = bp_level(reading.systolic, reading.diastolic)
            reading.hold_override = overrides.get(reading.pk)
            reading.entered_late = entered_late(reading.at, reading.recorded_at)
        for item in (*record.doses, *record.side_effects):
            item.entered_late = entered_late(item.at, item.recorded_at)
        if record.check:
            record.check.level = bp_level(record.check.systolic, record.check.diastolic)
            record.check.entered_late = entered_late(record.check.at, record.check.recorded_at)
        if record.approved is not None and state == MedicineState.IN_PROGRESS:
            readings = partner_readings(
                session=session, partner=partner, check=record.check, vitals=record.vitals, overridden_ids=overrides
            )
            record.hold_reasons = hold_blockers(
                session=session,
                partner=partner,
                at=now,
                previous_dose_at=record.doses[-1].at if record.doses else None,
                readings=readings,
            )
            latest = readings[-1] if readings else None
            if latest is not None and latest.holds and not latest.baseline:
                record.hold_reading = next(v for v in record.vitals if v.pk == latest.pk)
        if record.doses and not record.discharge:
            record.discharge_blockers = discharge_blockers(session=session, partner=partner, at=now)
        record.holds = _holds(record.check, record.vitals)
        record.weights = list(dict.fromkeys(d.weight_kg for d in record.doses))
        record.chart = vitals_chart(record.vitals)
        records.append(record)
    state = session.medicine_state
    (flag_s, flag_d), (hold_s, hold_d) = bp_thresholds()
    return {
        "approval": approval,
        "flag_at": f"{flag_s}/{flag_d}",
        "hold_at": f"{hold_s}/{hold_d}",
        "gate_reasons": gate_reasons,
        "dosing_stopped": dosing_stopped,
        "monitoring_goes_on": MONITORING_GOES_ON,
        "plan": plan,
        "records": records,
        "state": state,
        "state_label": session.get_medicine_state_display(),
        "can": {what: state in states for what, states in BEDSIDE.items()},
        "actions": available_actions(session, user, now, dosed=bool(doses)) if user is not None else [],
    }


CHART_RANGE = (40, 200)  # mmHg and bpm on one axis: every plausible adult reading, clipped at the edges
CHART_TICKS = (40, 80, 120, 160, 200)


def vitals_chart(readings, *, width: int = 360, height: int = 170) -> dict | None:
    """Systolic, diastolic and heart rate over time for an inline SVG (no script), with its axes (mmHg / bpm up,
    clinic time along), tick labels, and the clinic's flag and hold thresholds drawn and labelled."""
    if len(readings) < 1:
        return None
    left, right, top, bottom = 34, 74, 8, 28  # room for the tick labels and the threshold labels
    plot_w, plot_h = width - left - right, height - top - bottom
    start = readings[0].at
    span = max((readings[-1].at - start).total_seconds(), 1)
    low, high = CHART_RANGE

    def x(moment) -> float:
        return left + (moment - start).total_seconds() / span * plot_w

    def y(value) -> float:
        return top + plot_h - (min(max(value, low), high) - low) / (high - low) * plot_h

    def points(values):
        return " ".join(f"{x(r.at):.1f},{y(v):.1f}" for r, v in values)

    (flag_s, flag_d), (hold_s, hold_d) = bp_thresholds()
    thresholds = [
        {"y": f"{y(v):.1f}", "label": f"{word} {v} mmHg", "kind": kind}
        for word, kind, v in (
            ("hold sys", "hold", hold_s),
            ("flag sys", "flag", flag_s),
            ("hold dia", "hold", hold_d),
            ("flag dia", "flag", flag_d),
        )
    ]
    times = [start] if span <= 1 else [start + datetime.timedelta(seconds=span * f) for f in (0, 0.5, 1)]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": left + plot_w,
        "top": top,
        "bottom": top + plot_h,
        "systolic": points([(r, r.systolic) for r in readings]),
        "diastolic": points([(r, r.diastolic) for r in readings]),
        "heart_rate": points([(r, r.heart_rate) for r in readings]),
        "markers": [
            {"x": f"{x(r.at):.1f}", "sys": f"{y(r.systolic):.1f}", "dia": f"{y(r.diastolic):.1f}"} for r in readings
        ],
        "y_ticks": [{"y": f"{y(v):.1f}", "label": str(v)} for v in CHART_TICKS],
        "x_ticks": [{"x": f"{x(t):.1f}", "label": timezone.localtime(t).strftime("%H:%M")} for t in times],
        "thresholds": thresholds,
        "hold_y": thresholds[0]["y"],
        "flag_y": thresholds[1]["y"],
    }


def prescriber_panel(*, user: User) -> dict:
    """The prescriber's dosing work: requests to answer, this week's medicine sessions, flagged vitals, approvals
    ending soon."""
    from sessions.choices import Phase, SessionStatus
    from sessions.models import TherapySession

    couples = visible_couples(user).filter(prescriber=user)
    today = timezone.localdate()
    week_start = timezone.make_aware(
        datetime.datetime.combine(today - datetime.timedelta(days=today.weekday()), datetime.time.min)
    )
    settings = clinic_settings_get()
    medicine = TherapySession.objects.filter(
        couple__in=couples,
        phase=Phase.MEDICINE,
        start__gte=week_start,
        start__lt=week_start + datetime.timedelta(days=7),
    )
    flagged_vitals = VitalReading.objects.filter(session=OuterRef("pk")).filter(
        systolic__gte=settings.bp_flag_systolic
    ) | VitalReading.objects.filter(session=OuterRef("pk"), diastolic__gte=settings.bp_flag_diastolic)
    soon = today + datetime.timedelta(days=settings.approval_expiry_warning_days)
    expiring = (
        Approval.objects.current()
        .filter(couple__in=couples, valid_until__isnull=False, valid_until__gte=today, valid_until__lte=soon)
        .select_related("couple")
        .order_by("valid_until")
    )
    return {
        "requests": list(
            DosingRequest.objects.filter(couple__in=couples, status="pending")
            .select_related("couple", "requested_by")
            .order_by("requested_at")
        ),
        "medicine_week": list(
            medicine.exclude(status=SessionStatus.CANCELLED).select_related("couple", "therapist").order_by("start")
        ),
        "flagged": list(
            TherapySession.objects.filter(
                couple__in=couples, phase=Phase.MEDICINE, start__gte=timezone.now() - datetime.timedelta(days=14)
            )
            .filter(Exists(flagged_vitals))
            .select_related("couple")
            .order_by("-start")[:10]
        ),
        "expiring": list(expiring),
    }


def notices_for(*, user: User) -> list[Notice]:
    return list(Notice.objects.filter(recipient=user, dismissed_at__isnull=True).select_related("couple")[:20])


def stock_lots():
    """Every lot with its balance in the log, computed in the one query."""
    return StockLot.objects.annotate(balance=balance_sum("entries__")).order_by("expires_on", "lot_number")


def latest_scores(couple: Couple) -> dict:
    """Each partner's latest response per instrument (cases.scores decides which is the latest)."""
    from cases.scores import latest_responses

    return latest_responses(QuestionnaireResponse.objects.filter(partner__couple=couple))
