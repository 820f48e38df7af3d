"""The demo clinic's treatment history: sessions, notes, approvals and documented medicine sessions.

History is written as it would have been left (rows dated in the past); what lies ahead is booked through the
services, so the protocol and the gate are what a newcomer meets when they click around.
"""

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from cases.instruments import INSTRUMENTS
from cases.models import Couple, QuestionnaireResponse
from dosing import requests as dosing_requests
from dosing.choices import APPROACHES, Approach, StockEntryKind
from dosing.models import (
    Administration,
    Approval,
    ApprovalDose,
    Discharge,
    DosingRequest,
    PreDoseCheck,
    StockEntry,
    StockLot,
    VitalReading,
)
from integration.services import integration_links_sync
from sessions import services as session_services
from sessions.choices import NoteStatus, Phase, Place, SessionStatus
from sessions.models import SessionNote, TherapySession

NOTES = {
    Phase.ASSESSMENT: {
        "history": "Together 9 years; conflict escalates around finances and parenting. Both report "
        "past therapy helped briefly. Screening reviewed with both.",
        "goals": "Feel like a team again; talk about hard things without shutting down.",
    },
    Phase.PREPARATION: {
        "intentions_a": "To soften and listen without defending.",
        "intentions_b": "To say what I need instead of withdrawing.",
        "psychoeducation": "Effects, set and setting, blood-pressure checks, the integration plan.",
        "touch_agreement": "Hand-holding welcome; ask before anything else.",
        "safety_word": "Lantern",
    },
    Phase.MEDICINE: {
        "course": "Both settled within 15 minutes. Long quiet stretch, then tearful exchange about the early years.",
        "observations": "No distress beyond expected; BP peaked at 40 minutes and settled.",
        "integration_plan": "Pick up the 'early years' thread at the 24 h check-in.",
    },
    Phase.INTEGRATION: {
        "reflections_a": "Felt the weight of what B has carried alone.",
        "reflections_b": "Surprised how safe it felt to be seen.",
        "shared_insights": "The pursue-withdraw loop starts with fear, not anger.",
        "commitments": "Daily 10-minute check-in (both); B books a GP appointment (B).",
    },
    Phase.FOLLOW_UP: {"progress": "Fewer escalations; using the check-in most days.", "plan": "Review in 3 months."},
}


def _at(days: int, hour: int = 10) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _held(couple: Couple, therapist: User, phase: str, start: datetime.datetime, *, approval=None, signed=True):
    minutes = {
        Phase.ASSESSMENT: 90,
        Phase.PREPARATION: 60,
        Phase.MEDICINE: 180,
        Phase.INTEGRATION: 75,
        Phase.FOLLOW_UP: 60,
    }[phase]
    session = TherapySession.objects.create(
        couple=couple,
        therapist=therapist,
        phase=phase,
        start=start,
        duration_minutes=minutes,
        place=Place.TELEHEALTH if phase != Phase.MEDICINE else Place.HOME,
        status=SessionStatus.COMPLETED,
        created_by=therapist,
        status_changed_by=therapist,
        status_changed_at=start,
        approval=approval,
    )
    done = start + datetime.timedelta(minutes=minutes + 30)
    note = SessionNote(
        session=session,
        content=NOTES[phase],
        author=therapist,
        created_at=done,
        updated_at=done,
        status=NoteStatus.SIGNED if signed else NoteStatus.DRAFT,
        signed_by=therapist if signed else None,
        signed_at=done if signed else None,
    )
    if signed:
        note.content_hash = note.compute_hash()
    note.save()
    if phase in (Phase.MEDICINE, Phase.INTEGRATION):
        integration_links_sync(couple_id=couple.pk)  # as the outbox's delivery does after a booking
    return session


def demo_lot(prescriber: User) -> StockLot:
    lot = StockLot.objects.filter(lot_number="DEMO-K-2026-01").first()
    if lot is None:
        lot = StockLot.objects.create(
            lot_number="DEMO-K-2026-01",
            product="Ketamine HCl 50 mg/mL, 10 mL vial",
            expires_on=timezone.localdate() + datetime.timedelta(days=400),
            received_on=timezone.localdate() - datetime.timedelta(days=120),
            supplier="Demo Pharma Supply",
        )
        StockEntry.objects.create(
            lot=lot, kind=StockEntryKind.RECEIVED, amount_mg=Decimal("5000"), by=prescriber, at=_at(-120)
        )
    return lot


