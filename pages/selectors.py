"""One selector per main page. Each returns a frozen dataclass with everything its template shows, built in a
number of queries that does not grow with the caseload (pinned in pages/tests/test_query_counts.py)."""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.utils import timezone

from accounts.models import User
from audit.selectors import couple_audit_history
from cases import policy
from cases import selectors as cases_selectors
from cases.choices import COUPLE_TRANSITIONS, CoupleStatus
from cases.instruments import INSTRUMENTS
from cases.models import Couple
from cases.services import couple_activation_blockers
from dosing import lifecycle
from dosing import selectors as dosing_selectors
from integration import selectors as integration_selectors
from integration.forms import CommitmentForm
from jobs.selectors import reminders_unknown, session_background
from ops.selectors import task_failures_recent_count
from outbox.selectors import Backlog, outbox_backlog
from pages.medicine import MedicineNote, medicine_note, medicine_notes
from records.models import VerificationRun
from records.verify import verification_latest
from sessions import course as sessions_course
from sessions import selectors as sessions_selectors
from sessions import services as sessions_services
from sessions.choices import Phase, SessionStatus
from sessions.models import SessionNote, TherapySession

HOME_PAGE_SIZE = 25
AUDIT_ON_COUPLE_PAGE = 20
TASK_FAILURE_DAYS = 7


def _page(items, number, size: int = HOME_PAGE_SIZE) -> Page:
    return Paginator(items, size).get_page(number)


# -- the therapist's home -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TodoRow:
    """One open couple on the therapist's home: what needs doing, and the course's next step if it is not booked."""

    couple: Couple
    items: tuple[str, ...]
    next_step: str | None


@dataclass(frozen=True)
class TherapistHome:
    notices: list
    dashboard: sessions_selectors.Dashboard
    page: Page  # of TodoRow, HOME_PAGE_SIZE a page
    due: list[TodoRow]  # the rows of this page whose next step is not booked yet
    medicine_notes: dict[int, MedicineNote]  # by session id, for this week's sessions and the blocked ones


def therapist_home(*, user: User, page: str | int | None = None) -> TherapistHome:
    """The therapist's home: notices, this week's sessions and notes, and one page of their open couples with what
    each needs next. The course is built once per couple of the page, so the page costs the same at any caseload."""
    couples_page = _page(cases_selectors.therapist_open_couples(user=user), page)
    couples = list(couples_page.object_list)
    todo = cases_selectors.therapist_todo(couples=couples)
    courses = sessions_selectors.courses_for(couples=couples)
    rows = []
    for couple, items in todo:
        course = courses[couple.pk]
        rows.append(TodoRow(couple=couple, items=tuple(items), next_step=course.next_step if course.due else None))
    couples_page.object_list = rows
    dashboard = sessions_selectors.therapist_dashboard(user=user)
    return TherapistHome(
        notices=dosing_selectors.notices_for(user=user),
        dashboard=dashboard,
        page=couples_page,
        due=[row for row in rows if row.next_step],
        medicine_notes=medicine_notes([*dashboard.today, *dashboard.this_week, *dashboard.blocked]),
    )


# -- the prescriber's home ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrescriberHome:
    notices: list
    panel: dict
    page: Page  # of couples waiting for review, HOME_PAGE_SIZE a page
    medicine_notes: dict[int, MedicineNote]  # by session id, for this week's medicine sessions the gate shut


def prescriber_home(*, user: User, page: str | int | None = None) -> PrescriberHome:
    """The prescriber's home: notices, their dosing work and one page of couples waiting for their review."""
    panel = dosing_selectors.prescriber_panel(user=user)
    return PrescriberHome(
        notices=dosing_selectors.notices_for(user=user),
        panel=panel,
        page=_page(cases_selectors.prescriber_review_queue(user=user), page),
        medicine_notes=medicine_notes(panel["medicine_week"]),
    )


# -- the clinic admin's home ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdminHome:
    overview: dict
    task_failures: int
    task_failure_days: int
    verification: VerificationRun | None
    outbox: Backlog
    unknown_reminders: list  # sending interrupted: each checked and resent by a person from its session page


def admin_home() -> AdminHome:
    """The clinic at a glance: couples by status, the care team, recent activity, failed background tasks and the
    last verify_records result."""
    return AdminHome(
        overview=cases_selectors.clinic_overview(),
        task_failures=task_failures_recent_count(days=TASK_FAILURE_DAYS),
        task_failure_days=TASK_FAILURE_DAYS,
        verification=verification_latest(),
        outbox=outbox_backlog(),
        unknown_reminders=reminders_unknown(),
    )


