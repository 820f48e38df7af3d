"""The medicine session as a state machine: each move tried from the service, the page, a crafted POST and the
database; the rule that a dosed session can only end completed."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from dosing.lifecycle import (
    TRANSITIONS,
    available_actions,
    medicine_gate_sweep,
    medicine_session_observe,
    medicine_session_start,
)
from dosing.record import dose_record, predose_record
from dosing.tests.factories import predose_values
from dosing.tests.test_medicine_session import book_medicine, prepared, scheduled  # noqa: F401 (fixture)
from sessions import services as session_services
from sessions.choices import MedicineState, Phase, Place, SessionStatus
from sessions.models import SessionEvent, TherapySession

pytestmark = pytest.mark.django_db
S = MedicineState


def _dose(session, therapist, partner, stock):
    predose_record(
        by=therapist,
        session=session,
        partner=partner,
        values=predose_values(sober_partner_present=None),
    )
    return dose_record(by=therapist, session=session, partner=partner, at=timezone.now(), mg=Decimal("50"), lot=stock)


def _actions(session, user):
    return {a.name: a for a in available_actions(session, user)}


def test_the_table_ends_a_dosed_session_only_completed():
    assert TRANSITIONS[S.OBSERVATION] == (S.COMPLETED,)
    assert all(not TRANSITIONS[s] for s in (S.COMPLETED, S.CANCELLED, S.NO_SHOW))


def test_only_its_therapist_starts_it_and_not_too_early(therapist, other_therapist, clinic_admin, scheduled):
    session = scheduled["session"]
    with time_machine.travel(session.start - datetime.timedelta(minutes=16), tick=False):
        with pytest.raises(ValidationError, match="it can be started from"):
            medicine_session_start(by=therapist, session=session)
        assert "it can be started from" in _actions(session, therapist)["start"].reasons[0]
    with time_machine.travel(session.start - datetime.timedelta(minutes=15), tick=False):
        with pytest.raises(ValidationError, match="Only its therapist"):
            medicine_session_start(by=clinic_admin, session=session)
        medicine_session_start(by=therapist, session=session)
    session.refresh_from_db()
    assert session.medicine_state == S.IN_PROGRESS
    assert session.events.get(kind="stage").summary == "Booked \u2192 In progress"
    with pytest.raises(ValidationError, match="Only a booked medicine session is started; this one is in progress"):
        medicine_session_start(by=therapist, session=session)


def test_a_dosed_session_cannot_be_cancelled_or_a_no_show_from_any_entry_point(client_for, therapist, scheduled):
    session, stock = scheduled["session"], scheduled["lot"]
    partner = scheduled["couple"].partners.get(label="A")
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False):
        medicine_session_start(by=therapist, session=session)
        _dose(session, therapist, partner, stock)
        for verb in (session_services.session_cancel, session_services.session_mark_no_show):
            kwargs = {"reason": "Changed their mind"} if verb is session_services.session_cancel else {"note": "x"}
            with pytest.raises(ValidationError, match="A dose was given: this session can only end completed"):
                verb(by=therapist, session=session, **kwargs)
        actions = _actions(session, therapist)
        assert not actions["cancel"].allowed and "A dose was given" in actions["cancel"].reasons[0]
        response = client_for(therapist).post(
            reverse("sessions:session_cancel", args=[session.uuid]), {"cancel-reason": "crafted"}, follow=True
        )
        assert response.status_code == 200
        assert "A dose was given: this session can only end completed, not cancelled." in response.content.decode()
        with pytest.raises(ValidationError, match="declare dosing done first"):
            session_services.session_complete(by=therapist, session=session)
        medicine_session_observe(by=therapist, session=session)
        with pytest.raises(ValidationError, match="only end completed, not cancelled"):
            session_services.session_cancel(by=therapist, session=session, reason="x")
    assert TherapySession.objects.get(pk=session.pk).status == SessionStatus.SCHEDULED


def test_an_undosed_session_in_progress_is_cancelled_with_a_reason(therapist, scheduled):
    session = scheduled["session"]
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False):
        medicine_session_start(by=therapist, session=session)
        with pytest.raises(ValidationError) as exc:
            session_services.session_cancel(by=therapist, session=session, reason=" ")
        assert "Say why the medicine session is cancelled" in exc.value.message_dict["reason"][0]
        with pytest.raises(ValidationError, match="No dose is recorded"):
            medicine_session_observe(by=therapist, session=session)
        session_services.session_cancel(by=therapist, session=session, reason="Partner B unwell on arrival")
    session.refresh_from_db()
    assert session.medicine_state == S.CANCELLED


def test_the_sweep_blocks_a_booked_session_and_a_move_within_the_approval_books_it_again(therapist, prescriber, couple):
    from dosing.tests.factories import ready_couple, sign

    ready_couple(couple, prescriber)
    sign(couple, prescriber, days=3)
    prepared(couple, therapist)
    session = book_medicine(couple, therapist, days=2)
    assert medicine_gate_sweep() == 0
    # The prescriber replaces the approval with one ending tomorrow: the booked day falls outside it.
    sign(couple, prescriber, days=1)
    assert medicine_gate_sweep() == 1
    assert medicine_gate_sweep() == 0  # safe to run twice
    session.refresh_from_db()
    assert session.medicine_state == S.BLOCKED and "The approval ended on" in session.blocked_reason
    event = session.events.get(kind="stage")
    assert event.actor is None and event.summary == "Booked \u2192 Blocked"
    actions = _actions(session, therapist)
    assert not actions["start"].allowed and actions["cancel"].allowed
    session_services.session_reschedule(
        by=therapist, session=session, start=session.start - datetime.timedelta(days=1), place=Place.TELEHEALTH
    )
    session.refresh_from_db()
    assert session.medicine_state == S.BOOKED and session.blocked_reason == ""


def test_the_record_page_shows_the_state_and_what_may_be_done(client_for, therapist, scheduled):
    session = scheduled["session"]
    url = reverse("dosing:medicine_record", args=[session.uuid])
    html = client_for(therapist).get(url).content.decode()
    assert 'data-state="booked"' in html and "it can be started from" in html
    with time_machine.travel(session.start, tick=False):
        response = client_for(therapist).post(reverse("dosing:medicine_start", args=[session.uuid]), follow=True)
        html = response.content.decode()
        assert 'data-state="in_progress"' in html and "Dosing done: move to observation" in html
        assert "No dose is recorded" in html


def test_a_crafted_start_by_another_therapist_is_refused_with_the_rule(
    client_for, therapist, other_therapist, scheduled
):
    session = scheduled["session"]
    with time_machine.travel(session.start, tick=False):
        response = client_for(other_therapist).post(reverse("dosing:medicine_start", args=[session.uuid]))
    assert response.status_code == 404  # outside the caseload
    assert TherapySession.objects.get(pk=session.pk).started_at is None


def test_the_database_keeps_the_stages_to_medicine_sessions(therapist, couple):
    with pytest.raises(IntegrityError), transaction.atomic():
        TherapySession.objects.create(
            couple=couple,
            therapist=therapist,
            phase=Phase.PREPARATION,
            start=timezone.now() + datetime.timedelta(days=3),
            duration_minutes=60,
            place=Place.TELEHEALTH,
            created_by=therapist,
            started_at=timezone.now(),
        )
    assert not SessionEvent.objects.exists()