def _approval(couple: Couple, prescriber: User, approach: str, days_ago: int) -> Approval:
    signed = _at(-days_ago, 16)
    approval = Approval(
        couple=couple,
        approach=approach,
        valid_from=signed.date(),
        valid_until=signed.date() + datetime.timedelta(days=240),
        signed_by=prescriber,
        signed_at=signed,
        conditions="Blood pressure below 140/90 before dosing.",
    )
    info = APPROACHES[approach]
    doses = []
    for partner in couple.partners.select_related("screening").order_by("label"):
        if not partner.screening.medicine_candidate or (not info.both_dose and doses):
            continue
        weight = partner.screening.weight_kg or Decimal("70")
        full = (Decimal("1.0") * weight).quantize(Decimal("1"))  # 1 mg/kg IM as this demo's "full dose"
        dose = (full * info.fraction.numerator / info.fraction.denominator).quantize(Decimal("1"))
        doses.append(
            ApprovalDose(
                approval=approval,
                partner=partner,
                route="im",
                full_dose_mg=full,
                dose_mg=dose,
                weight_kg=weight,
                max_total_mg=dose + (dose / 2).quantize(Decimal("1")),
            )
        )
    approval.content_hash = approval.compute_hash(doses)
    approval.save()
    for dose in doses:
        dose.approval = approval
        dose.save()
    DosingRequest.objects.create(
        couple=couple,
        approach=approach,
        rationale="Fits the couple's goals.",
        requested_by=couple.therapists.first(),
        requested_at=signed - datetime.timedelta(days=2),
        status="approved",
        decided_by=prescriber,
        decided_at=signed,
        solo_partner=doses[0].partner if not info.both_dose else None,
    )
    return approval


def _document(session: TherapySession, therapist: User, lot: StockLot) -> None:
    for approved in session.approval.doses.select_related("partner"):
        partner = approved.partner
        PreDoseCheck.objects.create(
            session=session,
            partner=partner,
            fasting_confirmed=True,
            ride_home_arranged=True,
            no_new_contraindication=True,
            sober_partner_present=True,
            systolic=124,
            diastolic=80,
            heart_rate=72,
            spo2=98,
            recorded_by=therapist,
            at=session.start - datetime.timedelta(minutes=10),
            recorded_at=session.start - datetime.timedelta(minutes=10),
        )
        given = session.start + datetime.timedelta(minutes=5)
        administration = Administration.objects.create(
            session=session,
            partner=partner,
            approved_dose=approved,
            at=given,
            route=approved.route,
            mg=approved.dose_mg,
            weight_kg=approved.weight_kg,
            lot=lot,
            administered_by=therapist,
        )
        StockEntry.objects.create(
            lot=lot,
            kind=StockEntryKind.ADMINISTERED,
            amount_mg=approved.dose_mg,
            at=given,
            by=therapist,
            administration=administration,
            note=f"{session.couple.case_number} {partner.get_label_display()}",
        )
        for minutes, systolic, diastolic, rate in (
            (0, 124, 80, 72),
            (15, 134, 84, 80),
            (30, 142, 88, 84),
            (45, 138, 86, 82),
            (60, 130, 82, 78),
            (90, 126, 80, 74),
            (130, 122, 78, 72),
        ):
            VitalReading.objects.create(
                session=session,
                partner=partner,
                systolic=systolic,
                diastolic=diastolic,
                heart_rate=rate,
                spo2=98,
                recorded_by=therapist,
                at=given + datetime.timedelta(minutes=minutes),
            )
        Discharge.objects.create(
            session=session,
            partner=partner,
            at=given + datetime.timedelta(minutes=135),
            alert_and_oriented=True,
            released_to_name="Jo Park",
            released_to_relationship="friend",
            no_driving_acknowledged=True,
            discharged_by=therapist,
        )


def answers_for(code: str, target: int, rng) -> list[int]:
    """Answers whose total is the target, spread over the items (PHQ-9 item 9 kept at 0)."""
    items = INSTRUMENTS[code].items
    answers = [0] * len(items)
    adjustable = [i for i in range(len(items)) if not (code == "PHQ9" and i == 8)]
    while sum(answers) < target:
        i = rng.choice(adjustable)
        if answers[i] < items[i].max_value:
            answers[i] += 1
    return answers


