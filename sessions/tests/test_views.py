"""The session pages: access, crafted POSTs, the admin site, time zones, dashboards and the course timeline."""

import pytest
from django.urls import reverse

from sessions import services
from sessions.choices import Place, SessionStatus
from sessions.models import Room, SessionNote, TherapySession
from sessions.tests.helpers import A, I, M, P, at, held, history

pytestmark = pytest.mark.django_db


def booking(couple, phase, start="2030-03-05T10:00", **extra):
    return {"couple": couple.pk, "phase": phase, "start": start, "place": Place.TELEHEALTH, **extra}


# -- access -------------------------------------------------------------------------------------------

SESSION_URLS = [
    ("get", "sessions:session_detail"),
    ("get", "sessions:session_reschedule"),
    ("post", "sessions:session_reschedule"),
    ("post", "sessions:session_cancel"),
    ("post", "sessions:session_no_show"),
    ("post", "sessions:session_complete"),
    ("get", "sessions:note_edit"),
    ("post", "sessions:note_edit"),
    ("post", "sessions:note_sign"),
    ("post", "sessions:note_amend"),
]


@pytest.mark.parametrize("method, name", SESSION_URLS)
def test_another_caseloads_session_is_404_on_every_url(
    frozen, client_for, therapist, other_therapist, other_active_couple, method, name
):
    session = held(other_active_couple, other_therapist, A, at(5), status=SessionStatus.SCHEDULED)
    SessionNote.objects.create(session=session, author=other_therapist, content={"history": "x"})
    response = getattr(client_for(therapist), method)(reverse(name, args=[session.uuid]), {"cancel-reason": "x"})
    assert response.status_code == 404
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED and session.start == at(5)


def test_suggestion_for_another_caseloads_couple_is_404(frozen, client_for, therapist, other_active_couple):
    response = client_for(therapist).post(
        reverse("sessions:suggestion_accept", args=[other_active_couple.uuid]),
        {"phase": I, "start": "2030-03-05T10:00", "anchor": "0" * 32},
    )
    assert response.status_code == 404


def test_booking_form_offers_only_the_therapists_own_couples(
    frozen, client_for, therapist, active_couple, other_active_couple
):
    history(other_active_couple, therapist, [(A, at(1, month=2))])  # even with sessions, not on the caseload
    client = client_for(therapist)
    response = client.post(reverse("sessions:session_new"), booking(other_active_couple, A))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not TherapySession.objects.filter(couple=other_active_couple, start__gte=at(4)).exists()


def test_state_changes_only_on_post(frozen, client_for, therapist, active_couple):
    session = held(active_couple, therapist, A, at(5), status=SessionStatus.SCHEDULED)
    response = client_for(therapist).get(reverse("sessions:session_cancel", args=[session.uuid]))
    assert response.status_code == 405


def test_clinic_calendar_is_for_admins(frozen, client_for, therapist, clinic_admin):
    assert client_for(therapist).get(reverse("sessions:calendar_clinic")).status_code == 403
    assert client_for(clinic_admin).get(reverse("sessions:calendar_clinic")).status_code == 200


# -- crafted POSTs: the same rules as the page --------------------------------------------------------


def test_crafted_post_for_a_fourth_preparation_is_refused_and_nothing_saved(
    frozen, client_for, therapist, active_couple
):
    history(
        active_couple, therapist, [(A, at(1, month=2)), (P, at(8, month=2)), (P, at(15, month=2)), (P, at(22, month=2))]
    )
    response = client_for(therapist).post(reverse("sessions:session_new"), booking(active_couple, P))
    assert response.status_code == 400
    assert "Cycle 1 already has 3 preparation sessions; the maximum is 3" in response.content.decode()
    assert TherapySession.objects.count() == 4


