"""The protocol engine: the one place that knows the course of a couple (CLINICAL.md, The phased protocol).

A course is assessment first, then cycles of preparation -> medicine -> integration, then follow-up.
`decide()` answers "may a session of this phase happen at this time?" with reasons a clinician reads:

* Mode.PLAN (scheduling, rescheduling) looks at the plan: the couple's sessions in the calendar that are
  not cancelled and did not end in a no-show.
* Mode.DONE (starting, completing, documenting) looks only at what was actually completed.

Cycles are numbered by the order of medicine sessions: a preparation belongs to the cycle of the next
medicine session, an integration to the cycle of the medicine session before it.

The functions here are pure over a list of sessions and the clinic settings; they never read the database.
The prescriber's approval is not a protocol rule: the verbs in sessions.services ask dosing.gate for it
explicitly, once per operation, and refuse with the protocol's reasons and the gate's together.
"""

import datetime
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from django.utils import formats, timezone

from cases.choices import CoupleStatus
from sessions.choices import PLANNED_STATUSES, Phase, SessionStatus

TYPICAL_COURSE = (5, 20)  # appointments; CLINICAL.md: warn, do not block, outside it
CHECK_IN_OFFSETS = (
    (datetime.timedelta(hours=24), "24 h"),
    (datetime.timedelta(hours=72), "72 h"),
    (datetime.timedelta(days=7), "1 week"),
)
CHECK_IN_TOLERANCE = datetime.timedelta(hours=12)


class Mode(enum.Enum):
    PLAN = "plan"
    DONE = "done"


class SessionLike(Protocol):
    pk: object
    phase: str
    start: datetime.datetime
    status: str


class Limits(Protocol):
    """The clinic settings the protocol reads (clinic.models.ClinicSettings)."""

    preparation_min: int
    preparation_max: int
    integration_min: int
    medicine_sessions_min: int
    medicine_sessions_max: int
    days_between_medicine: int


@dataclass
class Decision:
    """The protocol's answer: allowed or not, with every reason, plus warnings that do not block."""

    allowed: bool
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.allowed


# -- helpers ------------------------------------------------------------------------------------------


def local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def day_label(moment: datetime.datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "j M Y")


def moment_label(moment: datetime.datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "j M Y, H:i")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def counted(sessions: Iterable[SessionLike], mode: Mode, *, exclude=None) -> list[SessionLike]:
    """The sessions a decision stands on, in time order: the plan, or what was completed."""
    statuses = PLANNED_STATUSES if mode is Mode.PLAN else (SessionStatus.COMPLETED,)
    chosen = [s for s in sessions if s.status in statuses and (exclude is None or s.pk != exclude)]
    return sorted(chosen, key=lambda s: (s.start, s.pk or 0))


def cycle_of(phase: str, start: datetime.datetime, medicines: Sequence[SessionLike]) -> int:
    """The cycle a session at this time belongs to, given the medicine sessions in time order (0: none)."""
    before = sum(1 for m in medicines if m.start < start)
    if phase in (Phase.PREPARATION, Phase.MEDICINE):
        return before + 1
    if phase == Phase.INTEGRATION:
        return before
    return 0


# -- the decision -------------------------------------------------------------------------------------


