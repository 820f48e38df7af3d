"""Two database connections at once: where a service checks and then writes under a row lock, a second writer
waits for the first to commit and then sees its row. PostgreSQL only (SQLite has no row locks); required in CI.

Each test holds the first writer's transaction open after its write, starts the second writer on another
connection, waits until PostgreSQL reports that writer waiting on a lock (or finished, if nothing made it
wait), and only then lets the first commit. Without the lock the second writer checks stale totals and both
writes land: the assertions on the totals fail.
"""

import datetime
import threading
import time
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.db.models import Sum

from dosing import record as dose_service  # dose_record and predose_record: the medicine record's verbs
from dosing.choices import Approach
from dosing.lifecycle import medicine_session_start
from dosing.models import Administration
from dosing.tests.factories import lot, predose_values, ready_couple, sign
from dosing.tests.test_medicine_session import book_medicine, prepared
from tests.browser import require_or_skip

pytestmark = pytest.mark.django_db(transaction=True)

# A ceiling for waiting on the other connection, never a measured duration: a healthy run waits milliseconds.
CEILING_SECONDS = 60


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        require_or_skip("PostgreSQL", "row locks need two real connections; set DATABASE_URL=postgres://...")


class Writer(threading.Thread):
    """Runs a service call on its own database connection; `hold=True` keeps its transaction open (and its
    locks held) after the call until `release()`."""

    def __init__(self, call, *, hold: bool = False):
        super().__init__(daemon=True)
        self.call, self.hold = call, hold
        self.written, self.released = threading.Event(), threading.Event()
        self.result = self.error = None

    def run(self):
        try:
            with transaction.atomic():
                self.result = self.call()
                self.written.set()
                if self.hold:
                    self.released.wait(CEILING_SECONDS)
        except Exception as exc:  # noqa: BLE001 - handed to the test, which asserts on it
            self.error = exc
        finally:
            self.written.set()
            connections.close_all()

    def release(self):
        self.released.set()
        self.join(CEILING_SECONDS)
        assert not self.is_alive(), "the writer did not finish"


def waiting_on_a_lock_or_done(writer: Writer) -> bool:
    """Wait until another connection of this database waits on a lock, or the writer has finished."""
    deadline = time.monotonic() + CEILING_SECONDS
    while time.monotonic() < deadline:
        if not writer.is_alive():
            return False
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.01)
    raise AssertionError("the second writer neither waited on a lock nor finished")


def race(first_call, second_call) -> tuple[Writer, Writer, bool]:
    """The first writer writes and holds its transaction; the second starts; then the first commits."""
    first = Writer(first_call, hold=True)
    first.start()
    assert first.written.wait(CEILING_SECONDS)
    assert first.error is None, first.error
    second = Writer(second_call)
    second.start()
    waited = waiting_on_a_lock_or_done(second)
    first.release()
    second.join(CEILING_SECONDS)
    return first, second, waited


@pytest.fixture
def medicine_session(therapist, prescriber, couple):
    """A dual psycholytic medicine session under way: pre-dose checks done for both partners."""
    ready_couple(couple, prescriber)
    sign(couple, prescriber, Approach.DUAL_PSYCHOLYTIC)
    prepared(couple, therapist)
    session = book_medicine(couple, therapist)
    medicine_session_start(by=therapist, session=session, now=session.start)  # the bedside record needs it started
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False):
        for partner in couple.partners.all():
            dose_service.predose_record(
                by=therapist,
                session=session,
                partner=partner,
                values=predose_values(sober_partner_present=None, diastolic=80),
            )
        yield session


def given(session, partner) -> Decimal:
    return Administration.objects.filter(session=session, partner=partner).aggregate(t=Sum("mg"))["t"] or Decimal(0)


def test_two_quick_boosters_cannot_together_pass_the_approved_maximum(therapist, prescriber, medicine_session):
    session = medicine_session
    approved = session.approval.doses.select_related("partner").get(partner__label="A")
    partner, maximum = approved.partner, approved.max_total_mg
    stock = lot(prescriber, amount="5000")
    dose_service.dose_record(
        by=therapist,
        session=session,
        partner=partner,
        at=session.start + datetime.timedelta(minutes=5),
        mg=approved.dose_mg,
        lot=stock,
    )
    with time_machine.travel(session.start + datetime.timedelta(minutes=20), tick=False):
        dose_service.vitals_record(
            by=therapist,
            session=session,
            partner=partner,
            at=session.start + datetime.timedelta(minutes=20),
            systolic=124,
            diastolic=80,
            heart_rate=72,
        )
    step = maximum - approved.dose_mg
    each = (step * Decimal("0.6")).quantize(Decimal("0.1"))  # either booster alone fits, both do not

    def booster():
        with time_machine.travel(session.start + datetime.timedelta(minutes=25), tick=False):
            return dose_service.dose_record(
                by=therapist,
                session=session,
                partner=partner,
                at=session.start + datetime.timedelta(minutes=25),
                mg=each,
                lot=stock,
                is_booster=True,
            )

    first, second, waited = race(booster, booster)
    assert first.error is None
    assert isinstance(second.error, ValidationError), "the second booster was recorded"
    assert "over the approved maximum" in str(second.error)
    assert waited, "the second booster did not wait for the first one's lock"
    assert given(session, partner) == approved.dose_mg + each <= maximum


