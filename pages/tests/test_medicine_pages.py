"""What the pages show of a medicine session: the moves its state machine offers on the session page (each with
its reason when refused, cancel and no-show only after a reason and a confirmation), and "Blocked: reason" on the
calendars, the couple page and the therapist's home once the gate shut."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from dosing.approvals import approval_revoke
from dosing.lifecycle import medicine_session_start
from dosing.record import dose_record, predose_record
from dosing.tests.factories import predose_values
from dosing.tests.test_medicine_session import book_medicine, prepared, scheduled  # noqa: F401 (fixture)
from sessions.choices import SessionStatus
from sessions.models import TherapySession

pytestmark = pytest.mark.django_db

REVOKED = "Blocked: The dual psycholytic approval was revoked"


def _html(client, url, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, url
    return response.content.decode()


def _dose(session, therapist, partner, stock):
    predose_record(
        by=therapist,
        session=session,
        partner=partner,
        values=predose_values(sober_partner_present=None),
    )
    dose_record(by=therapist, session=session, partner=partner, at=timezone.now(), mg=Decimal("50"), lot=stock)


# -- the session page asks the machine ------------------------------------------------------------------------


def test_a_booked_medicine_session_page_offers_the_machines_moves_not_the_generic_buttons(
    client_for, therapist, scheduled
):
    session = scheduled["session"]
    html = _html(client_for(therapist), reverse("sessions:session_detail", args=[session.uuid]))
    assert "Mark as completed" not in html and "Record a no-show" not in html
    assert 'data-action="start" data-allowed="no"' in html and "it can be started from" in html
    assert 'data-action="no_show" data-allowed="no"' in html
    assert "A session can only be marked a no-show once its start time has passed." in html
    assert 'data-action="cancel" data-allowed="yes"' in html
    assert f'action="{reverse("sessions:session_cancel", args=[session.uuid])}"' in html
    assert 'name="cancel-reason"' in html and "You confirm on the next page." in html


def test_a_started_medicine_session_offers_no_move(client_for, therapist, scheduled):
    session = scheduled["session"]
    url = reverse("sessions:session_detail", args=[session.uuid])
    move = reverse("sessions:session_reschedule", args=[session.uuid])
    assert f'href="{move}"' in _html(client_for(therapist), url)
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False):
        medicine_session_start(by=therapist, session=session)
        assert f'href="{move}"' not in _html(client_for(therapist), url)


def test_cancelling_a_medicine_session_asks_a_reason_then_a_confirmation(client_for, therapist, scheduled):
    session = scheduled["session"]
    client = client_for(therapist)
    url = reverse("sessions:session_cancel", args=[session.uuid])
    # No reason: the confirmation page asks for it, next to the field, and nothing changes.
    response = client.post(url, {"cancel-reason": "  "})
    assert response.status_code == 400
    assert "Say why: the prescriber and the controlled-substance log need the reason." in response.content.decode()
    # A crafted confirmation without a reason: the same field message, nothing changed.
    response = client.post(url, {"confirm": "yes"})
    assert response.status_code == 400
    assert "Say why: the prescriber and the controlled-substance log need the reason." in response.content.decode()
    assert TherapySession.objects.get(pk=session.pk).status == SessionStatus.SCHEDULED
    # A reason: the confirmation page, still nothing changed.
    response = client.post(url, {"cancel-reason": "Partner B has a fever"})
    html = response.content.decode()
    assert response.status_code == 200 and 'data-confirm="cancel"' in html
    assert "Partner B has a fever" in html and 'name="confirm" value="yes"' in html
    assert TherapySession.objects.get(pk=session.pk).status == SessionStatus.SCHEDULED
    # Confirmed: cancelled, with the reason in its history.
    response = client.post(url, {"cancel-reason": "Partner B has a fever", "confirm": "yes"}, follow=True)
    assert "Session cancelled." in response.content.decode()
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    assert session.events.filter(note="Partner B has a fever").exists()


def test_a_no_show_is_confirmed_too_and_a_dosed_session_shows_why_it_cannot_end_so(client_for, therapist, scheduled):
    session, stock = scheduled["session"], scheduled["lot"]
    partner = scheduled["couple"].partners.get(label="A")
    page = reverse("sessions:session_detail", args=[session.uuid])
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False):
        client = client_for(therapist)  # signed in at the session's time (an idle sign-in would have expired)
        medicine_session_start(by=therapist, session=session)
        html = _html(client, page)
        assert 'data-action="observe" data-allowed="no"' in html and "No dose is recorded" in html
        assert 'data-action="no_show" data-allowed="yes"' in html
        response = client.post(reverse("sessions:session_no_show", args=[session.uuid]), {"cancel-reason": "late"})
        assert response.status_code == 200 and 'data-confirm="no_show"' in response.content.decode()
        assert TherapySession.objects.get(pk=session.pk).status == SessionStatus.SCHEDULED
        _dose(session, therapist, partner, stock)
        html = _html(client, page)
        assert 'data-action="observe" data-allowed="yes"' in html
        assert 'data-action="cancel" data-allowed="no"' in html
        assert "A dose was given: this session can only end completed, not cancelled." in html
        # A crafted confirmation of what the machine refuses: no confirmation page, the rule, nothing changed.
        response = client.post(
            reverse("sessions:session_cancel", args=[session.uuid]),
            {"cancel-reason": "crafted", "confirm": "yes"},
            follow=True,
        )
        assert "A dose was given: this session can only end completed, not cancelled." in response.content.decode()
    assert TherapySession.objects.get(pk=session.pk).status == SessionStatus.SCHEDULED


def test_a_prescriber_sees_the_moves_refused_with_the_rule(client_for, prescriber, scheduled):
    session = scheduled["session"]
    html = _html(client_for(prescriber), reverse("sessions:session_detail", args=[session.uuid]))
    assert 'data-action="cancel" data-allowed="no"' in html and 'name="cancel-reason"' not in html
    # A crafted cancel: no confirmation page for a move refused, a 403 with the rule book's reason.
    response = client_for(prescriber).post(
        reverse("sessions:session_cancel", args=[session.uuid]), {"cancel-reason": "x", "confirm": "yes"}
    )
    assert response.status_code == 403
    assert "Only the couple&#x27;s therapists or a clinic admin can" in response.content.decode()
    assert TherapySession.objects.get(pk=session.pk).status == SessionStatus.SCHEDULED


# -- blocked looks blocked --------------------------------------------------------------------------------------


def test_a_blocked_medicine_session_says_so_on_every_page_until_it_is_cancelled(
    client_for, therapist, prescriber, clinic_admin, scheduled
):
    session = scheduled["session"]
    approval_revoke(by=prescriber, approval=scheduled["approval"], reason="New cardiac history")
    day = timezone.localtime(session.start).date().isoformat()
    client = client_for(therapist)
    pages = {
        "the week": _html(client, reverse("sessions:calendar_week"), date=day),
        "the day": _html(client, reverse("sessions:calendar_day"), date=day),
        "the couple page": _html(client, reverse("cases:couple_detail", args=[scheduled["couple"].uuid])),
        "the therapist's home": _html(client, reverse("accounts:therapist_home")),
        "the session page": _html(client, reverse("sessions:session_detail", args=[session.uuid])),
    }
    pages["the clinic calendar"] = _html(client_for(clinic_admin), reverse("sessions:calendar_clinic"), date=day)
    for where, html in pages.items():
        assert REVOKED in html, where
        assert "New cardiac history" in html, where
        assert 'data-medicine-note="blocked"' in html, where
    assert "Blocked medicine sessions" in pages["the therapist's home"]
    assert 'data-action="start" data-allowed="no"' in pages["the session page"]

    client = client_for(therapist)
    url = reverse("sessions:session_cancel", args=[session.uuid])
    client.post(url, {"cancel-reason": "Approval revoked", "confirm": "yes"})
    assert TherapySession.objects.get(pk=session.pk).status == SessionStatus.CANCELLED
    assert REVOKED not in _html(client, reverse("accounts:therapist_home"))
    assert REVOKED not in _html(client, reverse("sessions:calendar_week"), date=day)


def test_the_prescribers_week_shows_a_blocked_medicine_session_with_its_reason(client_for, prescriber, scheduled):
    session = scheduled["session"]
    approval_revoke(by=prescriber, approval=scheduled["approval"], reason="New cardiac history")
    with time_machine.travel(session.start - datetime.timedelta(hours=2), tick=False):  # the session's own week
        html = _html(client_for(prescriber), reverse("accounts:prescriber_home"))
    assert REVOKED in html and 'data-medicine-note="blocked"' in html


def test_a_session_in_progress_whose_gate_shut_says_what_may_still_be_done(
    client_for, therapist, prescriber, scheduled
):
    session, stock = scheduled["session"], scheduled["lot"]
    partner = scheduled["couple"].partners.get(label="A")
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False):
        client = client_for(therapist)
        medicine_session_start(by=therapist, session=session)
        _dose(session, therapist, partner, stock)
        day = timezone.localdate().isoformat()
        assert "Dosing stopped" not in _html(client, reverse("sessions:calendar_day"), date=day)
        approval_revoke(by=prescriber, approval=scheduled["approval"], reason="Lab result")
        for url, params in (
            (reverse("sessions:calendar_day"), {"date": day}),
            (reverse("accounts:therapist_home"), {}),
            (reverse("cases:couple_detail", args=[scheduled["couple"].uuid]), {}),
            (reverse("sessions:session_detail", args=[session.uuid]), {}),
        ):
            html = _html(client, url, **params)
            assert 'data-medicine-note="in_progress"' in html, url
            assert "Dosing stopped: The dual psycholytic approval was revoked" in html, url
            assert (
                "No further dose may be given. Vital signs, side effects and discharge can still be recorded." in html
            ), url
            assert "Blocked medicine sessions" not in html, url


# -- what these pages cost ----------------------------------------------------------------------------------------

# The session (with the approval it stands on and its signer), its note and history, the integration panel, its
# reminders, notices and summaries, the care team once (for the page and the moves), the protocol's check, the gate
# for the moves and the note, the audit row. 24 before the approval came with the session.
MEDICINE_SESSION_PAGE_QUERIES = 23  # with the sessions the current approval allows past the maximum


def _count(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_medicine_session_page_costs_the_same_with_more_readings_and_more_couples(
    client_for, therapist, prescriber, scheduled
):
    from dosing.record import vitals_record
    from tests.test_page_queries import grow

    session, stock = scheduled["session"], scheduled["lot"]
    partner = scheduled["couple"].partners.get(label="A")
    url = reverse("sessions:session_detail", args=[session.uuid])
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False) as clock:
        client = client_for(therapist)
        medicine_session_start(by=therapist, session=session)
        _dose(session, therapist, partner, stock)
        small = _count(client, url)
        grow(therapist, prescriber, 7, start=100)  # lot numbers apart from the fixture's
        for _ in range(4):
            clock.shift(datetime.timedelta(minutes=2))
            vitals_record(
                by=therapist,
                session=session,
                partner=partner,
                at=timezone.now(),
                systolic=128,
                diastolic=80,
                heart_rate=72,
            )
        client.get(url)  # the sign-in's last activity is saved once after the clock moved: not a page read
        large = _count(client, url)
    assert small == large == MEDICINE_SESSION_PAGE_QUERIES


COUPLE_INTEGRATION_PAGE_QUERIES = 10


def test_the_couple_integration_page_costs_the_same_with_a_longer_course(client_for, therapist, active_couple):
    from sessions.tests.helpers import A, I, M, P, at, history

    client = client_for(therapist)
    url = reverse("integration:couple_integration", args=[active_couple.uuid])
    history(active_couple, therapist, [(A, at(1, month=1))])
    small = _count(client, url)
    history(
        active_couple,
        therapist,
        [(P, at(2, month=1)), (P, at(3, month=1)), (M, at(4, month=1)), (I, at(5, month=1)), (I, at(8, month=1))],
    )
    large = _count(client, url)
    assert small == large == COUPLE_INTEGRATION_PAGE_QUERIES