def decide(*, couple, sessions: Iterable[SessionLike], phase: str, start: datetime.datetime, mode: Mode,
           limits: Limits, exclude=None) -> Decision:
    """May a session of `phase` at `start` happen for this couple? `exclude` is the session being decided."""
    basis = counted(sessions, mode, exclude=exclude)
    before = [s for s in basis if s.start < start]
    medicines = [s for s in basis if s.phase == Phase.MEDICINE]
    medicines_before = [s for s in before if s.phase == Phase.MEDICINE]
    previous = medicines_before[-1] if medicines_before else None
    since_previous = [s for s in before if previous is None or s.start > previous.start]
    done = mode is Mode.DONE
    word = "completed " if done else ""
    so_far = "so far" if done else "booked before it"
    reasons: list[str] = []
    warnings: list[str] = []

    def count(items, wanted):
        return sum(1 for s in items if s.phase == wanted)

    assessments = count(before, Phase.ASSESSMENT)

    if phase == Phase.ASSESSMENT:
        first_cycle = next((s for s in before if s.phase != Phase.ASSESSMENT), None)
        if first_cycle is not None:
            reasons.append(f"Assessment comes first: this couple's course has moved on "
                           f"({Phase(first_cycle.phase).label.lower()} on {day_label(first_cycle.start)}).")

    elif phase == Phase.PREPARATION:
        k = len(medicines_before) + 1
        if assessments == 0:
            reasons.append(f"Preparation comes after assessment: no {word}assessment session "
                           f"{'yet' if done else 'is booked before it'}.")
        if previous is not None and count(since_previous, Phase.INTEGRATION) == 0:
            reasons.append(f"Preparation for cycle {k} comes after integration of medicine session {k - 1}; "
                           f"no {word}integration session since it {'yet' if done else 'is booked'}.")
        in_cycle = sum(1 for s in basis if s.phase == Phase.PREPARATION and cycle_of(s.phase, s.start, medicines) == k)
        if in_cycle >= limits.preparation_max:
            reasons.append(f"Cycle {k} already has {_plural(in_cycle, word + 'preparation session')}; "
                           f"the maximum is {limits.preparation_max} before each medicine session.")

    elif phase == Phase.MEDICINE:
        k = len(medicines_before) + 1
        if couple is not None and couple.status != CoupleStatus.ACTIVE:
            reasons.append(f"Medicine sessions are for couples in active treatment; this couple is "
                           f"{CoupleStatus(couple.status).label.lower()}.")
        if k > limits.medicine_sessions_max:
            reasons.append(f"This would be medicine session {k}; the course maximum is "
                           f"{limits.medicine_sessions_max} (going past it needs a new prescriber approval).")
        if assessments == 0:
            reasons.append(f"Medicine session {k} needs a {word}assessment session first; none {so_far}.")
        preparations = count(since_previous, Phase.PREPARATION)
        if preparations < limits.preparation_min:
            since = f"since medicine session {k - 1}" if previous is not None else "before it"
            reasons.append(f"Medicine session {k} needs at least {_plural(limits.preparation_min, word + 'preparation session')} "
                           f"{since}; {preparations} {so_far}.")
        if previous is not None:
            integrations = count(since_previous, Phase.INTEGRATION)
            if integrations < limits.integration_min:
                reasons.append(f"Medicine session {k} needs at least "
                               f"{_plural(limits.integration_min, word + 'integration session')} after medicine "
                               f"session {k - 1}; {integrations} {so_far}.")
            gap = (local_date(start) - local_date(previous.start)).days
            if gap < limits.days_between_medicine:
                reasons.append(f"Medicine session {k} must be at least {limits.days_between_medicine} days after "
                               f"medicine session {k - 1} ({day_label(previous.start)}); this is "
                               f"{_plural(gap, 'day')} after.")
        following = next((m for m in medicines if m.start >= start), None)
        if following is not None:
            gap = (local_date(following.start) - local_date(start)).days
            if gap < limits.days_between_medicine:
                reasons.append(f"The next medicine session ({day_label(following.start)}) would be only "
                               f"{_plural(gap, 'day')} after this one; at least {limits.days_between_medicine} "
                               f"are needed between two.")

    elif phase == Phase.INTEGRATION:
        if previous is None:
            reasons.append(f"An integration session follows a medicine session; no {word}medicine session "
                           f"{'yet' if done else 'is booked before it'}.")

    elif phase == Phase.FOLLOW_UP:
        if count(before, Phase.INTEGRATION) == 0:
            reasons.append(f"Follow-up comes after integration; no {word}integration session "
                           f"{'yet' if done else 'is booked before it'}.")
        elif previous is not None:
            integrations = count(since_previous, Phase.INTEGRATION)
            if integrations < limits.integration_min:
                reasons.append(f"Follow-up comes after the last cycle's integration: medicine session "
                               f"{len(medicines_before)} has {integrations} of at least "
                               f"{_plural(limits.integration_min, word + 'integration session')}.")
    else:
        reasons.append("Unknown phase.")

    if mode is Mode.PLAN:
        total = len(basis) + 1
        if total > TYPICAL_COURSE[1]:
            warnings.append(f"This makes {total} appointments in the course; a typical course is "
                            f"{TYPICAL_COURSE[0]}-{TYPICAL_COURSE[1]} (a warning, not a rule).")
    return Decision(allowed=not reasons, reasons=reasons, warnings=warnings)


