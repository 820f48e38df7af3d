"""Properties of the course rules, tried by Hypothesis on plain values (no database): however sessions are booked,
a course made only of allowed steps is one the protocol (CLINICAL.md, "The phased protocol") permits.

`forbidden()` states the protocol a second time, independently of sessions.course, as a reader of CLINICAL.md
would check a finished calendar by hand.
"""

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from sessions import course
from sessions.course import Limits, Mode
from sessions.tests.course_helpers import TZ, A, F, I, M, P, at, state, step

PHASES = st.sampled_from([A, P, P, M, M, I, I, F])  # weighted so that courses reach several cycles
LIMITS = st.builds(
    lambda pmin, extra, imin, mmax, days: Limits(
        preparation_min=pmin,
        preparation_max=pmin + extra,
        integration_min=imin,
        medicine_sessions_min=1,
        medicine_sessions_max=mmax,
        days_between_medicine=days,
    ),
    st.integers(1, 3),
    st.integers(0, 2),
    st.integers(1, 2),
    st.integers(1, 4),
    st.integers(0, 10),
)


def forbidden(steps, limits: Limits, maximum: int) -> list[str]:
    """What a planned course (steps in time order) does against the protocol; empty when it is a course it allows."""
    found = []
    seen_other = False
    medicines = [s for s in steps if s.phase == M]
    for s in steps:
        if s.phase == A and seen_other:
            found.append("an assessment after the course moved on")
        seen_other = seen_other or s.phase != A
    if steps and steps[0].phase != A:
        found.append("the course does not start with an assessment")
    if len(medicines) > maximum:
        found.append("more medicine sessions than the course maximum")
    bounds = [None, *medicines, None]
    for k in range(1, len(bounds)):
        low, high = bounds[k - 1], bounds[k]
        between = [s for s in steps if (low is None or s.start > low.start) and (high is None or s.start < high.start)]
        preparations = sum(1 for s in between if s.phase == P)
        if preparations > limits.preparation_max:
            found.append(f"cycle {k} has more preparations than the maximum")
        if high is not None and preparations < limits.preparation_min:
            found.append(f"medicine session {k} has fewer preparations than the minimum")
        if low is not None and high is not None and sum(1 for s in between if s.phase == I) < limits.integration_min:
            found.append(f"medicine session {k} comes before medicine session {k - 1} has its integrations")
        if low is not None:
            for s in between:
                if s.phase == P and not any(i.phase == I and low.start < i.start < s.start for i in between):
                    found.append(f"a preparation of cycle {k} before the integration of medicine session {k - 1}")
    for earlier, later in zip(medicines, medicines[1:], strict=False):
        if (
            later.start.astimezone(TZ).date() - earlier.start.astimezone(TZ).date()
        ).days < limits.days_between_medicine:
            found.append("two medicine sessions too close together")
    for s in steps:
        before = [m for m in medicines if m.start < s.start]
        if s.phase == I and not before:
            found.append("an integration with no medicine session before it")
        if s.phase == F:
            if not any(i.phase == I and i.start < s.start for i in steps):
                found.append("a follow-up before any integration")
            elif (
                before
                and sum(1 for i in steps if i.phase == I and before[-1].start < i.start < s.start)
                < limits.integration_min
            ):
                found.append("a follow-up before the last cycle's integrations")
    return found


def apply_allowed(course_state, attempts):
    """Book each attempted (phase, start) that the course allows at that moment; return the resulting course."""
    for phase, start in attempts:
        if course.decide(course_state, phase=phase, start=start, mode=Mode.PLAN).allowed:
            course_state = course.with_step(course_state, step(phase, start))
    return course_state


@st.composite
def in_time_order(draw):
    """Sessions booked one after another, each a few days (and hours) after the one before."""
    moments, moment = [], at(1, month=1)
    for _ in range(draw(st.integers(0, 40))):
        moment = moment + datetime.timedelta(days=draw(st.integers(0, 9)), hours=draw(st.integers(1, 23)))
        moments.append((draw(PHASES), moment))
    return moments


@st.composite
def in_any_order(draw):
    """Sessions booked in any order over a year (including across both daylight-saving changes)."""
    return [
        (
            draw(PHASES),
            at(1, month=1) + datetime.timedelta(days=draw(st.integers(0, 364)), hours=draw(st.integers(0, 23))),
        )
        for _ in range(draw(st.integers(0, 40)))
    ]


@settings(max_examples=300, deadline=None)
@given(limits=LIMITS, attempts=in_time_order())
def test_booking_only_allowed_steps_in_time_order_never_gives_a_forbidden_course(limits, attempts):
    result = apply_allowed(state(**vars(limits)), attempts)
    assert forbidden(list(result.steps), limits, result.medicine_maximum) == []
    assert course.out_of_order(result) == {}


@settings(max_examples=300, deadline=None)
@given(limits=LIMITS, attempts=in_any_order())
def test_a_course_of_allowed_steps_with_nothing_out_of_order_is_one_the_protocol_allows(limits, attempts):
    """Booked in any order, a step can put a later one out of order; the course says so. When it names none, the
    whole course keeps the protocol."""
    result = apply_allowed(state(**vars(limits)), attempts)
    if course.out_of_order(result) == {}:
        assert forbidden(list(result.steps), limits, result.medicine_maximum) == []


@settings(max_examples=200, deadline=None)
@given(limits=LIMITS, attempts=in_time_order(), raised=st.integers(0, 3))
def test_the_allowed_maximum_is_never_passed(limits, attempts, raised):
    result = apply_allowed(state(allowed=limits.medicine_sessions_max + raised, **vars(limits)), attempts)
    assert sum(1 for s in result.steps if s.phase == M) <= limits.medicine_sessions_max + raised


@settings(max_examples=200, deadline=None)
@given(limits=LIMITS, attempts=in_time_order())
def test_the_next_step_named_is_one_the_course_allows(limits, attempts):
    """Whatever the course, the phase the timeline asks for next can be booked a week after the last session
    (or an integration check-in), unless the protocol's interval or maximum stands in the way."""
    result = apply_allowed(state(**vars(limits)), attempts)
    nxt = course.next_step(result)
    if nxt.phase is None:
        assert nxt.finished
        return
    last = result.steps[-1].start if result.steps else at(1, month=1)
    decision = course.decide(result, phase=nxt.phase, start=last + datetime.timedelta(days=40), mode=Mode.PLAN)
    if nxt.phase != M:
        assert decision.allowed, (nxt, decision.reasons)