def test_crafted_post_for_a_medicine_session_before_the_minimum_preparation(
    frozen, client_for, therapist, active_couple
):
    history(active_couple, therapist, [(A, at(1, month=2)), (P, at(8, month=2))])
    response = client_for(therapist).post(reverse("sessions:session_new"), booking(active_couple, M))
    assert response.status_code == 400
    assert (
        "Medicine session 1 needs at least 2 preparation sessions before it; 1 booked before it."
        in response.content.decode()
    )
    assert not TherapySession.objects.filter(phase=M).exists()


def test_end_before_start_refused_on_the_end_field(frozen, client_for, therapist, active_couple):
    response = client_for(therapist).post(reverse("sessions:session_new"), booking(active_couple, A, end="09:30"))
    assert response.status_code == 400
    assert response.context["form"].errors["end"] == ["The session must end after it starts (10:00)."]
    assert not TherapySession.objects.exists()


def test_end_time_sets_the_length(frozen, client_for, therapist, active_couple):
    response = client_for(therapist).post(reverse("sessions:session_new"), booking(active_couple, A, end="11:15"))
    assert response.status_code == 302
    assert TherapySession.objects.get().duration_minutes == 75


def test_booking_in_the_past_refused_on_the_start_field(frozen, client_for, therapist, active_couple):
    response = client_for(therapist).post(
        reverse("sessions:session_new"), booking(active_couple, A, start="2030-03-04T07:00")
    )
    assert response.status_code == 400
    assert response.context["form"].errors["start"] == [
        "A session cannot be booked in the past (4 Mar 2030, 07:00 has gone)."
    ]


def test_clash_shown_on_the_form(frozen, client_for, therapist, active_couple):
    client = client_for(therapist)
    assert client.post(reverse("sessions:session_new"), booking(active_couple, A)).status_code == 302
    response = client.post(reverse("sessions:session_new"), booking(active_couple, A, start="2030-03-05T11:00"))
    assert response.status_code == 400
    assert response.context["form"].errors["start"] == [
        f"Tara Therapist is already booked then: {active_couple}'s assessment session (5 Mar 2030, 10:00-11:30)."
    ]


def test_editing_a_signed_note_by_post_is_refused(frozen, client_for, therapist, active_couple):
    session = held(active_couple, therapist, A, at(1))
    note = services.note_save_draft(by=therapist, session=session, content={"history": "H", "goals": "G"})
    services.note_sign(by=therapist, note=note)
    response = client_for(therapist).post(
        reverse("sessions:note_edit", args=[session.uuid]), {"history": "rewritten", "goals": "G"}
    )
    assert response.status_code == 302
    assert SessionNote.objects.get().content["history"] == "H"


def test_admin_site_cannot_change_sessions_or_notes(frozen, client_for, clinic_admin, therapist, active_couple):
    session = held(active_couple, therapist, A, at(1))
    note = services.note_save_draft(by=therapist, session=session, content={"history": "H", "goals": "G"})
    services.note_sign(by=therapist, note=note)
    client = client_for(clinic_admin)
    response = client.post(
        f"/admin/clinical_sessions/therapysession/{session.pk}/change/",
        {"status": "cancelled", "phase": M, "start_0": "2030-03-01", "start_1": "10:00"},
    )
    assert response.status_code == 403
    response = client.post(
        f"/admin/clinical_sessions/sessionnote/{note.pk}/change/",
        {"content": '{"history": "rewritten"}', "status": "draft"},
    )
    assert response.status_code == 403
    assert client.post("/admin/clinical_sessions/therapysession/add/", {}).status_code == 403
    assert client.post(f"/admin/clinical_sessions/sessionnote/{note.pk}/delete/", {"post": "yes"}).status_code == 403
    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED
    assert SessionNote.objects.get().content["history"] == "H"
    # Viewing is allowed.
    assert client.get(f"/admin/clinical_sessions/therapysession/{session.pk}/change/").status_code == 200


