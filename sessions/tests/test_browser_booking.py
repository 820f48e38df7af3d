"""A therapist plans cycle 1 from the calendar in a real browser, and meets the protocol on the way."""

import pytest
import time_machine

from sessions.choices import Phase, SessionStatus
from sessions.models import TherapySession
from sessions.tests.conftest import NOW
from sessions.tests.helpers import A, at, history

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def book_from_calendar(page, couple, phase_label: str, start: str):
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Calendar").click()
    page.get_by_role("link", name="Book a session").click()
    page.get_by_label("Couple").select_option(value=str(couple.pk))
    page.get_by_label("Phase").select_option(label=phase_label)
    page.get_by_label("Starts at").fill(start)
    page.get_by_label("Telehealth").check()
    page.get_by_role("button", name="Book the session").click()
    page.wait_for_load_state()


def test_therapist_books_preparations_is_refused_medicine_then_books_it(login, therapist, active_couple):
    # tick=True: the clock runs (the browser needs it), starting on Monday 4 March 2030, 08:00 in New York.
    with time_machine.travel(NOW, tick=True) as clock:
        history(active_couple, therapist, [(A, at(1, month=2))])
        page = login(therapist)

        book_from_calendar(page, active_couple, "Preparation", "2030-03-05T10:00")
        assert page.get_by_role("heading", name=f"Preparation session · {active_couple.case_number}").is_visible()

        book_from_calendar(page, active_couple, "Medicine session", "2030-03-12T10:00")
        assert page.get_by_text(
            "Medicine session 1 needs at least 2 preparation sessions before it; 1 booked before it."
        ).is_visible()
        assert not TherapySession.objects.filter(phase=Phase.MEDICINE).exists()

        book_from_calendar(page, active_couple, "Preparation", "2030-03-06T10:00")

        # Two days on, both preparations have been held: the therapist marks them completed from the calendar.
        clock.move_to(at(6, 12))
        page.context.clear_cookies()  # two days later: a new working day, a new sign-in
        page = login(therapist)
        for day in ("Tue 5 Mar", "Wed 6 Mar"):
            page.get_by_role("navigation", name="Main").get_by_role("link", name="Calendar").click()
            page.get_by_role("region", name=day).get_by_role("link", name="Preparation").click()
            page.get_by_role("button", name="Mark as completed").click()
            assert page.get_by_text("Session completed.").is_visible()
        assert TherapySession.objects.filter(phase=Phase.PREPARATION, status=SessionStatus.COMPLETED).count() == 2

        book_from_calendar(page, active_couple, "Medicine session", "2030-03-12T10:00")
        assert page.get_by_role("heading", name=f"Medicine session · {active_couple.case_number}").is_visible()
        medicine = TherapySession.objects.get(phase=Phase.MEDICINE)
        assert (medicine.start, medicine.duration_minutes) == (at(12, 10), 180)

        page.goto(f"/couples/{active_couple.uuid}/")
        assert page.locator("[data-next-step]").inner_text().startswith("Next: Integration after medicine session 1")


def test_therapist_enters_a_missed_session_after_the_fact_and_a_past_medicine_session_is_refused(
    login, therapist, active_couple
):
    with time_machine.travel(NOW, tick=True):
        history(active_couple, therapist, [(A, at(1, month=2))])
        page = login(therapist)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Calendar").click()
        page.get_by_role("link", name="Book a session").click()
        page.get_by_label("Couple").select_option(value=str(active_couple.pk))
        page.get_by_label("Phase").select_option(label="Medicine session")
        page.get_by_label("Starts at").fill("2030-03-01T10:00")
        page.get_by_label("Home").check()
        page.get_by_label("This session already took place").check()
        page.get_by_label("What happened").select_option(label="Missed (no-show)")
        page.get_by_label("Why it is entered after the fact").fill("The couple did not come; entered from paper.")
        page.get_by_role("button", name="Book the session").click()
        assert page.get_by_text("its record is the bedside record").is_visible()
        assert not TherapySession.objects.filter(phase=Phase.MEDICINE).exists()

        page.get_by_label("Phase").select_option(label="Preparation")
        page.get_by_label("Telehealth").check()
        page.get_by_role("button", name="Book the session").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name=f"Preparation session · {active_couple.case_number}").is_visible()
        missed = TherapySession.objects.get(phase=Phase.PREPARATION)
        assert (missed.status, missed.start) == (SessionStatus.NO_SHOW, at(1, 10))
        page.goto(f"/couples/{active_couple.uuid}/")
        assert page.get_by_text(
            "Entered after the fact (no-show): Preparation session on 1 Mar 2030"
        ).first.is_visible()