def decide_session(session, *, sessions: Iterable[SessionLike], mode: Mode, limits: Limits) -> Decision:
    """decide() for an existing session at its own time, standing on the couple's other sessions."""
    return decide(couple=session.couple, sessions=sessions, phase=session.phase, start=session.start, mode=mode,
                  limits=limits, exclude=session.pk)


def out_of_order(*, couple, sessions: Sequence[SessionLike], limits: Limits,
                 after: datetime.datetime | None = None) -> dict[object, list[str]]:
    """The couple's scheduled sessions (optionally only those from `after`) that the plan no longer allows."""
    found = {}
    for session in sessions:
        if session.status != SessionStatus.SCHEDULED or (after is not None and session.start < after):
            continue
        decision = decide(couple=couple, sessions=sessions, phase=session.phase, start=session.start,
                          mode=Mode.PLAN, limits=limits, exclude=session.pk)
        if not decision.allowed:
            found[session.pk] = decision.reasons
    return found


# -- the course, for the timeline and the dashboards -------------------------------------------------


@dataclass
class Cycle:
    number: int
    sessions: list = field(default_factory=list)
    medicine: object = None

    @property
    def state(self) -> str:
        if self.medicine is None:
            return "preparing"
        if self.medicine.status == SessionStatus.COMPLETED:
            return "integrating"
        return "medicine booked"


@dataclass
class Suggestion:
    """A session the protocol proposes for the therapist to accept (book) with one click."""

    phase: str
    start: datetime.datetime
    label: str
    anchor: object  # the session whose therapist and place the suggestion reuses

    @property
    def phase_label(self) -> str:
        return Phase(self.phase).label


@dataclass
class Course:
    """A couple's sessions laid out as the protocol sees them, with what comes next."""

    assessment: list
    cycles: list[Cycle]
    follow_up: list
    next_step: str
    next_phase: str | None
    finished: bool
    upcoming: object  # the next scheduled session, if any
    suggestions: list[Suggestion]
    out_of_order: dict

    @property
    def due(self) -> bool:
        """The next step is not booked yet."""
        return not self.finished and self.upcoming is None


def _next_step(plan: list, limits: Limits) -> tuple[str, str | None, bool]:
    medicines = [s for s in plan if s.phase == Phase.MEDICINE]
    if not any(s.phase == Phase.ASSESSMENT for s in plan):
        return "Book an assessment session.", Phase.ASSESSMENT, False
    if medicines:
        last = medicines[-1]
        after = [s for s in plan if s.start > last.start]
        if any(s.phase == Phase.FOLLOW_UP for s in after):
            return "The course is complete: the follow-up is booked.", None, True
        integrations = sum(1 for s in after if s.phase == Phase.INTEGRATION)
        n = len(medicines)
        if integrations < limits.integration_min:
            return (f"Integration after medicine session {n} ({integrations} of at least {limits.integration_min}).",
                    Phase.INTEGRATION, False)
        preparations = sum(1 for s in after if s.phase == Phase.PREPARATION)
        if preparations == 0:
            if n >= limits.medicine_sessions_max:
                return "Follow-up: the course has had its maximum of medicine sessions.", Phase.FOLLOW_UP, False
            if n >= limits.medicine_sessions_min:
                return (f"Preparation for cycle {n + 1}, or a follow-up if the course ends here "
                        f"({n} medicine sessions so far).", Phase.PREPARATION, False)
            return f"Preparation for cycle {n + 1}.", Phase.PREPARATION, False
        cycle, done_preparations = n + 1, preparations
    else:
        cycle = 1
        done_preparations = sum(1 for s in plan if s.phase == Phase.PREPARATION)
    if done_preparations < limits.preparation_min:
        return (f"Preparation session {done_preparations + 1} of cycle {cycle} "
                f"(at least {limits.preparation_min} before medicine session {cycle}).", Phase.PREPARATION, False)
    if done_preparations < limits.preparation_max:
        return (f"Medicine session {cycle}, or one more preparation (up to {limits.preparation_max}).",
                Phase.MEDICINE, False)
    return f"Medicine session {cycle}.", Phase.MEDICINE, False


