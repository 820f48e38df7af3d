"""The course of a couple as one value (CLINICAL.md, The phased protocol).

A course is assessment first, then cycles of preparation -> medicine -> integration, then follow-up.
`course_state_build` reads a couple's sessions once into a frozen `CourseState`; everything else here is a pure
function of that value: whether a session of a phase may happen at a time and every reason it may not
(`decide`), the sessions the plan no longer allows (`out_of_order`), the cycles and the next step
(`course_layout`, `next_step`), the measurement windows (`measure_window`), the follow-up plan
(`follow_up_schedule`) and which medicine session an integration follows (`integration_follows`).

* Mode.PLAN (scheduling, rescheduling) stands on the plan: sessions that count in it (`counts_in_plan`).
* Mode.DONE (starting, completing, documenting) stands only on what was held (`was_held`).

Cycles are numbered by the order of medicine sessions: a preparation belongs to the cycle of the next medicine
session, an integration to the cycle of the medicine session before it.

The prescriber's gate is not decided here: these are the protocol's rules only. The service that books, moves or
completes a medicine session calls the gate itself, once, and adds its reasons to the protocol's.
"""

import datetime
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.utils import formats, timezone

from cases.choices import CoupleStatus
from cases.scores import baseline_response, latest_responses
from sessions.choices import PLANNED_STATUSES, POINT_CONTEXT, MeasurePoint, Phase, SessionStatus

TYPICAL_COURSE = (5, 20)  # appointments; CLINICAL.md: warn, do not block, outside it
TYPICAL_COURSE_DAYS = 8 * 31  # "over 6-8 months": a plan reaching past eight months is warned about
CHECK_IN_OFFSETS = (
    (datetime.timedelta(hours=24), "24 h"),
    (datetime.timedelta(hours=72), "72 h"),
    (datetime.timedelta(days=7), "1 week"),
)
CHECK_IN_TOLERANCE = datetime.timedelta(hours=12)


class Mode(enum.Enum):
    PLAN = "plan"
    DONE = "done"


# -- what a status means to the course: the one place that knows ---------------------------------------------


def counts_in_plan(status: str) -> bool:
    """A session that holds its place in the plan: still ahead, under way, or held (not cancelled, no-show)."""
    return status in PLANNED_STATUSES


def was_held(status: str) -> bool:
    """A session that took place and is finished."""
    return status == SessionStatus.COMPLETED


def is_ahead(status: str) -> bool:
    """A session still on the calendar, whose fit with the plan is re-checked after every change."""
    return status == SessionStatus.SCHEDULED


# -- the value ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One session as the course sees it. `dosed`: a dose was given in it (it then counts for the interval
    between medicine sessions whatever its status). `ref` is the row it stands for, for pages to link to."""

    pk: object
    phase: str
    start: datetime.datetime
    status: str = SessionStatus.SCHEDULED
    dosed: bool = False
    ref: object = field(default=None, compare=False, repr=False)

    @property
    def session(self):
        return self.ref


@dataclass(frozen=True)
class Limits:
    """The clinic settings the protocol reads (clinic.models.ClinicSettings); defaults are CLINICAL.md's."""

    preparation_min: int = 2
    preparation_max: int = 3
    integration_min: int = 1
    medicine_sessions_min: int = 2
    medicine_sessions_max: int = 8
    days_between_medicine: int = 7
    follow_up_weeks: tuple[int, ...] = ()

    @classmethod
    def of(cls, settings) -> "Limits":
        """The limits of the clinic settings row."""
        return cls(
            preparation_min=settings.preparation_min,
            preparation_max=settings.preparation_max,
            integration_min=settings.integration_min,
            medicine_sessions_min=settings.medicine_sessions_min,
            medicine_sessions_max=settings.medicine_sessions_max,
            days_between_medicine=settings.days_between_medicine,
            follow_up_weeks=tuple(settings.follow_up_week_list),
        )