def test_rooms_are_managed_by_clinic_admins_in_the_admin(frozen, client_for, clinic_admin, therapist):
    response = client_for(clinic_admin).post("/admin/clinical_sessions/room/add/", {"name": "Willow", "active": "on"})
    assert response.status_code == 302
    assert Room.objects.filter(name="Willow").exists()
    assert client_for(therapist).get("/admin/clinical_sessions/room/").status_code == 302  # not staff: to login


# -- time zone ----------------------------------------------------------------------------------------


def test_times_entered_and_shown_in_the_clinics_time_zone(frozen, client_for, therapist, active_couple):
    client = client_for(therapist)
    client.post(reverse("sessions:session_new"), booking(active_couple, A, start="2030-03-12T09:30"))
    session = TherapySession.objects.get()
    assert session.start.isoformat() == "2030-03-12T13:30:00+00:00"  # EDT, after the March change
    page = client.get(reverse("sessions:calendar_week"), {"date": "2030-03-12"}).content.decode()
    assert 'datetime="2030-03-12T09:30:00-04:00">09:30</time>–11:00' in page


# -- the course timeline and the dashboard ------------------------------------------------------------


def test_couple_page_shows_the_course_next_step_and_suggested_check_ins(frozen, client_for, therapist, active_couple):
    history(active_couple, therapist, [(A, at(1, month=2)), (P, at(8, month=2)), (P, at(15, month=2))])
    held(active_couple, therapist, M, at(3, 7), status=SessionStatus.COMPLETED)
    client = client_for(therapist)
    page = client.get(reverse("cases:couple_detail", args=[active_couple.uuid])).content.decode()
    assert "Cycle 1" in page
    assert "Integration after medicine session 1 (0 of at least 1)." in page
    assert "Integration check-in 72 h after medicine session 1" in page
    assert "Integration check-in 1 week after medicine session 1" in page
    assert "Integration check-in 24 h after" not in page  # 4 Mar 07:00 has passed
    assert page.count(">Accept<") == 2


def test_accepting_a_suggestion_books_it(frozen, client_for, therapist, active_couple):
    history(active_couple, therapist, [(A, at(1, month=2)), (P, at(8, month=2)), (P, at(15, month=2))])
    medicine = held(active_couple, therapist, M, at(3, 10))
    response = client_for(therapist).post(
        reverse("sessions:suggestion_accept", args=[active_couple.uuid]),
        {"phase": I, "start": "2030-03-06T10:00:00-05:00", "anchor": medicine.uuid},
        follow=True,
    )
    assert "Booked: Integration" in response.content.decode()
    booked = TherapySession.objects.get(phase=I)
    assert (booked.start, booked.duration_minutes, booked.place) == (at(6, 10), 75, medicine.place)


def test_accepting_a_suggestion_still_checks_the_protocol(frozen, client_for, therapist, active_couple):
    history(active_couple, therapist, [(A, at(1, month=2)), (P, at(8, month=2)), (P, at(15, month=2))])
    prep = TherapySession.objects.filter(phase=P).first()
    response = client_for(therapist).post(
        reverse("sessions:suggestion_accept", args=[active_couple.uuid]),
        {"phase": P, "start": "2030-03-06T10:00:00-05:00", "anchor": prep.uuid},
        follow=True,
    )
    assert "Not booked: Cycle 1 already has 3 preparation sessions" not in response.content.decode()
    assert "Booked: Preparation" in response.content.decode()  # a third is within the maximum
    response = client_for(therapist).post(
        reverse("sessions:suggestion_accept", args=[active_couple.uuid]),
        {"phase": P, "start": "2030-03-07T10:00:00-05:00", "anchor": prep.uuid},
        follow=True,
    )
    assert "Not booked: Cycle 1 already has 3 preparation sessions" in response.content.decode()


