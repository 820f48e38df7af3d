"""Each refusal of the booking and note services (`sessions/services.py`), called as a task or the shell would
call them: the message names the field and the rule, and nothing is written."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from cases.choices import CoupleStatus
from cases.models import Couple
from sessions import services
from sessions.choices import Place, SessionStatus
from sessions.models import NoteAmendment, Room, SessionNote, TherapySession
from sessions.tests.helpers import A, M, P, at, held

pytestmark = pytest.mark.django_db
PREP_NOTE = {
    "intentions_a": "To feel safe",
    "intentions_b": "To listen",
    "psychoeducation": "Set and setting",
    "safety_word": "Pineapple",
}


def refusal(call) -> ValidationError:
    sessions = TherapySession.objects.count()
    with pytest.raises(ValidationError) as exc:
        call()
    assert TherapySession.objects.count() == sessions
    return exc.value


def book(therapist, couple, **kwargs):
    values = {"phase": A, "start": at(6), "place": Place.TELEHEALTH} | kwargs
    return lambda: services.session_schedule(by=therapist, couple=couple, therapist=therapist, **values)


def test_a_booking_names_a_known_phase_and_place(frozen, therapist, active_couple):
    assert refusal(book(therapist, active_couple, phase="picnic")).message_dict == {
        "phase": ["Choose the session's phase."]
    }
    assert refusal(book(therapist, active_couple, place="park")).message_dict["place"] == [
        "Choose the office, telehealth or home."
    ]


def test_a_retired_room_is_not_booked(frozen, therapist, active_couple):
    room = Room.objects.create(name="Garden room", active=False)
    error = refusal(book(therapist, active_couple, place=Place.OFFICE, room=room))
    assert error.message_dict["room"] == ["Garden room is no longer in use; choose another room."]


def test_session_times_carry_their_time_zone(frozen, therapist, active_couple):
    with pytest.raises(ValueError, match="timezone-aware"):
        book(therapist, active_couple, start=datetime.datetime(2030, 3, 6, 10, 0))()
    assert not TherapySession.objects.exists()


@pytest.mark.parametrize("status", [CoupleStatus.COMPLETED, CoupleStatus.CLOSED, CoupleStatus.DECLINED])
def test_a_closed_case_books_nothing(frozen, therapist, active_couple, status):
    Couple.objects.filter(pk=active_couple.pk).update(status=status)
    active_couple.refresh_from_db()
    error = refusal(book(therapist, active_couple))
    assert error.messages == [
        f"Case {active_couple.case_number} is {active_couple.get_status_display().lower()}; no sessions can be booked."
    ]


def test_the_couple_is_not_booked_twice_at_once_with_two_therapists(frozen, therapist, other_therapist, active_couple):
    active_couple.therapists.add(other_therapist)
    held(active_couple, other_therapist, A, at(6), status=SessionStatus.SCHEDULED)
    error = refusal(book(therapist, active_couple, start=at(6, 10, 30)))
    assert error.message_dict["start"][0].startswith(f"{active_couple} already has a")


def test_a_move_is_checked_like_a_booking(frozen, therapist, active_couple):
    session = held(active_couple, therapist, A, at(6), status=SessionStatus.SCHEDULED)
    error = refusal(lambda: services.session_reschedule(by=therapist, session=session, start=at(7), place="moon"))
    assert "place" in error.message_dict
    assert TherapySession.objects.get(pk=session.pk).start == at(6)


def test_a_started_medicine_session_is_not_moved(frozen, therapist, active_couple):
    held(active_couple, therapist, A, at(1, month=2))
    held(active_couple, therapist, P, at(5, month=2))
    held(active_couple, therapist, P, at(7, month=2))
    medicine = held(active_couple, therapist, M, at(4, 7), status=SessionStatus.SCHEDULED)
    TherapySession.objects.filter(pk=medicine.pk).update(started_at=at(4, 7, 55))
    error = refusal(
        lambda: services.session_reschedule(by=therapist, session=medicine, start=at(8), place=Place.TELEHEALTH)
    )
    assert error.messages[0].endswith("a session that has started cannot be moved.")


# -- notes --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [SessionStatus.CANCELLED, SessionStatus.NO_SHOW])
def test_a_session_that_did_not_happen_has_no_note(frozen, therapist, active_couple, status):
    session = held(active_couple, therapist, P, at(1), status=status)
    with pytest.raises(ValidationError, match="session has no note"):
        services.note_save_draft(by=therapist, session=session, content=PREP_NOTE)
    assert not SessionNote.objects.exists()


@pytest.fixture
def signed_note(frozen, therapist, active_couple):
    held(active_couple, therapist, A, at(1, month=2))
    session = held(active_couple, therapist, P, at(1))
    return services.note_sign(
        by=therapist, note=services.note_save_draft(by=therapist, session=session, content=PREP_NOTE)
    )


def test_a_note_is_signed_once(therapist, signed_note):
    with pytest.raises(ValidationError, match="This note is already signed."):
        services.note_sign(by=therapist, note=signed_note)


def test_an_amendment_says_something_and_is_for_a_signed_note(frozen, therapist, active_couple, signed_note):
    with pytest.raises(ValidationError) as exc:
        services.note_amend(by=therapist, note=signed_note, text="  ")
    assert exc.value.message_dict == {"text": ["Write the correction or addition."]}
    draft_session = held(active_couple, therapist, P, at(2))
    draft = services.note_save_draft(by=therapist, session=draft_session, content=PREP_NOTE)
    with pytest.raises(ValidationError, match="amendments are for signed notes"):
        services.note_amend(by=therapist, note=draft, text="Correction")
    assert not NoteAmendment.objects.exists()