@dataclass(frozen=True)
class CourseState:
    """A couple's course: its sessions in time order and the facts the rules stand on.

    `medicine_sessions_allowed` is the course maximum of medicine sessions for this couple: the clinic's maximum
    unless a prescriber approval allows more (None: the clinic's)."""

    steps: tuple[Step, ...]
    limits: Limits = Limits()
    tz: datetime.tzinfo = datetime.UTC
    couple_status: str | None = CoupleStatus.ACTIVE
    medicine_sessions_allowed: int | None = None
    responses: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "steps", tuple(sorted(self.steps, key=lambda s: (s.start, _pk_order(s.pk)))))

    @property
    def medicine_maximum(self) -> int:
        if self.medicine_sessions_allowed is None:
            return self.limits.medicine_sessions_max
        return self.medicine_sessions_allowed

    def local_date(self, moment: datetime.datetime) -> datetime.date:
        """The clinic's calendar day of an instant."""
        return moment.astimezone(self.tz).date()

    def local(self, moment: datetime.datetime) -> datetime.datetime:
        return moment.astimezone(self.tz)

    def day_label(self, moment: datetime.datetime) -> str:
        return formats.date_format(self.local(moment), "j M Y")

    def basis(self, mode: Mode, *, exclude=None) -> list[Step]:
        """The sessions a decision stands on, in time order: the plan, or what was held."""
        wanted = counts_in_plan if mode is Mode.PLAN else was_held
        return [s for s in self.steps if wanted(s.status) and (exclude is None or s.pk != exclude)]

    @property
    def plan(self) -> list[Step]:
        return self.basis(Mode.PLAN)

    def step_of(self, session) -> Step | None:
        return next((s for s in self.steps if s.pk == session.pk), None)

    def latest_score(self, partner_id, instrument: str):
        """The partner's latest response of this instrument among the responses the state was built with."""
        return latest_responses(self.responses).get((partner_id, instrument))

    def baseline_score(self, partner_id, instrument: str):
        return baseline_response(r for r in self.responses if r.partner_id == partner_id and r.instrument == instrument)


def _pk_order(pk) -> tuple:
    return (pk is not None, pk if isinstance(pk, int) else 0)


def step_of_session(session, *, dosed: bool = False) -> Step:
    """The step a session row stands for."""
    return Step(
        pk=session.pk,
        phase=session.phase,
        start=session.start,
        status=session.status,
        dosed=bool(getattr(session, "dosed", dosed)),
        ref=session,
    )


def course_state_build(
    *,
    couple,
    sessions: Iterable | None = None,
    settings=None,
    medicine_sessions_allowed: int | None = None,
    responses: Iterable = (),
) -> CourseState:
    """The couple's course from its session rows (queried here with whether each had a dose, unless given) and
    the clinic settings, in the clinic's time zone."""
    if settings is None:
        from clinic.services import clinic_settings_get

        settings = clinic_settings_get()
    if sessions is None:
        sessions = course_sessions(couple_id=couple.pk)
    return CourseState(
        steps=tuple(step_of_session(s) for s in sessions),
        limits=Limits.of(settings),
        tz=timezone.get_current_timezone(),
        couple_status=couple.status if couple else None,
        medicine_sessions_allowed=medicine_sessions_allowed,
        responses=tuple(responses),
    )


def course_sessions(*, couple_id, select_related: Sequence[str] = ()) -> list:
    """A couple's session rows in time order, each with `dosed` (any dose given in it), in one query."""
    from django.apps import apps
    from django.db.models import Exists, OuterRef

    from sessions.models import TherapySession

    administration = apps.get_model("dosing", "Administration")
    return list(
        TherapySession.objects.filter(couple_id=couple_id)
        .select_related(*select_related)
        .annotate(dosed=Exists(administration.objects.filter(session_id=OuterRef("pk"))))
        .order_by("start", "id")
    )


# -- the decision ---------------------------------------------------------------------------------------------


