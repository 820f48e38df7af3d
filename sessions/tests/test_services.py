"""Booking rules besides the protocol: time, clashes, status transitions, re-checks after changes, and notes."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cases.models import CaseEvent
from records.testing import tamper
from sessions import services
from sessions.choices import NoteStatus, Place, SessionStatus
from sessions.models import NoteAmendment, Room, SessionEvent, SessionNote, SignedNoteLocked, TherapySession
from sessions.tests.helpers import A, I, M, P, at, held, history
from tests.factories import CoupleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def assessed(frozen, therapist, active_couple):
    history(active_couple, therapist, [(A, at(1, month=2))])
    return active_couple


def book(couple, therapist, start, *, phase=P, by=None, **kwargs):
    kwargs.setdefault("place", Place.TELEHEALTH)
    return services.session_schedule(
        by=by or therapist, couple=couple, therapist=therapist, phase=phase, start=start, **kwargs
    )


# -- time ---------------------------------------------------------------------------------------------


def test_new_booking_in_the_past_refused(assessed, therapist):
    with pytest.raises(ValidationError) as exc:
        book(assessed, therapist, at(4, 7, 59))
    assert exc.value.message_dict == {"start": ["A session cannot be booked in the past (4 Mar 2030, 07:59 has gone)."]}
    assert not TherapySession.objects.filter(phase=P).exists()


def test_booking_a_minute_ahead_allowed(assessed, therapist):
    assert book(assessed, therapist, at(4, 8, 1)).session.start == at(4, 8, 1)


@pytest.mark.parametrize("minutes", [0, -30])
def test_zero_or_negative_length_refused(assessed, therapist, minutes):
    with pytest.raises(ValidationError) as exc:
        book(assessed, therapist, at(5), duration_minutes=minutes)
    assert exc.value.message_dict["duration_minutes"] == [
        "The session must end after it starts (and last at most 12 hours)."
    ]


def test_length_defaults_to_the_phase_setting(assessed, therapist):
    assert book(assessed, therapist, at(5), phase=A).session.duration_minutes == 90
    assert book(assessed, therapist, at(6)).session.duration_minutes == 60


def test_stored_in_utc_and_end_derived(assessed, therapist):
    session = book(assessed, therapist, at(5, 10), duration_minutes=45).session
    session.refresh_from_db()
    assert session.start == datetime.datetime(2030, 3, 5, 15, 0, tzinfo=datetime.UTC)
    assert session.end == datetime.datetime(2030, 3, 5, 15, 45, tzinfo=datetime.UTC)


# -- place and clashes --------------------------------------------------------------------------------


def test_office_session_needs_a_room_and_telehealth_none(assessed, therapist):
    room = Room.objects.create(name="Cedar")
    with pytest.raises(ValidationError) as exc:
        book(assessed, therapist, at(5), place=Place.OFFICE)
    assert exc.value.message_dict == {"room": ["Choose the office room."]}
    with pytest.raises(ValidationError) as exc:
        book(assessed, therapist, at(5), place=Place.HOME, room=room)
    assert "has no office room" in exc.value.message_dict["room"][0]
    assert book(assessed, therapist, at(5), place=Place.OFFICE, room=room).session.room == room


def test_double_booking_a_therapist_refused_with_the_clash_named(assessed, therapist):
    book(assessed, therapist, at(5, 10))
    other = CoupleFactory(therapists=[therapist], case_number="KAP-0777")
    history(other, therapist, [(A, at(1, month=2))])
    with pytest.raises(ValidationError) as exc:
        book(other, therapist, at(5, 10, 30))
    assert exc.value.message_dict == {
        "start": [f"Tara Therapist is already booked then: {assessed}'s preparation session (5 Mar 2030, 10:00-11:00)."]
    }
    # Back to back is not a clash.
    assert book(other, therapist, at(5, 11)).session


def test_double_booking_a_room_refused_naming_the_room_and_therapist(
    assessed, therapist, other_therapist, other_active_couple
):
    room = Room.objects.create(name="Cedar")
    history(other_active_couple, other_therapist, [(A, at(1, month=2))])
    book(other_active_couple, other_therapist, at(5, 10), place=Place.OFFICE, room=room)
    with pytest.raises(ValidationError) as exc:
        book(assessed, therapist, at(5, 10, 30), place=Place.OFFICE, room=room)
    assert exc.value.message_dict == {
        "room": ["Cedar is already booked then, by Omar Other (5 Mar 2030, 10:00-11:00)."]
    }
    assert book(assessed, therapist, at(5, 10, 30), place=Place.OFFICE, room=Room.objects.create(name="Oak")).session


def test_a_cancelled_session_frees_its_time(assessed, therapist):
    first = book(assessed, therapist, at(5, 10)).session
    services.session_cancel(by=therapist, session=first, reason="Partner ill")
    assert book(assessed, therapist, at(5, 10)).session


def test_only_the_couples_therapists_or_an_admin_book(assessed, therapist, other_therapist, clinic_admin, prescriber):
    for outsider in (other_therapist, prescriber):
        with pytest.raises(ValidationError, match="Only the couple's therapists or a clinic admin"):
            book(assessed, therapist, at(5), by=outsider)
    with pytest.raises(ValidationError) as exc:
        book(assessed, other_therapist, at(5), by=clinic_admin)
    assert exc.value.message_dict == {"therapist": ["Omar Other is not a therapist on this couple's care team."]}
    assert book(assessed, therapist, at(5), by=clinic_admin).session.created_by == clinic_admin


# -- transitions and re-checks ------------------------------------------------------------------------


def test_status_changes_follow_the_table_and_are_recorded(assessed, therapist, frozen):
    session = book(assessed, therapist, at(4, 9)).session
    with pytest.raises(ValidationError, match="once its start time has passed"):
        services.session_mark_no_show(by=therapist, session=session)
    frozen.move_to(at(4, 9, 5))
    services.session_mark_no_show(by=therapist, session=session, note="No answer by phone")
    with pytest.raises(ValidationError, match="A no-show session cannot become cancelled"):
        services.session_cancel(by=therapist, session=session)
    with pytest.raises(ValidationError, match="A no-show session cannot be completed"):
        services.session_complete(by=therapist, session=session)
    event = SessionEvent.objects.get(session=session, kind="status")
    assert (event.from_status, event.to_status, event.actor, event.note) == (
        SessionStatus.SCHEDULED,
        SessionStatus.NO_SHOW,
        therapist,
        "No answer by phone",
    )
    assert event.at == at(4, 9, 5)
    assert CaseEvent.objects.filter(couple=assessed, summary__startswith="No-show: Preparation session").exists()


def test_cancelling_a_preparation_names_the_medicine_session_now_out_of_order(assessed, therapist):
    first = book(assessed, therapist, at(5)).session
    book(assessed, therapist, at(6))
    book(assessed, therapist, at(8), phase=M)
    change = services.session_cancel(by=therapist, session=first)
    assert change.out_of_order == [
        "Medicine session on 8 Mar 2030, 10:00 is now out of order: Medicine session 1 needs at least "
        "2 preparation sessions before it; 1 booked before it."
    ]


def test_moving_the_medicine_session_past_its_integration_says_what_broke(assessed, therapist):
    book(assessed, therapist, at(5))
    book(assessed, therapist, at(6))
    medicine = book(assessed, therapist, at(8), phase=M).session
    book(assessed, therapist, at(9), phase=I)
    change = services.session_reschedule(by=therapist, session=medicine, start=at(11), place=Place.TELEHEALTH)
    medicine.refresh_from_db()
    assert medicine.start == at(11)
    assert change.out_of_order == [
        "Integration session on 9 Mar 2030, 10:00 is now out of order: An integration session follows a medicine "
        "session; no medicine session is booked before it."
    ]


def test_moving_into_a_clash_is_refused_and_nothing_moves(assessed, therapist):
    book(assessed, therapist, at(5, 10))
    second = book(assessed, therapist, at(6, 10)).session
    with pytest.raises(ValidationError, match="already booked then"):
        services.session_reschedule(by=therapist, session=second, start=at(5, 10, 30), place=Place.TELEHEALTH)
    second.refresh_from_db()
    assert second.start == at(6, 10)


def test_a_completed_session_cannot_be_moved(assessed, therapist, frozen):
    session = book(assessed, therapist, at(4, 9)).session
    frozen.move_to(at(4, 10))
    services.session_complete(by=therapist, session=session)
    with pytest.raises(ValidationError, match="A completed session cannot be moved"):
        services.session_reschedule(by=therapist, session=session, start=at(6), place=Place.TELEHEALTH)


# -- notes --------------------------------------------------------------------------------------------

PREP_NOTE = {
    "intentions_a": "To feel safe",
    "intentions_b": "To listen",
    "psychoeducation": "Set and setting",
    "safety_word": "Pineapple",
}


@pytest.fixture
def completed_prep(frozen, therapist, active_couple):
    history(active_couple, therapist, [(A, at(1, month=2))])
    return held(active_couple, therapist, P, at(1))


def test_note_is_drafted_signed_then_locked(completed_prep, therapist, frozen):
    note = services.note_save_draft(by=therapist, session=completed_prep, content=PREP_NOTE)
    assert note.status == NoteStatus.DRAFT
    note = services.note_sign(by=therapist, note=note)
    assert (note.status, note.signed_by, note.signed_at) == (NoteStatus.SIGNED, therapist, at(4, 8))
    with pytest.raises(ValidationError, match="signed and locked"):
        services.note_save_draft(by=therapist, session=completed_prep, content={"safety_word": "Mango"})
    # Not through the model either, whatever the entry point.
    stale = SessionNote.objects.get(pk=note.pk)
    stale.content = {"safety_word": "Mango"}
    with pytest.raises(SignedNoteLocked):
        stale.save()
    with pytest.raises(SignedNoteLocked):
        stale.delete()
    assert SessionNote.objects.get(pk=note.pk).content["safety_word"] == "Pineapple"


def test_note_signed_only_by_its_therapist_once_complete_and_written(frozen, therapist, active_couple, other_therapist):
    history(active_couple, therapist, [(A, at(1, month=2))])
    scheduled = held(active_couple, therapist, P, at(5), status=SessionStatus.SCHEDULED)
    note = services.note_save_draft(by=therapist, session=scheduled, content={"intentions_a": "Trust"})
    with pytest.raises(ValidationError, match="signed once its session is completed"):
        services.note_sign(by=therapist, note=note)
    TherapySession.objects.filter(pk=scheduled.pk).update(status=SessionStatus.COMPLETED)
    active_couple.therapists.add(other_therapist)
    with pytest.raises(ValidationError, match=r"Only the session's therapist \(Tara Therapist\) can sign"):
        services.note_sign(by=other_therapist, note=note)
    with pytest.raises(ValidationError) as exc:
        services.note_sign(by=therapist, note=note)
    assert exc.value.message_dict == {
        "intentions_b": ["Write the intentions of partner b before signing."],
        "psychoeducation": ["Write the psychoeducation given before signing."],
    }
    assert SessionNote.objects.get(pk=note.pk).status == NoteStatus.DRAFT


def test_amendment_is_dated_named_and_kept_under_the_signed_note(completed_prep, therapist, frozen):
    note = services.note_sign(
        by=therapist, note=services.note_save_draft(by=therapist, session=completed_prep, content=PREP_NOTE)
    )
    frozen.move_to(at(6, 12))
    amendment = services.note_amend(by=therapist, note=note, text="Safety word changed to Mango at their request.")
    assert (amendment.author, amendment.created_at) == (therapist, at(6, 12))
    amendment.text = "rewritten"
    with pytest.raises(ValidationError, match="never changed"):
        amendment.save()
    assert NoteAmendment.objects.get().text == "Safety word changed to Mango at their request."


def test_medicine_session_note_tells_the_session_and_refuses_dosing_parts(frozen, therapist, active_couple):
    medicine = held(active_couple, therapist, M, at(1))
    with pytest.raises(ValidationError, match="Unknown parts of a medicine session note: dose"):
        services.note_save_draft(by=therapist, session=medicine, content={"dose": "50 mg"})
    note = services.note_save_draft(by=therapist, session=medicine, content={"course": "Both settled quickly."})
    assert note.sections()[0] == ("Course of the session", "Both settled quickly.")


def test_unknown_note_parts_refused(completed_prep, therapist):
    with pytest.raises(ValidationError, match="Unknown parts of a preparation note: dose"):
        services.note_save_draft(by=therapist, session=completed_prep, content={"dose": "100 mg"})


def test_integration_note_holds_each_partners_reflections(frozen, therapist, active_couple):
    integration = held(active_couple, therapist, I, at(1))
    note = services.note_save_draft(
        by=therapist,
        session=integration,
        content={
            "reflections_a": "Felt held",
            "reflections_b": "Felt heard",
            "shared_insights": "We avoid conflict",
            "commitments": "Weekly walk (both)",
        },
    )
    assert [label for label, _ in note.sections()] == [
        "Reflections of partner A",
        "Reflections of partner B",
        "Shared insights",
        "Notes on commitments",
    ]


def test_a_signed_note_keeps_a_hash_and_tampering_shows(client_for, completed_prep, therapist):
    note = services.note_save_draft(
        by=therapist,
        session=completed_prep,
        content={"intentions_a": "Listen", "intentions_b": "Speak up", "psychoeducation": "Set and setting"},
    )
    note = services.note_sign(by=therapist, note=note)
    assert note.matches_signature
    with pytest.raises(IntegrityError, match="signed note is never changed"), transaction.atomic():
        SessionNote.objects.filter(pk=note.pk).update(content={"intentions_a": "Rewritten"})
    # A superuser can lift the database's guard; the hash still shows the change.
    tamper(
        "UPDATE clinical_sessions_sessionnote SET content = %s WHERE id = %s",
        ['{"intentions_a": "Rewritten behind the product\'s back"}', note.pk],
        table="clinical_sessions_sessionnote",
    )
    assert not SessionNote.objects.get(pk=note.pk).matches_signature
    html = client_for(therapist).get(f"/sessions/{completed_prep.uuid}/").content.decode()
    assert "Does not match what was signed" in html