def test_two_first_doses_at_once_cannot_pass_the_approved_step(therapist, prescriber, medicine_session):
    """Both entered as the first dose: the second, decided after the first, is no longer a first dose."""
    session = medicine_session
    approved = session.approval.doses.select_related("partner").get(partner__label="A")
    partner = approved.partner
    each = (approved.dose_mg * Decimal("0.8")).quantize(Decimal("0.1"))  # either alone fits the step, both do not
    stock = lot(prescriber, amount="5000")

    def dose():
        return dose_service.dose_record(
            by=therapist,
            session=session,
            partner=partner,
            at=session.start + datetime.timedelta(minutes=5),
            mg=each,
            lot=stock,
            fraction_reason="Cautious first dose",
        )

    first, second, waited = race(dose, dose)
    assert first.error is None
    assert isinstance(second.error, ValidationError), "two first doses were recorded"
    assert "a further dose is a booster" in str(second.error)
    assert waited, "the second dose did not wait for the first one's lock"
    assert given(session, partner) == each <= approved.dose_mg


def test_two_partners_cannot_both_draw_the_last_of_a_lot(therapist, prescriber, medicine_session):
    session = medicine_session
    doses = list(session.approval.doses.select_related("partner").order_by("partner__label"))
    each = min(d.dose_mg for d in doses)
    stock = lot(prescriber, amount=str(each * Decimal("1.5")))  # enough for one of them, not for both

    def dose_for(approved):
        return lambda: dose_service.dose_record(
            by=therapist,
            session=session,
            partner=approved.partner,
            at=session.start + datetime.timedelta(minutes=5),
            mg=each,
            lot=stock,
        )

    first, second, waited = race(dose_for(doses[0]), dose_for(doses[1]))
    assert first.error is None
    assert isinstance(second.error, ValidationError), "both doses were drawn from the lot"
    assert f"Lot {stock.lot_number} holds" in str(second.error)
    assert waited
    assert Administration.objects.filter(session=session).aggregate(t=Sum("mg"))["t"] == each


def test_a_dose_entered_while_the_approval_is_being_revoked_waits_and_is_refused(
    therapist, prescriber, medicine_session
):
    """The dose locks the approval it is given under, as the revocation does: it waits for the revocation to
    commit and then finds the gate shut. Without that lock it reads the gate before the revocation commits, and
    a dose lands under a revoked approval."""
    from dosing.approvals import approval_revoke

    session = medicine_session
    approved = session.approval.doses.select_related("partner").get(partner__label="A")
    stock = lot(prescriber, amount="5000")

    def revoke():
        return approval_revoke(by=prescriber, approval=session.approval, reason="New cardiac history")

    def first_dose():
        with time_machine.travel(session.start + datetime.timedelta(minutes=10), tick=False):
            return dose_service.dose_record(
                by=therapist,
                session=session,
                partner=approved.partner,
                at=session.start + datetime.timedelta(minutes=10),
                mg=approved.dose_mg,
                lot=stock,
            )

    first, second, waited = race(revoke, first_dose)
    assert first.error is None, first.error
    assert isinstance(second.error, ValidationError), "a dose was recorded under a revoked approval"
    assert "No further dose may be given" in str(second.error)
    assert waited, "the dose did not wait for the revocation's lock on the approval"
    assert not Administration.objects.filter(session=session).exists()


def test_a_dose_entered_while_dosing_is_declared_done_waits_and_is_refused(therapist, prescriber, medicine_session):
    """The dose locks its session, as every move of the state machine does: a dose entered while the session
    moves to observation waits for that move and is then refused, never recorded in observation."""
    from dosing.lifecycle import medicine_session_observe

    session = medicine_session
    a, b = (session.approval.doses.select_related("partner").get(partner__label=label) for label in "AB")
    stock = lot(prescriber, amount="5000")
    at = session.start + datetime.timedelta(minutes=10)
    with time_machine.travel(at, tick=False):
        dose_service.dose_record(by=therapist, session=session, partner=a.partner, at=at, mg=a.dose_mg, lot=stock)

    def observe():
        with time_machine.travel(at, tick=False):
            return medicine_session_observe(by=therapist, session=session)

    def dose_b():
        with time_machine.travel(at, tick=False):
            return dose_service.dose_record(
                by=therapist, session=session, partner=b.partner, at=at, mg=b.dose_mg, lot=stock
            )

    first, second, waited = race(observe, dose_b)
    assert first.error is None, first.error
    assert isinstance(second.error, ValidationError), "a dose was recorded after dosing was declared done"
    assert "this session is in observation" in str(second.error)
    assert waited, "the dose did not wait for the session's lock"
    assert not Administration.objects.filter(session=session, partner=b.partner).exists()