@dataclass
class Decision:
    """The protocol's answer: allowed or not, with every reason, plus warnings that do not block."""

    allowed: bool
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.allowed

    def adding(self, reasons: Sequence[str]) -> "Decision":
        """This decision with more reasons (the gate's) appended."""
        reasons = [*self.reasons, *reasons]
        return Decision(allowed=not reasons, reasons=reasons, warnings=list(self.warnings))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def cycle_of(phase: str, start: datetime.datetime, medicines: Sequence[Step]) -> int:
    """The cycle a session at this time belongs to, given the medicine sessions in time order (0: none)."""
    before = sum(1 for m in medicines if m.start < start)
    if phase in (Phase.PREPARATION, Phase.MEDICINE):
        return before + 1
    if phase == Phase.INTEGRATION:
        return before
    return 0


def _past_maximum_reason(state: CourseState, k: int) -> str:
    clinic_maximum = state.limits.medicine_sessions_max
    if state.medicine_maximum > clinic_maximum:
        extra = state.medicine_maximum - clinic_maximum
        return (
            f"This would be medicine session {k}; the course maximum is {clinic_maximum} and the prescriber's "
            f"current approval allows {extra} more, {state.medicine_maximum} in all. Going further needs a new "
            "prescriber approval that allows more medicine sessions past the course maximum."
        )
    return (
        f"This would be medicine session {k}; the course maximum is {state.medicine_maximum} (going past it needs "
        "a new prescriber approval that allows medicine sessions past the course maximum)."
    )


def decide(state: CourseState, *, phase: str, start: datetime.datetime, mode: Mode, exclude=None) -> Decision:
    """May a session of `phase` at `start` happen in this course? `exclude` is the session being decided."""
    basis = state.basis(mode, exclude=exclude)
    limits = state.limits
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
            reasons.append(
                f"Assessment comes first: this couple's course has moved on "
                f"({Phase(first_cycle.phase).label.lower()} on {state.day_label(first_cycle.start)})."
            )

    elif phase == Phase.PREPARATION:
        k = len(medicines_before) + 1
        if assessments == 0:
            reasons.append(
                f"Preparation comes after assessment: no {word}assessment session "
                f"{'yet' if done else 'is booked before it'}."
            )
        if previous is not None and count(since_previous, Phase.INTEGRATION) == 0:
            reasons.append(
                f"Preparation for cycle {k} comes after integration of medicine session {k - 1}; "
                f"no {word}integration session since it {'yet' if done else 'is booked'}."
            )
        in_cycle = sum(1 for s in basis if s.phase == Phase.PREPARATION and cycle_of(s.phase, s.start, medicines) == k)
        if in_cycle >= limits.preparation_max:
            reasons.append(
                f"Cycle {k} already has {_plural(in_cycle, word + 'preparation session')}; "
                f"the maximum is {limits.preparation_max} before each medicine session."
            )

    elif phase == Phase.MEDICINE:
        k = len(medicines_before) + 1
        if state.couple_status is not None and state.couple_status != CoupleStatus.ACTIVE:
            reasons.append(
                f"Medicine sessions are for couples in active treatment; this couple is "
                f"{CoupleStatus(state.couple_status).label.lower()}."
            )
        if k > state.medicine_maximum:
            reasons.append(_past_maximum_reason(state, k))
        if assessments == 0:
            reasons.append(f"Medicine session {k} needs a {word}assessment session first; none {so_far}.")
        preparations = count(since_previous, Phase.PREPARATION)
        # A medicine session in which a dose was given closed its cycle whatever its status.
        boundary = max(
            [s.start for s in medicines_before]
            + [s.start for s in state.steps if s.phase == Phase.MEDICINE and s.dosed and s.start < start],
            default=None,
        )
        in_cycle = sum(1 for s in before if s.phase == Phase.PREPARATION and (boundary is None or s.start > boundary))
        if in_cycle > limits.preparation_max:
            reasons.append(
                f"Cycle {k} would have {_plural(in_cycle, word + 'preparation session')} before medicine "
                f"session {k}; the maximum is {limits.preparation_max}."
            )
        following = next((s for s in medicines if s.start >= start), None)
        if following is not None:
            # The sessions between this one and the next medicine session become the next cycle's preparations.
            between = sum(1 for s in basis if s.phase == Phase.PREPARATION and start < s.start < following.start)
            if between > limits.preparation_max:
                reasons.append(
                    f"Medicine session {k + 1} ({state.day_label(following.start)}) would then have "
                    f"{_plural(between, word + 'preparation session')} in its cycle; the maximum is "
                    f"{limits.preparation_max}."
                )
        if preparations < limits.preparation_min:
            since = f"since medicine session {k - 1}" if previous is not None else "before it"
            reasons.append(
                f"Medicine session {k} needs at least "
                f"{_plural(limits.preparation_min, word + 'preparation session')} {since}; "
                f"{preparations} {so_far}."
            )
        if previous is not None:
            integrations = count(since_previous, Phase.INTEGRATION)
            if integrations < limits.integration_min:
                reasons.append(
                    f"Medicine session {k} needs at least "
                    f"{_plural(limits.integration_min, word + 'integration session')} after medicine "
                    f"session {k - 1}; {integrations} {so_far}."
                )
        reasons.extend(_interval_reasons(state, basis, start=start, k=k, exclude=exclude))

    elif phase == Phase.INTEGRATION:
        if previous is None:
            reasons.append(
                f"An integration session follows a medicine session; no {word}medicine session "
                f"{'yet' if done else 'is booked before it'}."
            )

    elif phase == Phase.FOLLOW_UP:
        if count(before, Phase.INTEGRATION) == 0:
            reasons.append(
                f"Follow-up comes after integration; no {word}integration session "
                f"{'yet' if done else 'is booked before it'}."
            )
        elif previous is not None:
            integrations = count(since_previous, Phase.INTEGRATION)
            if integrations < limits.integration_min:
                reasons.append(
                    f"Follow-up comes after the last cycle's integration: medicine session "
                    f"{len(medicines_before)} has {integrations} of at least "
                    f"{_plural(limits.integration_min, word + 'integration session')}."
                )
    else:
        reasons.append("Unknown phase.")

    if mode is Mode.PLAN:
        warnings.extend(_typical_course_warnings(basis, start))
    return Decision(allowed=not reasons, reasons=reasons, warnings=warnings)