def test_therapist_home_shows_today_week_notes_and_couples_due(
    frozen, client_for, therapist, active_couple, other_therapist, other_active_couple
):
    from tests.factories import CoupleFactory

    history(active_couple, therapist, [(A, at(1, month=2))])
    written = held(active_couple, therapist, P, at(1))
    services.note_save_draft(by=therapist, session=written, content={"intentions_a": "x"})
    held(active_couple, therapist, P, at(4, 15), status=SessionStatus.SCHEDULED)
    held(active_couple, therapist, M, at(7, 10), status=SessionStatus.SCHEDULED)
    held(other_active_couple, other_therapist, A, at(4, 11), status=SessionStatus.SCHEDULED)
    waiting = CoupleFactory(therapists=[therapist], case_number="KAP-0900")
    history(waiting, therapist, [(A, at(1, month=2))])
    page = client_for(therapist).get(reverse("accounts:therapist_home")).content.decode()
    today = page[page.index("today-heading") : page.index("week-heading")]
    assert "15:00" in today and "Preparation · KAP-" in today and "11:00" not in today
    week = page[page.index("week-heading") : page.index("notes-heading")]
    assert "Medicine session · " in week
    notes = page[page.index("notes-heading") : page.index("due-heading")]
    assert "draft to sign" in notes and "note not written" in notes  # the assessment has no note yet
    due = page[page.index("due-heading") : page.index("todo-heading")]
    assert "KAP-0900: <a" in due and "Preparation session 1 of cycle 1 (at least 2 before medicine session 1)." in due
    assert active_couple.case_number not in due  # its next session is booked


@pytest.mark.django_db(transaction=True)
def test_a_booking_made_while_the_broker_is_down_stands_and_says_its_reminders_will_follow(
    frozen, client_for, therapist, active_couple, monkeypatch
):
    from jobs import tasks
    from outbox.middleware import DEFERRED_MESSAGE
    from outbox.models import OutboxMessage

    def broker_down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(tasks.outbox_deliver, "apply_async", broker_down)
    response = client_for(therapist).post(reverse("sessions:session_new"), booking(active_couple, A), follow=True)
    assert response.status_code == 200
    session = TherapySession.objects.get(couple=active_couple, phase=A)
    assert DEFERRED_MESSAGE in response.content.decode()
    assert OutboxMessage.objects.filter(object_id=session.pk, sent_at__isnull=True).count() == 1
    # The next write does not even try the broker (publishing is paused), and still says so.
    response = client_for(therapist).post(
        reverse("sessions:session_cancel", args=[session.uuid]), {"cancel-reason": "Unwell"}, follow=True
    )
    assert DEFERRED_MESSAGE in response.content.decode()


@pytest.mark.parametrize("start", ["9999-12-31T23:59", "2031-03-05T10:00"])
def test_a_booking_beyond_the_clinics_horizon_is_refused_next_to_the_date(
    frozen, client_for, therapist, active_couple, start
):
    response = client_for(therapist).post(reverse("sessions:session_new"), booking(active_couple, A, start=start))
    assert response.status_code == 400
    assert "Sessions are booked at most 365 days ahead" in response.content.decode()
    assert not TherapySession.objects.filter(couple=active_couple, phase=A).exists()


def test_the_booking_horizon_is_the_clinics_setting_and_binds_the_service_too(frozen, therapist, active_couple):
    import datetime

    from django.core.exceptions import ValidationError

    from clinic.models import ClinicSettings

    ClinicSettings.objects.update_or_create(id=1, defaults={"booking_horizon_days": 30})
    with pytest.raises(ValidationError, match="at most 30 days ahead"):
        services.session_schedule(
            by=therapist,
            couple=active_couple,
            therapist=therapist,
            phase=A,
            start=at(4) + datetime.timedelta(days=31),
            place=Place.TELEHEALTH,
        )
    assert services.session_schedule(
        by=therapist,
        couple=active_couple,
        therapist=therapist,
        phase=A,
        start=at(4) + datetime.timedelta(days=29),
        place=Place.TELEHEALTH,
    ).session.pk
