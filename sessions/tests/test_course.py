"""The course rules of CLINICAL.md ("The phased protocol"), line by line, on plain values: no database here.

Each line of the protocol gets a case it allows and a case it refuses, standing on a CourseState written by hand
in a clinic on New York time (so that local dates and daylight-saving changes are real).
"""

import datetime

from cases.scores import baseline_response, latest_response, latest_responses
from sessions import course
from sessions.course import Mode
from sessions.tests.course_helpers import BOOKED, HELD, A, F, I, M, P, at, cycle_one, plan, state, step


def decide(course_state, phase, start, mode=Mode.PLAN):
    return course.decide(course_state, phase=phase, start=start, mode=mode)


# -- 1. assessment first -----------------------------------------------------------------------------------------


def test_assessment_is_allowed_first_and_again_before_the_cycles():
    assert decide(state(), A, at(1)).allowed
    assert decide(state(*plan((A, 1))), A, at(2, month=2)).allowed


def test_assessment_refused_once_the_course_has_moved_on():
    decision = decide(state(*plan((A, 1), (P, 8))), A, at(1))
    assert decision.reasons == [
        "Assessment comes first: this couple's course has moved on (preparation on 8 Feb 2030)."
    ]


def test_preparation_refused_before_any_assessment_and_allowed_after_one():
    assert decide(state(), P, at(1)).reasons == [
        "Preparation comes after assessment: no assessment session is booked before it."
    ]
    assert decide(state(*plan((A, 1))), P, at(1)).allowed


# -- 2. preparation: at least the minimum and at most the maximum per cycle ------------------------------------


def test_medicine_refused_with_fewer_preparations_than_the_minimum():
    decision = decide(state(*plan((A, 1), (P, 3))), M, at(1))
    assert decision.reasons == [
        "Medicine session 1 needs at least 2 preparation sessions before it; 1 booked before it."
    ]


def test_medicine_allowed_with_the_minimum_of_preparations():
    assert decide(state(*plan((A, 1), (P, 3), (P, 6))), M, at(1)).allowed


def test_preparation_allowed_up_to_the_maximum_and_refused_past_it():
    two = state(*plan((A, 1), (P, 3), (P, 6)))
    assert decide(two, P, at(1)).allowed
    three = state(*plan((A, 1), (P, 3), (P, 6), (P, 9)))
    assert decide(three, P, at(1)).reasons == [
        "Cycle 1 already has 3 preparation sessions; the maximum is 3 before each medicine session."
    ]


def test_the_preparation_limits_are_the_clinic_settings():
    one = state(*plan((A, 1), (P, 3)), preparation_min=1, preparation_max=1)
    assert decide(one, M, at(1)).allowed
    assert not decide(one, P, at(1)).allowed


def test_preparations_count_per_cycle():
    second_cycle = state(*cycle_one(), *plan((P, 18), (P, 19)))
    assert decide(second_cycle, P, at(1)).allowed  # the third of cycle 2, although the course has four
    assert decide(second_cycle, M, at(1)).allowed


# -- 3. a medicine session needs its preparations and an assessment ------------------------------------------


def test_medicine_refused_without_an_assessment_or_preparation():
    assert decide(state(), M, at(1)).reasons == [
        "Medicine session 1 needs a assessment session first; none booked before it.",
        "Medicine session 1 needs at least 2 preparation sessions before it; 0 booked before it.",
    ]


def test_medicine_refused_for_a_couple_not_in_active_treatment():
    decision = decide(state(*plan((A, 1), (P, 3), (P, 6)), status="screening"), M, at(1))
    assert decision.reasons == ["Medicine sessions are for couples in active treatment; this couple is screening."]


# -- 4. integration after each medicine session, before the next cycle's medicine session -----------------------


def test_integration_refused_without_a_medicine_session_before_it_and_allowed_after_one():
    assert decide(state(*plan((A, 1), (P, 3), (P, 6))), I, at(1)).reasons == [
        "An integration session follows a medicine session; no medicine session is booked before it."
    ]
    assert decide(state(*plan((A, 1), (P, 3), (P, 6), (M, 10))), I, at(1)).allowed