def _interval_reasons(state: CourseState, basis: list[Step], *, start: datetime.datetime, k: int, exclude) -> list[str]:
    """The days between two medicine sessions, counted on the clinic's calendar. A medicine session in which a
    dose was given counts whatever its status; the others count while they are in the basis."""
    gap_days = state.limits.days_between_medicine
    in_basis = {s.pk for s in basis}
    spaced = [
        s
        for s in state.steps
        if s.phase == Phase.MEDICINE and (exclude is None or s.pk != exclude) and (s.pk in in_basis or s.dosed)
    ]
    planned = [s for s in basis if s.phase == Phase.MEDICINE and s.start < start]
    prior = next((s for s in reversed(spaced) if s.start < start), None)
    following = next((s for s in spaced if s.start >= start), None)
    reasons = []
    if prior is not None:
        gap = (state.local_date(start) - state.local_date(prior.start)).days
        if gap < gap_days:
            which = (
                f"medicine session {k - 1}"
                if planned and planned[-1].pk == prior.pk
                else "the medicine session in which a dose was given"
            )
            reasons.append(
                f"Medicine session {k} must be at least {gap_days} days after {which} "
                f"({state.day_label(prior.start)}); this is {_plural(gap, 'day')} after."
            )
    if following is not None:
        gap = (state.local_date(following.start) - state.local_date(start)).days
        if gap < gap_days:
            reasons.append(
                f"The next medicine session ({state.day_label(following.start)}) would be only "
                f"{_plural(gap, 'day')} after this one; at least {gap_days} are needed between two."
            )
    return reasons


