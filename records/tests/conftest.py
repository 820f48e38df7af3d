"""One medicine session's complete record, written straight into the tables (the services are tried elsewhere):
every row the database keeps insert-only exists once."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.choices import AuditAction
from audit.services import audit_record
from cases.choices import Item9Decision
from cases.models import Item9ReviewDecision, QuestionnaireResponse
from dosing.choices import Approach, Severity, SideEffectKind, StockEntryKind
from dosing.models import (
    Administration,
    ApprovalRevocation,
    Discharge,
    HoldOverride,
    InventoryCount,
    PreDoseCheck,
    SideEffect,
    StockEntry,
    StockLot,
    VitalReading,
)
from dosing.tests.factories import approval_on_file, ready_couple
from records.models import VerificationRun
from sessions.choices import NoteStatus, Phase, Place, SessionStatus
from sessions.models import NoteAmendment, SessionNote, TherapySession
from tests.factories import CoupleFactory


def medicine_session_row(couple, therapist, approval, *, start=None, **fields) -> TherapySession:
    start = start or timezone.now() - datetime.timedelta(hours=3)
    return TherapySession.objects.create(
        couple=couple,
        phase=Phase.MEDICINE,
        therapist=therapist,
        start=start,
        duration_minutes=180,
        place=Place.TELEHEALTH,
        created_by=therapist,
        approval=approval,
        **fields,
    )


def received_lot(by, *, number="LOT-R", amount="500") -> StockLot:
    stock = StockLot.objects.create(lot_number=number, expires_on=timezone.localdate() + datetime.timedelta(days=300))
    StockEntry.objects.create(lot=stock, kind=StockEntryKind.RECEIVED, amount_mg=Decimal(amount), by=by)
    return stock


@pytest.fixture
def record(therapist, prescriber, clinic_admin, couple):
    """Every kind of kept row, for one couple: approval, dose, revocation (of an older approval), the session's
    pre-dose check, dose, vitals, side effect, discharge, log entries, a count, a signed note, an amendment and
    an audit event."""
    old = approval_on_file(couple, prescriber, Approach.DUAL_PSYCHOLYTIC)
    ApprovalRevocation.objects.create(approval=old, revoked_by=prescriber, reason="Replaced after review")
    approval = approval_on_file(couple, prescriber, Approach.DUAL_PSYCHOLYTIC)
    session = medicine_session_row(couple, therapist, approval, status=SessionStatus.SCHEDULED)
    partner = couple.partners.get(label="A")
    dose = approval.doses.get(partner=partner)
    stock = received_lot(prescriber)
    now = timezone.now()
    check = PreDoseCheck.objects.create(
        session=session,
        partner=partner,
        fasting_confirmed=True,
        ride_home_arranged=True,
        no_new_contraindication=True,
        systolic=162,
        diastolic=95,
        heart_rate=70,
        spo2=98,
        recorded_by=therapist,
        override_by=prescriber,
        override_reason="White-coat pattern",
    )
    given = Administration.objects.create(
        session=session,
        partner=partner,
        approved_dose=dose,
        at=session.start + datetime.timedelta(minutes=10),
        route=dose.route,
        mg=dose.dose_mg,
        weight_kg=dose.weight_kg,
        lot=stock,
        administered_by=therapist,
    )
    entry = StockEntry.objects.create(
        lot=stock, kind=StockEntryKind.ADMINISTERED, amount_mg=dose.dose_mg, by=therapist, administration=given
    )
    count = InventoryCount.objects.create(
        lot=stock, counted_mg=Decimal("450"), expected_mg=Decimal("450"), by=prescriber, witness=clinic_admin
    )
    vitals = VitalReading.objects.create(
        session=session,
        partner=partner,
        at=now - datetime.timedelta(minutes=30),
        systolic=128,
        diastolic=82,
        heart_rate=70,
        spo2=98,
        recorded_by=therapist,
    )
    hold = VitalReading.objects.create(
        session=session,
        partner=partner,
        at=now - datetime.timedelta(minutes=20),
        systolic=166,
        diastolic=102,
        heart_rate=80,
        recorded_by=therapist,
    )
    override = HoldOverride.objects.create(reading=hold, by=prescriber, reason="Anxious; repeat in 5 minutes")
    side = SideEffect.objects.create(
        session=session,
        partner=partner,
        at=now - datetime.timedelta(minutes=40),
        kind=SideEffectKind.values[0],
        severity=Severity.values[0],
        recorded_by=therapist,
    )
    discharge = Discharge.objects.create(
        session=session,
        partner=partner,
        at=now,
        alert_and_oriented=True,
        released_to_name="A. Friend",
        released_to_relationship="friend",
        no_driving_acknowledged=True,
        discharged_by=therapist,
    )
    note = SessionNote.objects.create(session=session, content={"observations": "Calm"}, author=therapist)
    note.status, note.signed_by, note.signed_at = NoteStatus.SIGNED, therapist, now
    note.content_hash = note.compute_hash()
    note.save(update_fields=["status", "signed_by", "signed_at", "content_hash"])
    amendment = NoteAmendment.objects.create(note=note, text="Partner A slept well.", author=therapist)
    event = audit_record(action=AuditAction.READ, actor=therapist, couple=couple, summary="dosing record viewed")
    run = VerificationRun.objects.create(started_at=now, checked=12)
    flagged = QuestionnaireResponse.objects.create(
        partner=partner,
        instrument="PHQ9",
        answers=[0] * 8 + [1],
        score=1,
        suicide_risk=True,
        administered_on=now.date(),
    )
    item9 = Item9ReviewDecision.objects.create(
        screening=partner.screening,
        response=flagged,
        decision=Item9Decision.CLEARANCE_STANDS,
        note="Passive thoughts, safety plan in place.",
        decided_by=prescriber,
    )
    return {
        "item9": item9,
        "approval": approval,
        "dose": dose,
        "revocation": old.revocation,
        "check": check,
        "given": given,
        "entry": entry,
        "count": count,
        "vitals": vitals,
        "override": override,
        "side": side,
        "discharge": discharge,
        "note": note,
        "amendment": amendment,
        "event": event,
        "run": run,
        "session": session,
        "lot": stock,
        "couple": couple,
        "old": old,
    }


@pytest.fixture
def other_ready_couple(other_therapist, prescriber):
    return ready_couple(CoupleFactory(therapists=[other_therapist], prescriber=prescriber), prescriber)