def test_next_cycle_medicine_refused_before_the_previous_cycle_has_its_integration():
    no_integration = state(*plan((A, 1), (P, 3), (P, 6), (M, 10), (P, 18), (P, 19)))
    assert decide(no_integration, M, at(1)).reasons == [
        "Medicine session 2 needs at least 1 integration session after medicine session 1; 0 booked before it."
    ]
    assert decide(state(*cycle_one(), *plan((P, 18), (P, 19))), M, at(1)).allowed


def test_the_next_cycle_needs_a_completed_integration_before_its_medicine_session_is_held():
    booked_integration = [
        *plan((A, 1), (P, 3), (P, 6), (M, 10), status=HELD),
        step(I, at(11, month=2)),
        *plan((P, 18), (P, 19), status=HELD),
    ]
    decision = decide(state(*booked_integration), M, at(1), mode=Mode.DONE)
    assert decision.reasons == [
        "Medicine session 2 needs at least 1 completed integration session after medicine session 1; 0 so far."
    ]
    assert decide(state(*cycle_one(HELD), *plan((P, 18), (P, 19), status=HELD)), M, at(1), mode=Mode.DONE).allowed


def test_preparation_for_the_next_cycle_waits_for_the_integration():
    assert decide(state(*plan((A, 1), (P, 3), (P, 6), (M, 10))), P, at(1)).reasons == [
        "Preparation for cycle 2 comes after integration of medicine session 1; no integration session since it "
        "is booked."
    ]
    assert decide(state(*cycle_one()), P, at(1)).allowed


# -- 5. at least N days between two medicine sessions, on the clinic's calendar -------------------------------


def second_cycle_ready():
    return [*cycle_one(), *plan((P, 12), (P, 13))]  # medicine session 1 on 10 February


def test_medicine_refused_six_days_after_the_previous_one():
    decision = decide(state(*second_cycle_ready()), M, at(16, month=2))
    assert decision.reasons == [
        "Medicine session 2 must be at least 7 days after medicine session 1 (10 Feb 2030); this is 6 days after."
    ]


def test_medicine_allowed_seven_clinic_days_after_even_under_seven_times_24_hours():
    # 10 Feb 10:00 to 17 Feb 08:00 is 166 hours, but seven days on the clinic's calendar.
    assert decide(state(*second_cycle_ready()), M, at(17, hour=8, month=2)).allowed


def test_the_interval_counts_clinic_local_dates_not_utc_dates():
    # 23:30 in New York on 16 February is already the 17th in UTC: still six clinic days.
    decision = decide(state(*second_cycle_ready()), M, at(16, hour=23, minute=30, month=2))
    assert decision.reasons[-1].endswith("this is 6 days after.")


def test_the_interval_across_the_spring_daylight_saving_change():
    # 5 March 10:00 EST to 12 March 09:00 EDT is 6 days 22 hours of elapsed time, and 7 clinic days.
    steps = [*plan((A, 1), (P, 2), (P, 3)), step(M, at(5)), step(I, at(6)), step(P, at(7)), step(P, at(8))]
    assert decide(state(*steps), M, at(12, hour=9)).allowed
    assert decide(state(*steps), M, at(11, hour=23)).reasons[-1].endswith("this is 6 days after.")


def test_the_interval_across_the_fall_daylight_saving_change():
    # 27 October 23:30 EDT to 3 November 23:30 EST: 7 days and 1 hour elapsed, and 7 clinic days.
    steps = [
        *plan((A, 1), (P, 2), (P, 3), month=10),
        step(M, at(27, 23, 30, month=10)),
        step(I, at(28, month=10)),
        step(P, at(29, month=10)),
        step(P, at(30, month=10)),
    ]
    assert decide(state(*steps), M, at(3, 23, 30, month=11)).allowed
    assert not decide(state(*steps), M, at(2, 23, 30, month=11)).allowed