def _typical_course_warnings(basis: list[Step], start: datetime.datetime) -> list[str]:
    warnings = []
    total = len(basis) + 1
    if total > TYPICAL_COURSE[1]:
        warnings.append(
            f"This makes {total} appointments in the course; a typical course is "
            f"{TYPICAL_COURSE[0]}-{TYPICAL_COURSE[1]} (a warning, not a rule)."
        )
    first = min([s.start for s in basis] + [start])
    if (max([s.start for s in basis] + [start]) - first).days > TYPICAL_COURSE_DAYS:
        warnings.append(
            "This takes the course past eight months from its first session; a typical course runs "
            "6-8 months (a warning, not a rule)."
        )
    return warnings


def decide_step(state: CourseState, step: Step, *, mode: Mode) -> Decision:
    """decide() for a session already in the course, at its own time, standing on the others."""
    return decide(state, phase=step.phase, start=step.start, mode=mode, exclude=step.pk)


def out_of_order(state: CourseState, *, after: datetime.datetime | None = None) -> dict[object, list[str]]:
    """The sessions still ahead (optionally only those from `after`) that the plan no longer allows."""
    found = {}
    for step in state.steps:
        if not is_ahead(step.status) or (after is not None and step.start < after):
            continue
        decision = decide(state, phase=step.phase, start=step.start, mode=Mode.PLAN, exclude=step.pk)
        if not decision.allowed:
            found[step.pk] = decision.reasons
    return found


def with_step(state: CourseState, step: Step) -> CourseState:
    """The course with this step added, or replacing the step of the same pk."""
    others = tuple(s for s in state.steps if step.pk is None or s.pk != step.pk)
    return CourseState(
        steps=(*others, step),
        limits=state.limits,
        tz=state.tz,
        couple_status=state.couple_status,
        medicine_sessions_allowed=state.medicine_sessions_allowed,
        responses=state.responses,
    )


# -- the next step and the layout by cycle ----------------------------------------------------------------------


@dataclass(frozen=True)
class NextStep:
    text: str
    phase: str | None
    finished: bool


def next_step(state: CourseState) -> NextStep:
    """What the course needs next, in words, with the phase to book (None when the course is complete)."""
    plan, limits = state.plan, state.limits
    medicines = [s for s in plan if s.phase == Phase.MEDICINE]
    if not any(s.phase == Phase.ASSESSMENT for s in plan):
        return NextStep("Book an assessment session.", Phase.ASSESSMENT, False)
    if medicines:
        last = medicines[-1]
        after = [s for s in plan if s.start > last.start]
        if any(s.phase == Phase.FOLLOW_UP for s in after):
            return NextStep("The course is complete: the follow-up is booked.", None, True)
        integrations = sum(1 for s in after if s.phase == Phase.INTEGRATION)
        n = len(medicines)
        if integrations < limits.integration_min:
            return NextStep(
                f"Integration after medicine session {n} ({integrations} of at least {limits.integration_min}).",
                Phase.INTEGRATION,
                False,
            )
        preparations = sum(1 for s in after if s.phase == Phase.PREPARATION)
        if preparations == 0:
            if n >= state.medicine_maximum:
                return NextStep(
                    "Follow-up: the course has had its maximum of medicine sessions.", Phase.FOLLOW_UP, False
                )
            if n >= limits.medicine_sessions_min:
                return NextStep(
                    f"Preparation for cycle {n + 1}, or a follow-up if the course ends here "
                    f"({n} medicine sessions so far).",
                    Phase.PREPARATION,
                    False,
                )
            return NextStep(f"Preparation for cycle {n + 1}.", Phase.PREPARATION, False)
        cycle, done_preparations = n + 1, preparations
    else:
        cycle = 1
        done_preparations = sum(1 for s in plan if s.phase == Phase.PREPARATION)
    if done_preparations < limits.preparation_min:
        return NextStep(
            f"Preparation session {done_preparations + 1} of cycle {cycle} "
            f"(at least {limits.preparation_min} before medicine session {cycle}).",
            Phase.PREPARATION,
            False,
        )
    if done_preparations < limits.preparation_max:
        return NextStep(
            f"Medicine session {cycle}, or one more preparation (up to {limits.preparation_max}).",
            Phase.MEDICINE,
            False,
        )
    return NextStep(f"Medicine session {cycle}.", Phase.MEDICINE, False)


