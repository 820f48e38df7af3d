"""Rules across rows, refused by the database with the application's checks bypassed (rows written straight in)."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from dosing.choices import Approach, StockEntryKind
from dosing.models import Administration, Approval, ApprovalRevocation, StockEntry, StockLot
from dosing.tests.factories import approval_on_file
from records.tests.conftest import medicine_session_row, received_lot
from sessions.choices import SessionStatus

pytestmark = pytest.mark.django_db

SESSION_RULE = "a medicine session's approval must be the couple's own"
DOSE_RULE = "a dose is given to a dosing partner of the session's approval"


def day_at(date: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(date, datetime.time(hour)))


def refused(match, attempt):
    with pytest.raises(IntegrityError, match=match), transaction.atomic():
        attempt()


def test_a_medicine_session_cannot_stand_on_another_couples_approval(therapist, prescriber, couple, other_ready_couple):
    theirs = approval_on_file(other_ready_couple, prescriber)
    refused(SESSION_RULE, lambda: medicine_session_row(couple, therapist, theirs))


def test_a_medicine_session_needs_the_approval_in_force_on_its_date(therapist, prescriber, couple):
    approval = approval_on_file(
        couple, prescriber, valid_from=datetime.date(2026, 1, 1), valid_until=datetime.date(2026, 6, 30)
    )
    for day in (datetime.date(2025, 12, 31), datetime.date(2026, 7, 1)):
        refused(SESSION_RULE, lambda day=day: medicine_session_row(couple, therapist, approval, start=day_at(day)))
    session = medicine_session_row(couple, therapist, approval, start=day_at(datetime.date(2026, 6, 30)))
    # Moving it out of the period is refused too.
    session.start = day_at(datetime.date(2026, 7, 2))
    refused(SESSION_RULE, lambda: session.save(update_fields=["start", "end"]))


def test_a_revoked_or_superseded_approval_books_nothing_but_its_sessions_can_still_be_cancelled(
    therapist, prescriber, couple
):
    revoked = approval_on_file(couple, prescriber)
    booked = medicine_session_row(couple, therapist, revoked, start=timezone.now() + datetime.timedelta(days=2))
    ApprovalRevocation.objects.create(approval=revoked, revoked_by=prescriber, reason="New diagnosis")
    refused(SESSION_RULE, lambda: medicine_session_row(couple, therapist, revoked))
    booked.status = SessionStatus.CANCELLED
    booked.save(update_fields=["status"])

    first = approval_on_file(couple, prescriber)
    newer = Approval.objects.create(
        couple=couple,
        approach=first.approach,
        valid_from=first.valid_from,
        valid_until=first.valid_until,
        signed_by=prescriber,
        supersedes=first,
        content_hash="-",
    )
    refused(SESSION_RULE, lambda: medicine_session_row(couple, therapist, first))
    assert medicine_session_row(couple, therapist, newer).approval == newer


@pytest.fixture
def solo(therapist, prescriber, couple):
    approval = approval_on_file(couple, prescriber, Approach.SOLO)
    session = medicine_session_row(couple, therapist, approval)
    return {
        "approval": approval,
        "session": session,
        "dose": approval.doses.get(),
        "lot": received_lot(prescriber, amount="100"),
    }


def give(solo, therapist, **overrides):
    dose = overrides.pop("approved_dose", solo["dose"])
    values = {
        "session": solo["session"],
        "partner": dose.partner,
        "approved_dose": dose,
        "at": solo["session"].start + datetime.timedelta(minutes=10),
        "route": dose.route,
        "mg": Decimal("40"),
        "weight_kg": dose.weight_kg,
        "lot": solo["lot"],
        "administered_by": therapist,
    }
    return Administration.objects.create(**{**values, **overrides})


def test_a_dose_goes_only_to_a_dosing_partner_of_the_sessions_approval(therapist, prescriber, couple, solo):
    sober = couple.partners.exclude(pk=solo["dose"].partner_id).get()
    refused(DOSE_RULE, lambda: give(solo, therapist, partner=sober))
    other = approval_on_file(couple, prescriber, Approach.DUAL_PSYCHEDELIC)
    refused(DOSE_RULE, lambda: give(solo, therapist, approved_dose=other.doses.first()))
    assert give(solo, therapist).mg == Decimal("40")


def test_a_dose_is_drawn_from_a_received_lot_with_enough_stock(therapist, prescriber, solo):
    empty = StockLot.objects.create(lot_number="NEVER-RECEIVED", expires_on=timezone.localdate())
    refused(DOSE_RULE, lambda: give(solo, therapist, lot=empty))
    refused(DOSE_RULE, lambda: give(solo, therapist, mg=Decimal("100.01")))
    given = give(solo, therapist, mg=Decimal("90"))
    StockEntry.objects.create(
        lot=solo["lot"], kind=StockEntryKind.ADMINISTERED, amount_mg=Decimal("90"), by=therapist, administration=given
    )
    refused(DOSE_RULE, lambda: give(solo, therapist, mg=Decimal("20"), is_booster=True))


def test_the_log_never_takes_a_lot_below_zero(therapist, prescriber, clinic_admin, solo):
    refused(
        "balance never goes below zero",
        lambda: StockEntry.objects.create(
            lot=solo["lot"], kind=StockEntryKind.WASTED, amount_mg=Decimal("100.5"), by=therapist, witness=clinic_admin
        ),
    )
    refused(
        "balance never goes below zero",
        lambda: StockEntry.objects.create(
            lot=solo["lot"], kind=StockEntryKind.ADJUSTED, amount_mg=Decimal("-101"), by=therapist, note="spill"
        ),
    )
    StockEntry.objects.create(
        lot=solo["lot"], kind=StockEntryKind.WASTED, amount_mg=Decimal("100"), by=therapist, witness=clinic_admin
    )