def test_medicine_refused_too_close_before_a_medicine_session_booked_later():
    steps = [*plan((A, 1), (P, 2), (P, 3)), step(M, at(20, month=2))]
    assert decide(state(*steps), M, at(15, month=2)).reasons[-1] == (
        "The next medicine session (20 Feb 2030) would be only 5 days after this one; at least 7 are needed "
        "between two."
    )
    assert not any("next medicine session" in r for r in decide(state(*steps), M, at(13, month=2)).reasons)


def test_a_medicine_session_with_a_dose_given_counts_for_the_interval_whatever_its_status():
    steps = [*plan((A, 1), (P, 2), (P, 3)), step(M, at(10, month=2), "cancelled", dosed=True), *plan((P, 12), (P, 13))]
    assert decide(state(*steps), M, at(14, month=2)).reasons == [
        "Medicine session 1 must be at least 7 days after the medicine session in which a dose was given "
        "(10 Feb 2030); this is 4 days after."
    ]
    undosed = [s if s.phase != M else step(M, s.start, "cancelled") for s in steps]
    # Without a dose the cancelled session leaves no interval (its four preparations now make one cycle).
    assert decide(state(*undosed), M, at(14, month=2)).reasons == [
        "Cycle 1 would have 4 preparation sessions before medicine session 1; the maximum is 3."
    ]


# -- 6. the course minimum and maximum of medicine sessions -----------------------------------------------------


def two_cycles():
    return [*cycle_one(), *plan((P, 18), (P, 19), (M, 20), (I, 21), (P, 27), (P, 28))]


def test_medicine_allowed_up_to_the_course_maximum():
    assert decide(state(*two_cycles(), medicine_sessions_max=3), M, at(1)).allowed


def test_medicine_refused_past_the_course_maximum():
    assert decide(state(*two_cycles(), medicine_sessions_max=2), M, at(1)).reasons == [
        "This would be medicine session 3; the course maximum is 2 (going past it needs "
        "a new prescriber approval that allows medicine sessions past the course maximum)."
    ]


def test_an_allowed_maximum_above_the_clinic_setting_is_an_input_of_the_course():
    raised = state(*two_cycles(), medicine_sessions_max=2, allowed=3)
    assert raised.medicine_maximum == 3
    assert decide(raised, M, at(1)).allowed


def test_below_the_course_minimum_the_next_step_is_another_cycle_and_no_follow_up_plan():
    below = state(*cycle_one(HELD), medicine_sessions_min=2, follow_up_weeks=(4,))
    assert course.next_step(below).text == "Preparation for cycle 2."
    assert course.follow_up_schedule(below) is None


def test_at_the_course_minimum_the_course_may_end_with_a_follow_up():
    at_min = state(*cycle_one(HELD), medicine_sessions_min=1, follow_up_weeks=(4,))
    assert course.next_step(at_min).text == (
        "Preparation for cycle 2, or a follow-up if the course ends here (1 medicine sessions so far)."
    )
    schedule = course.follow_up_schedule(at_min)
    assert schedule.provisional and schedule.slots[0].due_on == datetime.date(2030, 3, 11)


def test_at_the_course_maximum_the_next_step_is_the_follow_up():
    at_max = state(*cycle_one(HELD), medicine_sessions_max=1, medicine_sessions_min=1)
    assert course.next_step(at_max) == course.NextStep(
        "Follow-up: the course has had its maximum of medicine sessions.", F, False
    )


# -- 7. the typical course: warn, do not block ---------------------------------------------------------------


def long_course(appointments: int):
    """Assessment, then cycles of two preparations, a medicine session and an integration, weekly."""
    steps, day = [step(A, at(1, month=1))], datetime.timedelta(days=7)
    phases = [P, P, M, I]
    for n in range(appointments - 1):
        steps.append(step(phases[n % 4], at(1, month=1) + day * (n + 1)))
    return steps


def test_the_twentieth_appointment_is_typical():
    assert decide(state(*long_course(19), medicine_sessions_max=20), I, at(1, month=6)).warnings == []