@dataclass(frozen=True)
class Row:
    """A session on the timeline, with the protocol's reasons if the plan no longer allows it."""

    step: Step
    reasons: tuple[str, ...] = ()

    @property
    def session(self):
        return self.step.ref


@dataclass
class Cycle:
    number: int
    rows: list[Row] = field(default_factory=list)
    medicine: Step | None = None

    @property
    def sessions(self) -> list:
        return [row.session for row in self.rows]

    @property
    def state(self) -> str:
        if self.medicine is None:
            return "preparing"
        if was_held(self.medicine.status):
            return "integrating"
        return "medicine booked"


@dataclass(frozen=True)
class Suggestion:
    """A session the protocol proposes for the therapist to accept (book) with one click."""

    phase: str
    start: datetime.datetime
    label: str
    anchor_step: Step  # the session whose therapist and place the suggestion reuses

    @property
    def anchor(self):
        return self.anchor_step.ref

    @property
    def phase_label(self) -> str:
        return Phase(self.phase).label


@dataclass
class Course:
    """A couple's sessions laid out as the protocol sees them, with what comes next."""

    assessment: list[Row]
    cycles: list[Cycle]
    follow_up: list[Row]
    next_step: str
    next_phase: str | None
    finished: bool
    upcoming: object  # the next session still ahead, if any (its row)
    suggestions: list[Suggestion]
    out_of_order: dict

    @property
    def due(self) -> bool:
        """The next step is not booked yet."""
        return not self.finished and self.upcoming is None


def course_layout(state: CourseState, *, now: datetime.datetime) -> Course:
    """The course by cycle (every status), with the next step, the sessions out of order and suggestions."""
    plan = state.plan
    medicines = [s for s in plan if s.phase == Phase.MEDICINE]
    disorder = out_of_order(state)
    assessment, follow_up = [], []
    cycles = {i + 1: Cycle(number=i + 1, medicine=m) for i, m in enumerate(medicines)}
    for step in state.steps:
        row = Row(step, tuple(disorder.get(step.pk, ())))
        if step.phase == Phase.ASSESSMENT:
            assessment.append(row)
        elif step.phase == Phase.FOLLOW_UP:
            follow_up.append(row)
        else:
            number = max(cycle_of(step.phase, step.start, medicines), 1)
            cycles.setdefault(number, Cycle(number=number)).rows.append(row)
    step = next_step(state)
    upcoming = next((s for s in plan if is_ahead(s.status) and s.start >= now), None)
    offered = [
        s
        for s in suggestions(state, step.phase, now=now)
        if decide(state, phase=s.phase, start=s.start, mode=Mode.PLAN).allowed
    ]
    return Course(
        assessment=assessment,
        cycles=[cycles[k] for k in sorted(cycles)],
        follow_up=follow_up,
        next_step=step.text,
        next_phase=step.phase,
        finished=step.finished,
        upcoming=upcoming.ref if upcoming is not None else None,
        suggestions=offered,
        out_of_order=disorder,
    )


def suggestions(state: CourseState, next_phase: str | None, *, now: datetime.datetime) -> list[Suggestion]:
    """Sessions to propose: the integration check-ins after the last medicine session not yet booked, and the
    next preparation or assessment a week after the last session (not yet checked against the protocol)."""
    plan = state.plan
    found = []
    medicines = [s for s in plan if s.phase == Phase.MEDICINE]
    if medicines:
        last = medicines[-1]
        n = len(medicines)
        integrations = [s for s in plan if s.phase == Phase.INTEGRATION]
        next_cycle = next((s.start for s in plan if s.phase == Phase.PREPARATION and s.start > last.start), None)
        for offset, label in CHECK_IN_OFFSETS:
            when = state.local(last.start) + offset  # wall-clock time: a check-in keeps its hour over DST
            booked = any(abs(s.start - when) <= CHECK_IN_TOLERANCE for s in integrations)
            moved_on = next_cycle is not None and next_cycle <= when
            if when > now and not booked and not moved_on:
                found.append(
                    Suggestion(
                        Phase.INTEGRATION, when, f"Integration check-in {label} after medicine session {n}", last
                    )
                )
    if next_phase in (Phase.PREPARATION, Phase.ASSESSMENT) and plan:
        last = plan[-1]
        when = state.local(last.start) + datetime.timedelta(days=7)
        while when <= now:
            when += datetime.timedelta(days=7)
        found.append(Suggestion(next_phase, when, f"{Phase(next_phase).label}, a week after the last session", last))
    return found


