"""Which questionnaires are due for which partner at each session, from the clinic's schedule."""

import datetime

import pytest
from django.urls import reverse

from cases.services import questionnaire_record
from clinic.services import clinic_settings_update
from integration.selectors import measures_due
from sessions.choices import SessionStatus
from sessions.tests.helpers import F, I, M, P, at, held

pytestmark = pytest.mark.django_db


def due(session):
    return sorted((r.partner.label, r.instrument) for r in measures_due(session=session).due)


def record(partner, instrument, day, context):
    answers = [0] * {"PHQ9": 9, "GAD7": 7, "PCL5": 20, "CSI4": 4}[instrument]
    return questionnaire_record(
        by=None, partner=partner, instrument=instrument, answers=answers, administered_on=day, context=context
    )


def test_every_instrument_is_due_for_both_partners_at_baseline(one_cycle):
    assert due(one_cycle["assessment"]) == sorted((p, i) for p in "AB" for i in ("PHQ9", "GAD7", "PCL5", "CSI4"))


def test_a_baseline_answered_before_the_first_medicine_session_is_no_longer_due(one_cycle, partners):
    record(partners["A"], "GAD7", datetime.date(2030, 1, 20), "screening")
    assert ("A", "GAD7") not in due(one_cycle["assessment"])
    assert ("B", "GAD7") in due(one_cycle["assessment"])


def test_pre_medicine_counts_only_between_the_previous_medicine_session_and_this_one(
    one_cycle, partners, therapist, active_couple
):
    record(partners["A"], "PHQ9", datetime.date(2030, 2, 6), "pre_medicine")  # before medicine 1
    assert ("A", "PHQ9") not in due(one_cycle["prep2"])
    # Cycle 2: the answer of cycle 1 does not count any more.
    prep = held(active_couple, therapist, P, at(18, month=2))
    held(active_couple, therapist, P, at(20, month=2))
    held(active_couple, therapist, M, at(24, month=2))
    assert ("A", "PHQ9") in due(prep)
    record(partners["A"], "PHQ9", datetime.date(2030, 2, 22), "pre_medicine")
    assert ("A", "PHQ9") not in due(prep)


def test_post_integration_is_due_after_the_medicine_session_and_only_with_that_context(one_cycle, partners):
    integration = one_cycle["integration"]
    record(partners["B"], "CSI4", datetime.date(2030, 2, 11), "screening")  # wrong context: still due
    assert ("B", "CSI4") in due(integration)
    record(partners["B"], "CSI4", datetime.date(2030, 2, 12), "post_integration")
    assert ("B", "CSI4") not in due(integration)
    assert measures_due(session=integration).window.point == "post_integration"


def test_the_schedule_is_the_clinics_setting(one_cycle, clinic_admin):
    clinic_settings_update(by=clinic_admin, values={"measures_post_integration": "CSI4", "measures_baseline": ""})
    assert due(one_cycle["integration"]) == [("A", "CSI4"), ("B", "CSI4")]
    assert due(one_cycle["assessment"]) == []


def test_follow_up_questionnaires_are_due_in_the_window_of_their_interval(
    one_cycle, partners, therapist, active_couple, frozen
):
    # The clinic default (4, 12, 26 weeks) after the last integration, 14 Feb: due 14 March, 9 May, 15 August;
    # the first window runs from the day after the medicine session to halfway to 9 May (11 April).
    held(active_couple, therapist, I, at(14, month=2))
    session = held(active_couple, therapist, F, at(15, month=3), status=SessionStatus.SCHEDULED)
    window = measures_due(session=session).window
    assert (window.point, window.label) == ("follow_up", "follow-up 1")
    record(partners["A"], "GAD7", datetime.date(2030, 3, 2), "follow_up")
    assert ("A", "GAD7") not in due(session)


def test_the_session_page_lists_what_is_due_with_record_and_send_buttons(client_for, therapist, one_cycle):
    session = one_cycle["integration"]
    page = client_for(therapist).get(reverse("sessions:session_detail", args=[session.uuid])).content.decode()
    assert "Questionnaires at this session: after integration" in page
    assert page.count('data-done="no"') == 8
    assert "?context=post_integration" in page
    assert "E-mail a link" in page


def test_recording_a_due_questionnaire_from_the_list_records_it_for_that_point(
    client_for, therapist, one_cycle, partners
):
    partner = partners["A"]
    url = reverse("cases:questionnaire_new", args=[partner.couple.uuid, partner.uuid, "GAD7"])
    data = {"administered_on": "2030-03-01", **{f"item_{n}": 1 for n in range(1, 8)}}
    assert client_for(therapist).post(url + "?context=post_integration", data).status_code == 302
    assert partner.questionnaires.get().context == "post_integration"
    assert ("A", "GAD7") not in due(one_cycle["integration"])