def test_the_twenty_first_appointment_is_warned_about_but_allowed():
    steps = long_course(20)
    decision = decide(state(*steps, medicine_sessions_max=20), I, steps[-1].start + datetime.timedelta(days=7))
    assert decision.allowed
    assert decision.warnings == [
        "This makes 21 appointments in the course; a typical course is 5-20 (a warning, not a rule)."
    ]


def test_a_plan_past_eight_months_is_warned_about_but_allowed():
    decision = decide(state(*cycle_one()), F, at(1, month=12))
    assert decision.allowed
    assert decision.warnings == [
        "This takes the course past eight months from its first session; a typical "
        "course runs 6-8 months (a warning, not a rule)."
    ]
    assert decide(state(*cycle_one()), F, at(1, month=8)).warnings == []


# -- 8. follow-up after the last integration ----------------------------------------------------------------


def test_follow_up_refused_before_any_integration():
    assert decide(state(*plan((A, 1), (P, 3), (P, 6), (M, 10))), F, at(1)).reasons == [
        "Follow-up comes after integration; no integration session is booked before it."
    ]


def test_follow_up_refused_while_the_last_cycle_lacks_its_integrations():
    decision = decide(
        state(*cycle_one(), step(M, at(20, month=2)), step(I, at(1)), integration_min=2, preparation_min=0), F, at(5)
    )
    assert decision.reasons == [
        "Follow-up comes after the last cycle's integration: medicine session 2 has 1 of "
        "at least 2 integration sessions."
    ]


def test_follow_up_allowed_after_the_last_integration():
    assert decide(state(*cycle_one()), F, at(1)).allowed


def test_the_course_is_complete_once_its_follow_up_is_booked():
    finished = state(*cycle_one(), step(F, at(1)))
    assert course.next_step(finished) == course.NextStep("The course is complete: the follow-up is booked.", None, True)


# -- the plan and what was held --------------------------------------------------------------------------------


def test_cancelled_and_no_show_sessions_leave_the_plan():
    steps = [*plan((A, 1), (P, 3)), step(P, at(6, month=2), "cancelled"), step(P, at(7, month=2), "no_show")]
    assert decide(state(*steps), M, at(1)).reasons == [
        "Medicine session 1 needs at least 2 preparation sessions before it; 1 booked before it."
    ]


def test_out_of_order_names_the_booked_sessions_the_plan_no_longer_allows():
    steps = [*plan((A, 1), (P, 3)), step(P, at(6, month=2), "cancelled"), step(M, at(10, month=2))]
    medicine = steps[-1]
    assert course.out_of_order(state(*steps)) == {
        medicine.pk: ["Medicine session 1 needs at least 2 preparation sessions before it; 1 booked before it."]
    }
    assert course.out_of_order(state(*cycle_one())) == {}


def test_the_layout_puts_each_session_in_its_cycle():
    layout = course.course_layout(state(*cycle_one(HELD), *plan((P, 18), (M, 25))), now=at(1))
    assert [len(c.rows) for c in layout.cycles] == [4, 2]
    assert [c.state for c in layout.cycles] == ["integrating", "medicine booked"]
    assert layout.cycles[1].rows[-1].reasons  # one preparation only: out of order


def test_integration_follows_the_latest_medicine_session_before_it():
    steps = cycle_one()
    medicine, integration = steps[3], steps[4]
    assert course.integration_follows(state(*steps)) == {integration.pk: medicine.pk}


# -- the measure windows ------------------------------------------------------------------------------------