def integration_follows(state: CourseState) -> dict[object, object]:
    """For each integration session in the plan, the pk of the medicine session it follows (the latest one
    before it in the plan), or None when none comes before it."""
    plan = state.plan
    medicines = [s for s in plan if s.phase == Phase.MEDICINE]
    return {
        s.pk: next((m.pk for m in reversed(medicines) if m.start < s.start), None)
        for s in plan
        if s.phase == Phase.INTEGRATION
    }


# -- the measurement windows and the follow-up plan ------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A measurement point and the days (inclusive, None = open) in which a response of its context counts."""

    point: str
    first: datetime.date | None
    last: datetime.date | None
    label: str

    @property
    def context(self) -> str:
        return POINT_CONTEXT[self.point]

    def holds(self, day: datetime.date) -> bool:
        return (self.first is None or day >= self.first) and (self.last is None or day <= self.last)


def split_by_midpoints(days: Sequence[datetime.date], *, after: datetime.date | None) -> list[tuple]:
    """Cut the time after `after` into one span per day in `days` (rising), meeting halfway between two
    neighbours: each response belongs to exactly one follow-up, the one it is nearest."""
    spans = []
    for i, day in enumerate(days):
        if i == 0:
            first = after + datetime.timedelta(days=1) if after is not None else None
        else:
            first = days[i - 1] + (day - days[i - 1]) // 2 + datetime.timedelta(days=1)
        last = day + (days[i + 1] - day) // 2 if i + 1 < len(days) else None
        spans.append((first, last))
    return spans


def follow_up_due_days(anchor: datetime.date, weeks: Sequence[int]) -> list[datetime.date]:
    """The follow-up dates: the last integration's day plus each interval."""
    return [anchor + datetime.timedelta(weeks=w) for w in weeks]


def last_integration_day(state: CourseState) -> datetime.date | None:
    """The day of the last integration session after the last medicine session of the plan, if there is one."""
    plan = state.plan
    medicines = [s for s in plan if s.phase == Phase.MEDICINE]
    if not medicines:
        return None
    after = [s for s in plan if s.phase == Phase.INTEGRATION and s.start > medicines[-1].start]
    return state.local_date(after[-1].start) if after else None


def measure_window(state: CourseState, session) -> Window | None:
    """The measurement point a session (anything with phase and start) stands at, with its window; None for a
    session that has none."""
    plan = state.plan
    medicines = [s for s in plan if s.phase == Phase.MEDICINE]
    med_days = [state.local_date(m.start) for m in medicines]
    before = [m for m in medicines if m.start < session.start]
    if session.phase == Phase.ASSESSMENT:
        return Window(
            MeasurePoint.BASELINE,
            None,
            med_days[0] if med_days else None,
            "baseline, before the first medicine session",
        )
    if session.phase in (Phase.PREPARATION, Phase.MEDICINE):
        k = len(before) + 1  # the medicine session this one prepares for (or is)
        first = med_days[k - 2] + datetime.timedelta(days=1) if k >= 2 else None
        last = med_days[k - 1] if len(med_days) >= k else None
        return Window(MeasurePoint.PRE_MEDICINE, first, last, f"before medicine session {k}")
    if session.phase == Phase.INTEGRATION:
        k = len(before)
        if k == 0:
            return None
        first = med_days[k - 1] + datetime.timedelta(days=1)
        last = med_days[k] if len(med_days) > k else None
        return Window(MeasurePoint.POST_INTEGRATION, first, last, f"after integration of medicine session {k}")
    if session.phase == Phase.FOLLOW_UP:
        after = med_days[-1] if med_days else None
        anchor = last_integration_day(state)
        day = state.local_date(session.start)
        weeks = state.limits.follow_up_weeks
        if anchor is not None and weeks:
            due = follow_up_due_days(anchor, weeks)
        else:
            due = [state.local_date(s.start) for s in plan if s.phase == Phase.FOLLOW_UP] or [day]
        spans = split_by_midpoints(due, after=after)
        for n, (first, last) in enumerate(spans, start=1):
            if (first is None or day >= first) and (last is None or day <= last):
                return Window(MeasurePoint.FOLLOW_UP, first, last, f"follow-up {n}")
        first, last = spans[0]
        return Window(MeasurePoint.FOLLOW_UP, first, last, "follow-up 1")
    return None


