"""No lost updates: a service writes only what it changes onto the locked row; concurrent doses are never doubled.
The concurrent tests run two real database connections (threads) on PostgreSQL."""

import datetime
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from cases.choices import ScreeningOutcome
from cases.models import Couple, Screening
from cases.services import couple_update, screening_decide, screening_update
from dosing.choices import Approach
from dosing.lifecycle import medicine_session_start
from dosing.models import Administration
from dosing.record import dose_record, predose_record
from dosing.tests.factories import lot, predose_values, ready_couple, sign
from sessions import services as session_services
from sessions.choices import Phase, Place
from sessions.tests.helpers import A, P, history
from tests.factories import make_screening_complete


def both_at_once(*calls) -> list:
    """Run each call in its own thread, on its own database connection, released together; return what each
    returned or raised."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.django_db
def test_a_clearance_made_since_the_screening_was_read_is_kept(therapist, prescriber, couple):
    partner = couple.partners.get(label="A")
    make_screening_complete(partner.screening)
    stale = Screening.objects.get(pk=partner.screening.pk)
    screening_decide(by=prescriber, screening=Screening.objects.get(pk=stale.pk), outcome=ScreeningOutcome.CLEARED)
    screening_update(by=therapist, screening=stale, values={"military_or_veteran": True})
    fresh = Screening.objects.get(pk=stale.pk)
    assert fresh.outcome == ScreeningOutcome.CLEARED and fresh.military_or_veteran


@pytest.mark.django_db
def test_a_status_change_made_since_the_couple_was_read_is_kept(therapist, couple):
    stale = Couple.objects.get(pk=couple.pk)
    Couple.objects.filter(pk=couple.pk).update(status="screening")
    couple_update(by=therapist, couple=stale, values={"treatment_goals": "Talk without shouting"})
    fresh = Couple.objects.get(pk=couple.pk)
    assert fresh.status == "screening" and fresh.treatment_goals == "Talk without shouting"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections writing at once: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_concurrent_clearance_and_screening_update_both_land(therapist, prescriber, couple):
    partner = couple.partners.get(label="A")
    make_screening_complete(partner.screening)
    pk = partner.screening.pk
    stale = Screening.objects.get(pk=pk)
    results = both_at_once(
        lambda: screening_decide(
            by=prescriber, screening=Screening.objects.get(pk=pk), outcome=ScreeningOutcome.CLEARED
        ),
        lambda: screening_update(by=therapist, screening=stale, values={"military_or_veteran": True}),
    )
    assert not any(isinstance(r, Exception) for r in results), results
    fresh = Screening.objects.get(pk=pk)
    assert fresh.outcome == ScreeningOutcome.CLEARED and fresh.military_or_veteran


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections writing at once: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_doses_entered_at_once_never_pass_the_maximum_together(therapist, prescriber, couple):
    ready_couple(couple, prescriber)
    sign(couple, prescriber, Approach.DUAL_PSYCHOLYTIC)  # partner A: 50 mg, maximum 70 mg
    day = timezone.localdate()
    start = timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=2), datetime.time(10)))
    history(
        couple,
        therapist,
        [
            (A, start - datetime.timedelta(days=20)),
            (P, start - datetime.timedelta(days=13)),
            (P, start - datetime.timedelta(days=6)),
        ],
    )
    session = session_services.session_schedule(
        by=therapist, couple=couple, therapist=therapist, phase=Phase.MEDICINE, start=start, place=Place.TELEHEALTH
    ).session
    stock = lot(prescriber)
    partner = couple.partners.get(label="A")
    medicine_session_start(by=therapist, session=session, now=session.start)  # the bedside record needs it started
    with time_machine.travel(start + datetime.timedelta(minutes=5), tick=False):
        predose_record(
            by=therapist,
            session=session,
            partner=partner,
            values=predose_values(sober_partner_present=None, systolic=124, diastolic=80),
        )
        results = both_at_once(
            *[
                (
                    lambda: dose_record(
                        by=therapist, session=session, partner=partner, at=timezone.now(), mg=Decimal("50"), lot=stock
                    )
                )
                for _ in range(2)
            ]
        )
    given = Administration.objects.filter(session=session, partner=partner)
    assert given.count() == 1, results
    assert sum(isinstance(r, ValidationError) for r in results) == 1