# -- the couple page ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CouplePage:
    couple: Couple
    partners: list
    events: list
    therapists: list
    next_statuses: list[tuple[str, str]]
    instruments: list
    activation_blockers: list[str]
    course: sessions_course.Course
    can_manage_sessions: bool
    integration: dict
    audit_events: list
    audit_limit: int
    can_search_audit: bool
    may_see_clinic_outcomes: bool
    medicine_notes: dict[int, MedicineNote]  # by session id: its medicine sessions the gate shut
    may_review_item9: bool = False  # the couple's prescriber: the form beside a positive item 9 after clearance


def _may_review_item9(user: User, couple: Couple, team, partners) -> bool:
    if policy.may_clear_partner(user, team):
        return True
    if not user.is_prescriber or not any(pv.partner.screening.item9_review_id for pv in partners):
        return False
    # A prescriber covering this couple today: the covers are read only here, when a review waits.
    return bool(policy.may_clear_partner(user, couple))


def couple_page(*, user: User, couple: Couple) -> CouplePage:
    """Everything the couple page shows: partners and screening, the course, outcomes, what happened and who read it."""
    detail = cases_selectors.couple_detail(couple=couple)
    therapists = detail["therapists"]
    sessions = sessions_selectors.couple_sessions(couple=couple)
    # The care team is loaded already: the rule book is asked with it, without a query.
    team = policy.CareTeam(
        couple_id=couple.pk, therapist_ids=frozenset(t.pk for t in therapists), prescriber_id=couple.prescriber_id
    )
    can_manage = bool(policy.may_manage_sessions(user, team))
    clinic_admin = bool(policy.may_administer_clinic(user))
    return CouplePage(
        couple=couple,
        partners=detail["partners"],
        events=detail["events"],
        therapists=therapists,
        next_statuses=[(s, CoupleStatus(s).label) for s in COUPLE_TRANSITIONS[couple.status]],
        instruments=list(INSTRUMENTS.values()),
        activation_blockers=couple_activation_blockers(couple) if couple.status == CoupleStatus.SCREENING else [],
        course=sessions_selectors.couple_course(couple=couple, sessions=sessions),
        can_manage_sessions=can_manage,
        integration=integration_selectors.couple_section(couple=couple, sessions=sessions),
        audit_events=couple_audit_history(couple=couple, limit=AUDIT_ON_COUPLE_PAGE),
        audit_limit=AUDIT_ON_COUPLE_PAGE,
        can_search_audit=clinic_admin,
        may_see_clinic_outcomes=clinic_admin,
        medicine_notes=medicine_notes(sessions),
        may_review_item9=_may_review_item9(user, couple, team, detail["partners"]),
    )


# -- the session page -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionPage:
    session: TherapySession
    couple: Couple
    note: SessionNote | None
    amendments: list
    events: list
    can_manage: bool
    has_note_form: bool
    start_check: object
    started: bool
    integration: integration_selectors.SessionPanel
    commitment_form: CommitmentForm | None
    background: dict
    actions: list[lifecycle.Action]  # a medicine session's moves as its state machine offers them, with reasons
    medicine_note: MedicineNote | None  # blocked, or in progress with the gate shut
    may_move: bool = False  # scheduled and not started (sessions.services.session_reschedule refuses the rest)


def session_action(*, user: User, session: TherapySession, name: str) -> lifecycle.Action | None:
    """The move `name` of a medicine session as its state machine offers it to this user now (None for a session
    of another phase, or a move its state does not offer)."""
    if session.phase != Phase.MEDICINE:
        return None
    return next((a for a in lifecycle.available_actions(session, user) if a.name == name), None)


def session_page(*, user: User, session: TherapySession, note_phases) -> SessionPage:
    """Everything the session page shows: the session, its note and amendments, its history, the integration
    panel, its reminders and PDF summaries."""
    note = SessionNote.objects.filter(session=session).select_related("signed_by", "author").first()
    now = timezone.now()
    panel = integration_selectors.session_panel(session=session)
    team = policy.care_team(session.couple)  # read once, for the page and the medicine session's moves
    can_manage = bool(policy.may_manage_sessions(user, team))
    return SessionPage(
        session=session,
        couple=session.couple,
        note=note,
        amendments=list(note.amendments.select_related("author")) if note else [],
        events=list(session.events.select_related("actor")),
        can_manage=can_manage,
        has_note_form=session.phase in note_phases,
        start_check=(
            sessions_services.session_start_check(session)
            if session.status == SessionStatus.SCHEDULED and session.start <= now
            else None
        ),
        started=session.start <= now,
        integration=panel,
        commitment_form=CommitmentForm(partners=panel.partners) if session.phase == Phase.INTEGRATION else None,
        background=session_background(session=session),
        actions=lifecycle.available_actions(session, user, now, team=team) if session.phase == Phase.MEDICINE else [],
        medicine_note=medicine_note(session) if session.phase == Phase.MEDICINE else None,
        may_move=can_manage and session.status == SessionStatus.SCHEDULED and session.started_at is None,
    )
