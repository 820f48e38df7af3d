"""Reads of sessions shared by the calendar, the couple page and the dashboards, always scoped to the user."""

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from cases import policy
from cases.choices import CoupleStatus
from cases.models import Couple, Partner
from cases.policy import visible_couples
from clinic.services import clinic_settings_get
from dosing.approvals import course_medicine_maximum, course_medicine_maximums
from sessions import course
from sessions.choices import MedicineState, NoteStatus, Phase, SessionStatus
from sessions.models import Room, SessionNote, TherapySession

OPEN_STATUSES = (CoupleStatus.REFERRED, CoupleStatus.SCREENING, CoupleStatus.ACTIVE)


def visible_sessions(user: User) -> QuerySet[TherapySession]:
    """Sessions of the couples the user may see."""
    return TherapySession.objects.filter(couple__in=visible_couples(user))


def session_for_user(user: User, session_uuid) -> TherapySession:
    """The session with this UUID if the user may see its couple; otherwise 404, as if it did not exist."""
    try:
        # The approval a medicine session stands on, and who signed it, are on its page and its record: one join.
        return (
            visible_sessions(user)
            .select_related("couple", "therapist__video_link", "room", "approval__signed_by")
            .get(uuid=session_uuid)
        )
    except TherapySession.DoesNotExist:
        raise Http404("No such session.") from None


def _with_display(sessions: QuerySet[TherapySession]) -> QuerySet[TherapySession]:
    return (
        sessions.select_related("couple", "therapist__video_link", "room")
        .prefetch_related(Prefetch("couple__partners", queryset=Partner.objects.order_by("label")))
        .order_by("start", "id")
    )


def local_day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The UTC instants where this day begins and ends in the clinic's time zone."""
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return start, end


@dataclass(frozen=True)
class CalendarDay:
    date: datetime.date
    sessions: list

    @property
    def is_today(self) -> bool:
        return self.date == timezone.localdate()


def calendar(
    *,
    user: User,
    first_day: datetime.date,
    days: int,
    clinic_wide: bool = False,
    therapist_id: int | None = None,
    room_id: int | None = None,
) -> list[CalendarDay]:
    """The user's sessions (or, for an admin's clinic view, everyone's) day by day, in two queries."""
    start, _ = local_day_bounds(first_day)
    _, end = local_day_bounds(first_day + datetime.timedelta(days=days - 1))
    sessions = visible_sessions(user).filter(start__lt=end, end__gt=start)
    if clinic_wide and policy.may_administer_clinic(user):
        if therapist_id:
            sessions = sessions.filter(therapist_id=therapist_id)
    elif user.is_therapist:
        sessions = sessions.filter(therapist=user)
    if room_id:
        sessions = sessions.filter(room_id=room_id)
    by_day: dict[datetime.date, list] = {first_day + datetime.timedelta(days=i): [] for i in range(days)}
    for session in _with_display(sessions):
        day = timezone.localtime(session.start).date()
        by_day.setdefault(day, []).append(session)
    return [CalendarDay(day, by_day[day]) for day in sorted(by_day) if first_day <= day]


def bookable_couples(user: User) -> QuerySet[Couple]:
    """Open couples whose sessions the user may book: their own caseload, or every couple for an admin."""
    return policy.manageable_couples(user).filter(status__in=OPEN_STATUSES).order_by("case_number")


def active_rooms() -> QuerySet[Room]:
    return Room.objects.filter(active=True)


def couple_sessions(*, couple: Couple) -> list[TherapySession]:
    """The couple's sessions in order, with what the course timeline shows of each (and whether a dose was given
    in it), in one query."""
    sessions = course.course_sessions(couple_id=couple.pk, select_related=("therapist", "room", "note"))
    for session in sessions:
        session.couple = couple  # the relation's cache, so the course reads no couple again
    return sessions


