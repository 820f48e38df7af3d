"""Helpers that put a couple where dosing tests need it."""

import datetime
from decimal import Decimal

from django.utils import timezone

from cases.choices import CoupleStatus
from cases.models import Couple
from conftest import PASSWORD
from dosing.approvals import approval_sign
from dosing.choices import APPROACHES, Approach
from dosing.discharge import discharge_record
from dosing.lifecycle import medicine_session_observe, medicine_session_start
from dosing.models import Approval, ApprovalDose, StockLot
from dosing.record import dose_record, predose_record, vitals_record
from dosing.stock import stock_receive
from tests.factories import clear_partner


def predose_values(**changes) -> dict:
    """A partner's pre-dose checks all passed, with a baseline below the flag threshold; a keyword changes one value
    (None leaves it out, as a form that does not ask it)."""
    values = {
        "fasting_confirmed": True,
        "ride_home_arranged": True,
        "no_new_contraindication": True,
        "sober_partner_present": True,
        "systolic": 122,
        "diastolic": 78,
        "heart_rate": 70,
        "spo2": 98,
    } | changes
    return {key: value for key, value in values.items() if value is not None}


def ready_couple(couple: Couple, prescriber, *, sober: str | None = None) -> Couple:
    """Both partners cleared and consented (or one as sober support), and the couple in active treatment."""
    for partner in couple.partners.all():
        screening = clear_partner(partner, prescriber)
        if partner.label == sober:
            screening.medicine_candidate = False
            screening.save()
    Couple.objects.filter(pk=couple.pk).update(status=CoupleStatus.ACTIVE)
    couple.refresh_from_db()
    return couple


def dose_rows(couple: Couple, approach: str, *, solo_label: str = "A", full: str = "100", max_extra: str = "20"):
    info = APPROACHES[approach]
    rows = []
    for partner in couple.partners.order_by("label"):
        if not info.both_dose and partner.label != solo_label:
            continue
        dose = (Decimal(full) * info.fraction.numerator / info.fraction.denominator).quantize(Decimal("0.01"))
        rows.append(
            {
                "partner": partner,
                "route": "im",
                "full_dose_mg": Decimal(full),
                "dose_mg": dose,
                "weight_kg": Decimal("70"),
                "max_total_mg": dose + Decimal(max_extra),
                "fraction_reason": "",
            }
        )
    return rows


def sign(
    couple: Couple,
    prescriber,
    approach: str = Approach.DUAL_PSYCHOLYTIC,
    *,
    request=None,
    days: int = 90,
    sessions_covered: int | None = None,
    solo_label: str = "A",
    medicine_sessions_past_maximum: int | None = None,
    **kwargs,
) -> Approval:
    today = timezone.localdate()
    return approval_sign(
        by=prescriber,
        password=PASSWORD,
        couple=couple,
        approach=approach,
        valid_from=today,
        valid_until=today + datetime.timedelta(days=days),
        sessions_covered=sessions_covered,
        conditions="",
        doses=kwargs.pop("doses", None) or dose_rows(couple, approach, solo_label=solo_label),
        request=request,
        medicine_sessions_past_maximum=medicine_sessions_past_maximum,
    )


def lot(by, *, number: str = "LOT-1", amount: str = "1000", days: int = 365) -> StockLot:
    return stock_receive(
        by=by,
        lot_number=number,
        product="Ketamine HCl 50 mg/mL",
        expires_on=timezone.localdate() + datetime.timedelta(days=days),
        amount_mg=Decimal(amount),
    )


def approval_on_file(
    couple: Couple,
    prescriber,
    approach: str = Approach.DUAL_PSYCHOLYTIC,
    *,
    valid_from: datetime.date = datetime.date(2026, 1, 1),
    valid_until: datetime.date | None = datetime.date(2031, 12, 31),
    sessions_covered: int | None = None,
) -> Approval:
    """An approval as it stands in the database, written straight in (for history set up before a test begins),
    with both partners cleared so that the gate is open."""
    ready_couple(couple, prescriber)
    approval = Approval(
        couple=couple,
        approach=approach,
        valid_from=valid_from,
        valid_until=valid_until,
        sessions_covered=sessions_covered,
        signed_by=prescriber,
        # Signed on its first day, like history: records of sessions it covers never precede the signature.
        signed_at=timezone.make_aware(datetime.datetime.combine(valid_from, datetime.time.min)),
    )
    doses = [ApprovalDose(approval=approval, **row) for row in dose_rows(couple, approach)]
    approval.content_hash = approval.compute_hash(doses)
    approval.save()
    for dose in doses:
        dose.approval = approval
        dose.save()
    return approval


def document_medicine(session, *, by, prescriber, lot_number: str | None = None) -> None:
    """Document a medicine session as it is held: checks, one dose per dosing partner, vitals back in range,
    discharge after the observation time. The clock must stand at or after the session's end."""
    stock = StockLot.objects.filter(lot_number=lot_number or "WALK-1").first() or lot(
        prescriber, number=lot_number or "WALK-1", amount="5000", days=3650
    )
    approval = session.approval
    medicine_session_start(by=session.therapist, session=session, now=session.start)
    for approved in approval.doses.select_related("partner"):
        partner = approved.partner
        predose_record(
            by=by,
            session=session,
            partner=partner,
            values=predose_values(
                at=session.start + datetime.timedelta(minutes=5), systolic=124, diastolic=80, heart_rate=72
            ),
        )
        dose_record(
            by=by,
            session=session,
            partner=partner,
            at=session.start + datetime.timedelta(minutes=10),
            mg=approved.dose_mg,
            lot=stock,
        )
        vitals_record(
            by=by,
            session=session,
            partner=partner,
            at=session.start + datetime.timedelta(minutes=140),
            systolic=126,
            diastolic=82,
            heart_rate=74,
            spo2=98,
        )
        discharge_record(
            by=by,
            session=session,
            partner=partner,
            at=session.start + datetime.timedelta(minutes=145),
            alert_and_oriented=True,
            released_to_name="A. Friend",
            released_to_relationship="friend",
            no_driving_acknowledged=True,
        )
    medicine_session_observe(by=by, session=session)