def test_measure_windows_of_each_phase():
    steps = [*cycle_one(), *plan((P, 18), (P, 19), (M, 24))]
    s = state(*steps)
    assessment, preparation_2, medicine_2, integration = steps[0], steps[5], steps[7], steps[4]
    assert course.measure_window(s, assessment) == course.Window(
        "baseline", None, datetime.date(2030, 2, 10), "baseline, before the first medicine session"
    )
    assert course.measure_window(s, preparation_2) == course.Window(
        "pre_medicine", datetime.date(2030, 2, 11), datetime.date(2030, 2, 24), "before medicine session 2"
    )
    assert course.measure_window(s, medicine_2).label == "before medicine session 2"
    assert course.measure_window(s, integration) == course.Window(
        "post_integration",
        datetime.date(2030, 2, 11),
        datetime.date(2030, 2, 24),
        "after integration of medicine session 1",
    )
    assert course.measure_window(state(*plan((A, 1))), step(I, at(2))) is None


def test_follow_up_windows_meet_halfway_between_the_intervals():
    s = state(*cycle_one(HELD), step(F, at(11)), medicine_sessions_min=1, follow_up_weeks=(4, 12))
    schedule = course.follow_up_schedule(s)
    assert not schedule.provisional
    assert [(slot.due_on, slot.window.first, slot.window.last) for slot in schedule.slots] == [
        (datetime.date(2030, 3, 11), datetime.date(2030, 2, 11), datetime.date(2030, 4, 8)),
        (datetime.date(2030, 5, 6), datetime.date(2030, 4, 9), None),
    ]
    assert schedule.slots[0].step is not None and schedule.slots[1].step is None


# -- the latest score -------------------------------------------------------------------------------------------


class Response:
    def __init__(self, pk, partner_id, instrument, day, recorded, score, context="pre_medicine"):
        self.pk, self.partner_id, self.instrument, self.score, self.context = pk, partner_id, instrument, score, context
        self.administered_on = datetime.date(2030, 3, day)
        self.recorded_at = at(day, recorded)


def test_the_latest_score_is_the_last_given_then_the_last_recorded():
    responses = [
        Response(3, 1, "PHQ9", 5, 9, 10),
        Response(1, 1, "PHQ9", 5, 12, 8),
        Response(2, 1, "PHQ9", 4, 15, 20),
        Response(4, 2, "PHQ9", 6, 9, 3, context="screening"),
    ]
    assert latest_response(responses[:3]).score == 8
    assert latest_responses(responses)[(1, "PHQ9")].pk == 1
    assert baseline_response(responses[:3]).pk == 2  # no screening response: the first
    s = course.CourseState(steps=(), responses=tuple(responses))
    assert s.latest_score(1, "PHQ9").pk == 1 and s.latest_score(2, "PHQ9").pk == 4
    assert s.latest_score(1, "GAD7") is None
    assert s.baseline_score(2, "PHQ9").context == "screening"
    assert BOOKED == "scheduled"


# -- when the course has ended (the couple's status follows it to Completed) -----------------------------------


def _through_integration():
    return plan((A, 1), (P, 3), (P, 6), (M, 10), (I, 11), (I, 18), status=HELD, month=1)


def test_course_is_finished_once_every_follow_up_of_the_plan_is_held():
    one = step(F, at(15, month=2), HELD)
    two = step(F, at(15, month=4), HELD)
    assert not course.course_finished(state(*_through_integration(), one, follow_up_weeks=(4, 12)))
    assert course.course_finished(state(*_through_integration(), one, two, follow_up_weeks=(4, 12)))


def test_course_is_not_finished_with_a_session_still_booked_or_without_any_follow_up():
    assert not course.course_finished(state(*_through_integration(), follow_up_weeks=()))
    held_one = step(F, at(15, month=2), HELD)
    assert course.course_finished(state(*_through_integration(), held_one, follow_up_weeks=()))
    booked = step(F, at(20, month=2), BOOKED)
    assert not course.course_finished(state(*_through_integration(), held_one, booked, follow_up_weeks=()))


def test_course_is_not_finished_before_any_medicine_session_or_with_another_cycle_planned():
    assert not course.course_finished(state(*plan((A, 1), (F, 3), status=HELD, month=1)))
    next_cycle = step(P, at(1, month=2), BOOKED)
    assert not course.course_finished(
        state(*_through_integration(), step(F, at(15, month=2), HELD), next_cycle, follow_up_weeks=(4,))
    )