def _measures(couple: Couple, therapist: User, points: list[tuple[int, str]]) -> None:
    """Repeated measures along the course: the screening answers become the baseline (dated before the
    assessment), then each later point shows the improvement a course like this often brings."""
    baseline_day = timezone.localdate() + datetime.timedelta(days=points[0][0])
    QuestionnaireResponse.objects.filter(partner__couple=couple).update(administered_on=baseline_day)
    baseline = {
        (r.partner_id, r.instrument): r.score for r in QuestionnaireResponse.objects.filter(partner__couple=couple)
    }
    rng = random.Random(couple.pk)
    for step, (days, context) in enumerate(points[1:], start=1):
        for (partner_id, code), score in baseline.items():
            better_high = code == "CSI4"
            change = round(score * 0.15 * step) if not better_high else round((21 - score) * 0.2 * step)
            target = min(score + change, INSTRUMENTS[code].max_score) if better_high else max(score - change, 0)
            QuestionnaireResponse.objects.create(
                partner_id=partner_id,
                instrument=code,
                context=context,
                answers=answers_for(code, target, rng),
                score=target,
                administered_on=timezone.localdate() + datetime.timedelta(days=days),
                recorded_by=therapist,
            )


def demo_course(couple: Couple, *, therapist: User, prescriber: User, stage: str, lot: StockLot) -> None:
    """Give an active or completed couple a course. Stages: early, pending_request, medicine_booked, cycle_done,
    finished."""
    _held(couple, therapist, Phase.ASSESSMENT, _at(-60 if stage == "finished" else -30))
    if stage == "early":
        _held(couple, therapist, Phase.PREPARATION, _at(-23))
        session_services.session_schedule(
            by=therapist,
            couple=couple,
            therapist=therapist,
            phase=Phase.PREPARATION,
            start=_at(1, 14),
            place=Place.TELEHEALTH,
        )
        return
    if stage == "pending_request":
        _held(couple, therapist, Phase.PREPARATION, _at(-23))
        _held(couple, therapist, Phase.PREPARATION, _at(-16))
        dosing_requests.dosing_request_create(
            by=therapist,
            couple=couple,
            approach=Approach.DUAL_PSYCHOLYTIC,
            rationale="They want to stay in conversation; both cleared.",
        )
        return
    approach = (
        Approach.SOLO
        if not all(p.screening.medicine_candidate for p in couple.partners.all())
        else Approach.DUAL_PSYCHOLYTIC
    )
    if stage == "finished":
        approval = _approval(couple, prescriber, approach, 55)
        for offset, phase in (
            (-50, Phase.PREPARATION),
            (-45, Phase.PREPARATION),
            (-40, Phase.MEDICINE),
            (-39, Phase.INTEGRATION),
            (-33, Phase.INTEGRATION),
            (-26, Phase.PREPARATION),
            (-22, Phase.PREPARATION),
            (-19, Phase.MEDICINE),
            (-18, Phase.INTEGRATION),
            (-5, Phase.FOLLOW_UP),
        ):
            session = _held(
                couple, therapist, phase, _at(offset), approval=approval if phase == Phase.MEDICINE else None
            )
            if phase == Phase.MEDICINE:
                _document(session, therapist, lot)
        _measures(
            couple,
            therapist,
            [
                (-62, "screening"),
                (-41, "pre_medicine"),
                (-33, "post_integration"),
                (-20, "pre_medicine"),
                (-18, "post_integration"),
                (-5, "follow_up"),
            ],
        )
        return
    _held(couple, therapist, Phase.PREPARATION, _at(-23))
    _held(couple, therapist, Phase.PREPARATION, _at(-16))
    if stage == "medicine_booked":
        _approval(couple, prescriber, approach, 5)
        session_services.session_schedule(
            by=therapist, couple=couple, therapist=therapist, phase=Phase.MEDICINE, start=_at(2, 9), place=Place.HOME
        )
        return
    approval = _approval(couple, prescriber, approach, 14)
    medicine = _held(couple, therapist, Phase.MEDICINE, _at(-9), approval=approval)
    _document(medicine, therapist, lot)
    _held(couple, therapist, Phase.INTEGRATION, _at(-8))
    _held(couple, therapist, Phase.INTEGRATION, _at(-6), signed=False)
    _measures(couple, therapist, [(-32, "screening"), (-10, "pre_medicine"), (-6, "post_integration")])
    session_services.session_schedule(
        by=therapist,
        couple=couple,
        therapist=therapist,
        phase=Phase.INTEGRATION,
        start=_at(0, 15) if _at(0, 15) > timezone.now() else _at(1, 15),
        place=Place.TELEHEALTH,
    )
