"""A medicine session's reminders follow its state: withdrawn from the partners when its gate shuts (blocked),
planned again when it is rebooked; cancelling or marking it a no-show before any dose needs a reason, withdraws
the reminders and the pending notices, and leaves the controlled-substance log as it was."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases.choices import ScreeningOutcome
from cases.models import Screening
from dosing.approvals import approval_revoke
from dosing.lifecycle import medicine_gate_sweep
from dosing.models import StockEntry
from dosing.stock import lot_balance
from dosing.tests.factories import lot, ready_couple, sign
from jobs import reminders
from jobs.choices import ReminderStatus
from jobs.models import Reminder, SessionNotice
from outbox.models import OutboxMessage
from sessions import services
from sessions.choices import MedicineState, Phase, Place, SessionStatus
from sessions.models import TherapySession
from sessions.tests.helpers import history

from .helpers import book

pytestmark = pytest.mark.django_db

WORKER = "test-worker"


@pytest.fixture
def medicine(couple, therapist, prescriber, django_capture_on_commit_callbacks):
    """A medicine session three days ahead, booked under a dual psycholytic approval, its reminders planned."""
    ready_couple(couple, prescriber)
    approval = sign(couple, prescriber)
    now = timezone.now()
    history(
        couple,
        therapist,
        [
            (Phase.ASSESSMENT, now - datetime.timedelta(days=30)),
            (Phase.PREPARATION, now - datetime.timedelta(days=20)),
            (Phase.PREPARATION, now - datetime.timedelta(days=10)),
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        session = book(couple, therapist, hours=72, phase=Phase.MEDICINE)
    return {"session": session, "approval": approval}


def _statuses(session, **filters) -> set[str]:
    return set(Reminder.objects.filter(session=session, **filters).values_list("status", flat=True))


def test_a_revocation_withdraws_the_partners_reminders_and_a_rebooking_plans_them_again(
    medicine, therapist, prescriber, django_capture_on_commit_callbacks
):
    session = medicine["session"]
    assert _statuses(session, recipient_kind="partner") == {ReminderStatus.PENDING}
    with django_capture_on_commit_callbacks(execute=True):
        approval_revoke(by=prescriber, approval=medicine["approval"], reason="New blood pressure history")
    session.refresh_from_db()
    assert session.medicine_state == MedicineState.BLOCKED
    partner_rows = Reminder.objects.filter(session=session, recipient_kind="partner")
    assert {r.status for r in partner_rows} == {ReminderStatus.CANCELLED}
    assert all(r.error.startswith("Withdrawn: the medicine session is blocked (") for r in partner_rows)
    assert "revoked" in partner_rows[0].error
    # The therapist is still reminded of the session on their calendar, blocked as it is.
    assert _statuses(session, recipient_kind="therapist") == {ReminderStatus.PENDING}
    with time_machine.travel(session.start - datetime.timedelta(hours=2) + datetime.timedelta(seconds=1), tick=False):
        result = reminders.reminders_dispatch_due(worker=WORKER)
    assert result.sent == 2  # the therapist's two; no partner is asked to come
    assert {m.to[0] for m in mail.outbox} == {therapist.email}

    # A new approval, and the session moved a day: it is booked again and the partners are reminded.
    sign(medicine["session"].couple, prescriber)
    mail.outbox.clear()
    new_start = session.start + datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_reschedule(by=therapist, session=session, start=new_start, place=Place.TELEHEALTH)
    session.refresh_from_db()
    assert session.medicine_state == MedicineState.BOOKED
    assert _statuses(session, recipient_kind="partner", session_start=new_start) == {ReminderStatus.PENDING}


def test_the_sweep_blocking_a_session_withdraws_its_reminders(medicine, prescriber, django_capture_on_commit_callbacks):
    session = medicine["session"]
    # A partner is no longer cleared: the hourly sweep blocks the session.
    Screening.objects.filter(partner__couple=session.couple, partner__label="A").update(outcome=ScreeningOutcome.REVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        assert medicine_gate_sweep() == 1
    assert _statuses(session, recipient_kind="partner") == {ReminderStatus.CANCELLED}


def test_a_block_the_hook_missed_is_caught_before_sending(medicine):
    """The row changed without its on-commit hook (a crash, the shell): the sender and the sweep still withhold
    the partners' reminders."""
    session = medicine["session"]
    TherapySession.objects.filter(pk=session.pk).update(blocked_reason="Blocked: the approval was revoked.")
    with time_machine.travel(session.start - datetime.timedelta(hours=48) + datetime.timedelta(seconds=1), tick=False):
        reminders.reminders_dispatch_due(worker=WORKER)
    assert mail.outbox and all(m.to[0] == session.therapist.email for m in mail.outbox)
    assert _statuses(session, recipient_kind="partner", lead_minutes=48 * 60) == {ReminderStatus.CANCELLED}
    assert reminders.reminders_plan_missing() == 1
    assert _statuses(session, recipient_kind="partner") == {ReminderStatus.CANCELLED}


def test_cancelling_before_any_dose_needs_a_reason_and_withdraws_reminders_and_notices(
    medicine, therapist, prescriber, django_capture_on_commit_callbacks
):
    session = medicine["session"]
    stock = lot(prescriber)
    balance = lot_balance(stock)
    # A move announced to the partners whose notice has not gone yet.
    with django_capture_on_commit_callbacks(execute=True):
        services.session_reschedule(
            by=therapist, session=session, start=session.start + datetime.timedelta(hours=1), place=Place.TELEHEALTH
        )
    # (the worker is inline here; put the notice back as not yet gone)
    assert SessionNotice.objects.filter(session=session, kind="moved").update(status=ReminderStatus.PENDING) == 2

    with pytest.raises(ValidationError) as exc:
        services.session_cancel(by=therapist, session=session, reason="   ")
    assert exc.value.message_dict["reason"] == [
        "Say why the medicine session is cancelled: the prescriber and the log need it."
    ]
    assert TherapySession.objects.get(pk=session.pk).status == SessionStatus.SCHEDULED

    with django_capture_on_commit_callbacks(execute=True):
        services.session_cancel(by=therapist, session=session, reason="Partner B has the flu")
    assert _statuses(session) == {ReminderStatus.CANCELLED}
    assert not SessionNotice.objects.filter(session=session, kind="moved", status=ReminderStatus.PENDING).exists()
    assert SessionNotice.objects.filter(session=session, kind="cancelled").count() == 2
    assert lot_balance(stock) == balance
    assert not StockEntry.objects.filter(administration__session=session).exists()
    assert not OutboxMessage.objects.filter(sent_at__isnull=True, object_id=session.pk, kind="session_changed").exists()


def test_a_no_show_before_any_dose_needs_a_reason_and_withdraws_the_reminders(
    medicine, therapist, django_capture_on_commit_callbacks
):
    session = medicine["session"]
    with time_machine.travel(session.start + datetime.timedelta(minutes=20), tick=False):
        with pytest.raises(ValidationError) as exc:
            services.session_mark_no_show(by=therapist, session=session)
        assert "Say why the medicine session is no-show" in exc.value.message_dict["reason"][0]
        with django_capture_on_commit_callbacks(execute=True):
            services.session_mark_no_show(by=therapist, session=session, note="Did not come, not reachable")
    assert TherapySession.objects.get(pk=session.pk).status == SessionStatus.NO_SHOW
    assert ReminderStatus.PENDING not in _statuses(session)
    assert Decimal(0) == sum(
        StockEntry.objects.filter(administration__session=session).values_list("amount_mg", flat=True)
    )