def couple_course(*, couple: Couple, sessions: list[TherapySession] | None = None) -> course.Course:
    """The couple's course laid out by cycle, in a number of queries that does not grow with the sessions."""
    if sessions is None:
        sessions = couple_sessions(couple=couple)
    settings = clinic_settings_get()
    allowed = course_medicine_maximum(couple=couple, clinic_maximum=settings.medicine_sessions_max)
    state = course.course_state_build(
        couple=couple, sessions=sessions, settings=settings, medicine_sessions_allowed=allowed
    )
    return course.course_layout(state, now=timezone.now())


def courses_for(*, couples: list[Couple]) -> dict[int, course.Course]:
    """Each couple's course, by couple id: one query for all their sessions and one course built per couple."""
    sessions_by_couple: dict[int, list] = {c.pk: [] for c in couples}
    for session in TherapySession.objects.filter(couple__in=[c.pk for c in couples]).order_by("start", "id"):
        sessions_by_couple[session.couple_id].append(session)
    settings = clinic_settings_get()
    maximums = course_medicine_maximums(couple_ids=sessions_by_couple, clinic_maximum=settings.medicine_sessions_max)
    now = timezone.now()
    courses = {}
    for couple in couples:
        for session in sessions_by_couple[couple.pk]:
            session.couple = couple
        state = course.course_state_build(
            couple=couple,
            sessions=sessions_by_couple[couple.pk],
            settings=settings,
            medicine_sessions_allowed=maximums.get(couple.pk),
        )
        courses[couple.pk] = course.course_layout(state, now=now)
    return courses


# What the therapist's home lists of notes: more than a screenful is a backlog, counted rather than listed.
NOTES_LISTED = 20


@dataclass(frozen=True)
class Dashboard:
    today: list
    this_week: list
    notes_to_sign: list
    notes_to_write: list
    more_notes: bool  # more are waiting than the lists show (the oldest NOTES_LISTED of each)
    blocked: list = ()  # their booked medicine sessions the gate shut, until moved or cancelled, soonest first


def therapist_dashboard(*, user: User) -> Dashboard:
    """Today's and this week's sessions and the notes waiting, for the signed-in therapist."""
    today = timezone.localdate()
    week_start = today - datetime.timedelta(days=today.weekday())
    day_start, day_end = local_day_bounds(today)
    _, week_end = local_day_bounds(week_start + datetime.timedelta(days=6))
    mine = _with_display(visible_sessions(user).filter(therapist=user))
    # This week's sessions and, in the same query, every medicine session of theirs the gate shut (blocked until
    # it is moved or cancelled, whenever it is booked); the filter only narrows the rows, medicine_state decides.
    blocked = Q(phase=Phase.MEDICINE, status=SessionStatus.SCHEDULED, started_at__isnull=True) & ~Q(blocked_reason="")
    rows = list(
        mine.filter(Q(start__gte=day_start, start__lt=week_end) | blocked).exclude(status=SessionStatus.CANCELLED)
    )
    week = [s for s in rows if day_start <= s.start < week_end]
    drafts = SessionNote.objects.filter(session__therapist=user, status=NoteStatus.DRAFT)
    unwritten = (
        visible_sessions(user)
        .filter(therapist=user, status=SessionStatus.COMPLETED, note__isnull=True)
        .exclude(phase=Phase.MEDICINE)
    )
    # One more than listed tells whether there are more, without counting the backlog.
    notes_to_sign = list(drafts.select_related("session__couple").order_by("session__start")[: NOTES_LISTED + 1])
    notes_to_write = list(unwritten.select_related("couple").order_by("start", "id")[: NOTES_LISTED + 1])
    return Dashboard(
        today=[s for s in week if s.start < day_end],
        this_week=[s for s in week if s.start >= day_end],
        notes_to_sign=notes_to_sign[:NOTES_LISTED],
        notes_to_write=notes_to_write[:NOTES_LISTED],
        more_notes=len(notes_to_sign) > NOTES_LISTED or len(notes_to_write) > NOTES_LISTED,
        blocked=[s for s in rows if s.medicine_state == MedicineState.BLOCKED],
    )


def therapists_for_filter() -> QuerySet[User]:
    return User.objects.filter(Q(is_therapist=True) & Q(is_active=True))