@dataclass(frozen=True)
class FollowUpDue:
    number: int
    weeks: int
    due_on: datetime.date
    window: Window
    step: Step | None  # the follow-up session booked in the window, if any


@dataclass(frozen=True)
class FollowUpSchedule:
    """The follow-ups after the last integration, at the clinic's intervals; provisional while the course could
    still go on to another cycle."""

    anchor: datetime.date
    provisional: bool
    slots: tuple[FollowUpDue, ...]
    weeks: tuple[int, ...]


def follow_up_schedule(state: CourseState) -> FollowUpSchedule | None:
    """The follow-up plan after the last held integration, or None before the course can end."""
    plan, limits = state.plan, state.limits
    medicines = [s for s in plan if s.phase == Phase.MEDICINE]
    if not medicines:
        return None
    last_medicine = medicines[-1]
    after = [s for s in plan if s.start > last_medicine.start]
    held_integrations = [s for s in after if s.phase == Phase.INTEGRATION and was_held(s.status)]
    if len(held_integrations) < limits.integration_min:
        return None
    if any(s.phase in (Phase.PREPARATION, Phase.MEDICINE) for s in after):
        return None  # another cycle is planned
    in_follow_up = (
        any(s.phase == Phase.FOLLOW_UP for s in after)
        or state.couple_status == CoupleStatus.COMPLETED
        or len(medicines) >= state.medicine_maximum
    )
    if not in_follow_up and len(medicines) < limits.medicine_sessions_min:
        return None
    anchor = state.local_date(held_integrations[-1].start)
    weeks = tuple(limits.follow_up_weeks)
    due_days = follow_up_due_days(anchor, weeks)
    spans = split_by_midpoints(due_days, after=state.local_date(last_medicine.start))
    follow_ups = [s for s in after if s.phase == Phase.FOLLOW_UP]
    slots = []
    for n, (w, due_on, (first, last)) in enumerate(zip(weeks, due_days, spans, strict=True), start=1):
        window = Window(MeasurePoint.FOLLOW_UP, first, last, f"follow-up {n}")
        booked = next((s for s in follow_ups if window.holds(state.local_date(s.start))), None)
        slots.append(FollowUpDue(number=n, weeks=w, due_on=due_on, window=window, step=booked))
    return FollowUpSchedule(anchor=anchor, provisional=not in_follow_up, slots=tuple(slots), weeks=weeks)


def course_finished(state: CourseState) -> bool:
    """Has the course ended as planned: the last cycle's integration held, no further cycle planned, no session still
    ahead, and as many follow-up sessions held after the last medicine session as the clinic's follow-up plan has
    (at least one)? The couple's status then follows to Completed."""
    schedule = follow_up_schedule(state)
    if schedule is None or schedule.provisional:
        return False
    last_medicine = [s for s in state.plan if s.phase == Phase.MEDICINE][-1]
    after = [s for s in state.plan if s.start > last_medicine.start]
    if any(is_ahead(s.status) for s in after):
        return False
    held = sum(1 for s in after if s.phase == Phase.FOLLOW_UP and was_held(s.status))
    return held >= max(1, len(schedule.slots))