def course_build(*, couple, sessions: Sequence, limits: Limits, now: datetime.datetime | None = None) -> Course:
    """Lay out a couple's sessions (all statuses, already loaded) by cycle, with the next step and suggestions."""
    now = now or timezone.now()
    ordered = sorted(sessions, key=lambda s: (s.start, s.pk or 0))
    plan = counted(ordered, Mode.PLAN)
    medicines = [s for s in plan if s.phase == Phase.MEDICINE]
    assessment, follow_up = [], []
    cycles = {i + 1: Cycle(number=i + 1, medicine=m) for i, m in enumerate(medicines)}
    for session in ordered:
        if session.phase == Phase.ASSESSMENT:
            assessment.append(session)
            continue
        if session.phase == Phase.FOLLOW_UP:
            follow_up.append(session)
            continue
        number = max(cycle_of(session.phase, session.start, medicines), 1)
        cycles.setdefault(number, Cycle(number=number)).sessions.append(session)
    disorder = out_of_order(couple=couple, sessions=ordered, limits=limits)
    for session in ordered:
        session.protocol_reasons = disorder.get(session.pk, [])
    next_step, next_phase, finished = _next_step(plan, limits)
    upcoming = next((s for s in plan if s.status == SessionStatus.SCHEDULED and s.start >= now), None)
    suggestions = [
        s for s in _suggest(plan, next_phase, now)
        if decide(couple=couple, sessions=plan, phase=s.phase, start=s.start, mode=Mode.PLAN, limits=limits).allowed
    ]
    return Course(
        assessment=assessment, cycles=[cycles[k] for k in sorted(cycles)], follow_up=follow_up,
        next_step=next_step, next_phase=next_phase, finished=finished, upcoming=upcoming,
        suggestions=suggestions, out_of_order=disorder,
    )


def _suggest(plan: list, next_phase: str | None, now: datetime.datetime) -> list[Suggestion]:
    suggestions = []
    medicines = [s for s in plan if s.phase == Phase.MEDICINE]
    if medicines:
        last = medicines[-1]
        n = len(medicines)
        integrations = [s for s in plan if s.phase == Phase.INTEGRATION]
        next_cycle = next((s.start for s in plan if s.phase == Phase.PREPARATION and s.start > last.start), None)
        for offset, label in CHECK_IN_OFFSETS:
            when = timezone.localtime(last.start) + offset  # wall-clock time: a check-in keeps its hour over DST
            booked = any(abs(s.start - when) <= CHECK_IN_TOLERANCE for s in integrations)
            moved_on = next_cycle is not None and next_cycle <= when
            if when > now and not booked and not moved_on:
                suggestions.append(Suggestion(Phase.INTEGRATION, when,
                                              f"Integration check-in {label} after medicine session {n}", last))
    if next_phase in (Phase.PREPARATION, Phase.ASSESSMENT) and plan:
        last = plan[-1]
        when = timezone.localtime(last.start) + datetime.timedelta(days=7)
        while when <= now:
            when += datetime.timedelta(days=7)
        suggestions.append(Suggestion(next_phase, when, f"{Phase(next_phase).label}, a week after the last session",
                                      last))
    return suggestions
