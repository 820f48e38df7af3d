"""Reads of integration work and outcomes shared by the session page, the couple page and the clinic view.

Each loads what it needs in a fixed number of queries, whatever the size of the course."""

import datetime
import statistics
from dataclasses import dataclass, field

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from cases.choices import CoupleStatus, QuestionnaireContext
from cases.instruments import INSTRUMENTS, PCL5_CODE
from cases.models import Couple, Partner, QuestionnaireResponse
from cases.scores import baseline_response, latest_response
from clinic.services import clinic_settings_get
from integration import measures
from integration.charts import outcome_chart
from integration.choices import ACTIVE_COMMITMENT_STATUSES, COMMITMENT_TRANSITIONS, MeasurePoint
from integration.models import Commitment, CommitmentEvent, IntegrationRecord, QuestionnaireLink
from kapcouples.clock import local_date
from sessions import course
from sessions.choices import PLANNED_STATUSES, Phase, SessionStatus
from sessions.models import SessionNote, TherapySession


def _partners(couple: Couple) -> list[Partner]:
    return list(Partner.objects.filter(couple=couple).order_by("label"))


def link_for_couple(couple: Couple, link_uuid) -> QuestionnaireLink:
    """A questionnaire link of this couple's partners, or 404."""
    link = QuestionnaireLink.objects.filter(partner__couple=couple, uuid=link_uuid).select_related("partner").first()
    if link is None:
        raise Http404("No such link.")
    link.partner.couple = couple
    return link


def commitment_for_couple(couple: Couple, commitment_uuid) -> Commitment:
    """A commitment of this couple, or 404."""
    commitment = (
        Commitment.objects.filter(couple=couple, uuid=commitment_uuid).select_related("made_in__session").first()
    )
    if commitment is None:
        raise Http404("No such commitment.")
    return commitment


# -- what is due ------------------------------------------------------------------------------------------


@dataclass
class DueMeasure:
    partner: Partner
    instrument: str
    name: str
    done: bool
    live_link: QuestionnaireLink | None = None


@dataclass
class MeasuresDue:
    """The measurement point of a session and, for each partner and instrument of that point, whether it is done."""

    window: course.Window
    rows: list[DueMeasure]

    @property
    def point_label(self) -> str:
        return MeasurePoint(self.window.point).label

    @property
    def due(self) -> list[DueMeasure]:
        return [r for r in self.rows if not r.done]


def measures_due(
    *,
    session: TherapySession,
    sessions: list | None = None,
    partners: list | None = None,
    responses: list | None = None,
    links: list | None = None,
) -> MeasuresDue | None:
    """Which questionnaires are due at this session for which partner: those of the session's measurement point
    (a clinic setting) with no response of that context from that partner inside the point's window."""
    couple = session.couple
    settings = clinic_settings_get()
    sessions = sessions if sessions is not None else list(TherapySession.objects.filter(couple_id=couple.pk))
    window = course.measure_window(
        course.course_state_build(couple=couple, sessions=sessions, settings=settings), session
    )
    if window is None:
        return None
    codes = settings.measures_at(window.point)
    partners = partners if partners is not None else _partners(couple)
    if responses is None:
        responses = list(
            QuestionnaireResponse.objects.filter(partner__couple=couple, context=window.context).only(
                "partner_id", "instrument", "context", "administered_on"
            )
        )
    if links is None:
        links = [
            link
            for link in QuestionnaireLink.objects.filter(
                partner__couple=couple, used_at__isnull=True, withdrawn_at__isnull=True
            )
            if link.state == "live"
        ]
    live = {(link.partner_id, link.instrument): link for link in links}
    rows = [
        DueMeasure(
            partner=p,
            instrument=code,
            name=INSTRUMENTS[code].name,
            done=measures.answered(window, responses, p.pk, code),
            live_link=live.get((p.pk, code)),
        )
        for p in partners
        for code in codes
    ]
    return MeasuresDue(window=window, rows=rows)


# -- the session page panel -------------------------------------------------------------------------------


@dataclass
class CommitmentRow:
    commitment: Commitment
    owner_label: str
    last_event: CommitmentEvent | None
    next_statuses: list


def _owner_label(owner: str, partners: dict[str, Partner]) -> str:
    if owner in partners:
        return f"{partners[owner].get_label_display()} ({partners[owner].first_name})"
    return "Both partners"


def _rows(commitments, partners) -> list[CommitmentRow]:
    rows = []
    for c in commitments:
        events = list(c.events.all())
        rows.append(
            CommitmentRow(
                commitment=c,
                owner_label=_owner_label(c.owner, partners),
                last_event=events[-1] if events else None,
                next_statuses=list(COMMITMENT_TRANSITIONS[c.status]),
            )
        )
    return rows


def _commitments(couple_id: int) -> QuerySet[Commitment]:
    return (
        Commitment.objects.filter(couple_id=couple_id)
        .select_related("made_in__session", "made_in__follows")
        .prefetch_related(Prefetch("events", queryset=CommitmentEvent.objects.select_related("actor", "session")))
        .order_by("due_on", "id")
    )


@dataclass
class SessionPanel:
    session: TherapySession
    record: IntegrationRecord | None
    made_here: list
    to_review: list
    carried_insights: str
    carried_from: TherapySession | None
    measures: MeasuresDue | None
    partners: list

    @property
    def shows_anything(self) -> bool:
        return bool(self.record or self.made_here or self.to_review or self.carried_insights or self.measures)


def session_panel(*, session: TherapySession) -> SessionPanel:
    """What the session page shows of integration work: for an integration session the medicine session it
    follows and the commitments made in it; for any later session the commitments still open to review; for a
    preparation session the last integration's shared insights carried into the new cycle; and the
    questionnaires due at this session."""
    couple = session.couple
    partners = _partners(couple)
    by_label = {p.label: p for p in partners}
    sessions = list(TherapySession.objects.filter(couple_id=couple.pk).order_by("start", "id"))
    record = None
    if session.phase == Phase.INTEGRATION:
        record = IntegrationRecord.objects.filter(session=session).select_related("follows").first()
    all_commitments = list(_commitments(couple.pk))
    made_here = _rows([c for c in all_commitments if c.made_in.session_id == session.pk], by_label)
    to_review = _rows(
        [
            c
            for c in all_commitments
            if c.status in ACTIVE_COMMITMENT_STATUSES and c.made_in.session.start < session.start
        ],
        by_label,
    )
    carried_insights, carried_from = "", None
    if session.phase == Phase.PREPARATION:
        earlier = [
            s
            for s in sessions
            if s.phase == Phase.INTEGRATION and s.status == SessionStatus.COMPLETED and s.start < session.start
        ]
        if earlier:
            carried_from = earlier[-1]
            note = SessionNote.objects.filter(session=carried_from).first()
            carried_insights = (note.content or {}).get("shared_insights", "") if note else ""
    due = None
    if session.status in PLANNED_STATUSES:
        for s in sessions:
            if s.pk == session.pk:
                s.couple = couple
        due = measures_due(session=session, sessions=sessions, partners=partners)
    return SessionPanel(
        session=session,
        record=record,
        made_here=made_here,
        to_review=to_review,
        carried_insights=carried_insights,
        carried_from=carried_from,
        measures=due,
        partners=partners,
    )


# -- outcomes on the couple page --------------------------------------------------------------------------


@dataclass
class PartnerOutcome:
    partner: Partner
    baseline: QuestionnaireResponse | None
    latest: QuestionnaireResponse | None
    change: measures.Change | None
    reliable: measures.ReliableChange | None = None  # Jacobson & Truax, latest against baseline


@dataclass
class TableRow:
    response: QuestionnaireResponse
    band: str
    severity: int
    change: measures.Change | None


@dataclass
class InstrumentOutcome:
    code: str
    name: str
    max_score: int
    higher_is_better: bool
    chart: object
    partners: list[PartnerOutcome]
    rows: list[TableRow] = field(default_factory=list)

    @property
    def norms_source(self) -> str:
        """Where the reliability, reliable-change size and cut point used for this instrument come from."""
        return measures.CHANGE_NORMS[self.code].source


def couple_outcomes(*, couple: Couple, settings=None, sessions: list | None = None) -> list[InstrumentOutcome]:
    """Both partners' scores over time for each instrument: a chart on the bands with the (held) medicine
    sessions marked, change from baseline, and every response in a table. At most four queries."""
    settings = settings or clinic_settings_get()
    partners = _partners(couple)
    responses = list(
        QuestionnaireResponse.objects.filter(partner__couple=couple).order_by("administered_on", "recorded_at", "id")
    )
    if sessions is None:
        sessions = list(TherapySession.objects.filter(couple=couple, phase=Phase.MEDICINE))
    medicine_days = sorted(
        local_date(s.start) for s in sessions if s.phase == Phase.MEDICINE and course.was_held(s.status)
    )
    by_partner = {p.pk: p for p in partners}
    outcomes = []
    for code, definition in INSTRUMENTS.items():
        cutoff = settings.pcl5_cutoff if code == PCL5_CODE else None
        mine = [r for r in responses if r.instrument == code]
        partner_outcomes, baselines = [], {}
        for p in partners:
            own = [r for r in mine if r.partner_id == p.pk]
            base, last = baseline_response(own), latest_response(own)
            change = (
                measures.change_from_baseline(code, base.score, last.score)
                if base is not None and last is not None and last.pk != base.pk
                else None
            )
            reliable = measures.reliable_change(code, base.score, last.score) if change is not None else None
            baselines[p.pk] = base
            partner_outcomes.append(
                PartnerOutcome(partner=p, baseline=base, latest=last, change=change, reliable=reliable)
            )
        rows = []
        for r in mine:
            r.partner = by_partner[r.partner_id]
            band = definition.band_for(r.score, cutoff=cutoff)
            base = baselines.get(r.partner_id)
            change = (
                measures.change_from_baseline(code, base.score, r.score)
                if base is not None and r.pk != base.pk
                else None
            )
            rows.append(TableRow(response=r, band=band.label, severity=band.severity, change=change))
        series = {p.label: [(r.administered_on, r.score) for r in mine if r.partner_id == p.pk] for p in partners}
        chart = outcome_chart(
            definition=definition,
            cutoff=cutoff,
            series=series,
            names={p.label: f"{p.get_label_display()} ({p.first_name})" for p in partners},
            medicine_days=medicine_days,
        )
        outcomes.append(
            InstrumentOutcome(
                code=code,
                name=definition.name,
                max_score=definition.max_score,
                higher_is_better=code in measures.HIGHER_IS_BETTER,
                chart=chart,
                partners=partner_outcomes,
                rows=rows,
            )
        )
    return outcomes


# -- follow-up --------------------------------------------------------------------------------------------


@dataclass
class FollowUpSlot:
    number: int
    weeks: int
    due_on: datetime.date
    window: course.Window
    session: TherapySession | None
    answered: int
    expected: int

    @property
    def state(self) -> str:
        if self.expected and self.answered >= self.expected:
            return "done"
        if self.window.first is not None and timezone.localdate() < self.window.first:
            return "upcoming"
        return "due"


@dataclass
class FollowUpPlan:
    """The follow-ups after the last integration, at the clinic's intervals; provisional while the course could
    still go on to another cycle."""

    anchor: datetime.date | None
    provisional: bool
    slots: list[FollowUpSlot]
    weeks: list[int]


def follow_up_plan(
    *, couple: Couple, sessions: list, responses: list, partners: list, settings=None
) -> FollowUpPlan | None:
    """Follow-up sessions and questionnaires due after the last integration, or None before the course can end."""
    settings = settings or clinic_settings_get()
    schedule = course.follow_up_schedule(course.course_state_build(couple=couple, sessions=sessions, settings=settings))
    if schedule is None:
        return None
    codes = settings.measures_at(MeasurePoint.FOLLOW_UP)
    slots = []
    for due in schedule.slots:
        answered = sum(1 for p in partners for code in codes if measures.answered(due.window, responses, p.pk, code))
        slots.append(
            FollowUpSlot(
                number=due.number,
                weeks=due.weeks,
                due_on=due.due_on,
                window=due.window,
                session=due.step.ref if due.step else None,
                answered=answered,
                expected=len(codes) * len(partners),
            )
        )
    return FollowUpPlan(
        anchor=schedule.anchor, provisional=schedule.provisional, slots=slots, weeks=list(schedule.weeks)
    )


# -- the couple page section --------------------------------------------------------------------------------


def couple_section(*, couple: Couple, sessions: list | None = None) -> dict:
    """The couple page's integration and outcomes section: charts, open commitments and the follow-up plan."""
    settings = clinic_settings_get()
    if sessions is None:
        sessions = list(TherapySession.objects.filter(couple=couple).order_by("start", "id"))
    outcomes = couple_outcomes(couple=couple, settings=settings, sessions=sessions)
    responses = [r for o in outcomes for r in (row.response for row in o.rows)]
    partners = [po.partner for po in outcomes[0].partners] if outcomes else []
    active = list(
        Commitment.objects.filter(couple=couple, status__in=ACTIVE_COMMITMENT_STATUSES).order_by("due_on", "id")
    )
    by_label = {p.label: p for p in partners}
    return {
        "outcomes": outcomes,
        "follow_up": follow_up_plan(
            couple=couple, sessions=sessions, responses=responses, partners=partners, settings=settings
        ),
        "active_commitments": [(c, _owner_label(c.owner, by_label)) for c in active],
    }


def couple_integration_page(*, couple: Couple) -> dict:
    """The couple's integration page: every commitment with its history, the questionnaire links, what is due
    at the next session, and the follow-up plan."""
    partners = _partners(couple)
    by_label = {p.label: p for p in partners}
    sessions = list(TherapySession.objects.filter(couple=couple).order_by("start", "id"))
    for s in sessions:
        s.couple = couple
    responses = list(QuestionnaireResponse.objects.filter(partner__couple=couple))
    links = list(
        QuestionnaireLink.objects.filter(partner__couple=couple).select_related(
            "partner", "created_by", "withdrawn_by", "session", "response"
        )
    )
    live = [link for link in links if link.state == "live"]
    now = timezone.now()
    upcoming = next((s for s in sessions if s.status == SessionStatus.SCHEDULED and s.end >= now), None)
    due = (
        measures_due(session=upcoming, sessions=sessions, partners=partners, responses=responses, links=live)
        if upcoming
        else None
    )
    return {
        "commitments": _rows(list(_commitments(couple.pk)), by_label),
        "links": links,
        "upcoming": upcoming,
        "measures": due,
        "follow_up": follow_up_plan(couple=couple, sessions=sessions, responses=responses, partners=partners),
        "partners": partners,
    }


# -- the clinic-wide view ---------------------------------------------------------------------------------


@dataclass
class InstrumentSummary:
    code: str
    name: str
    higher_is_better: bool
    count: int
    median_baseline: float | None
    median_last: float | None
    median_change: float | None
    better: int
    worse: int
    unchanged: int


def _median(values: list) -> float | None:
    return statistics.median(values) if values else None


def clinic_outcomes(*, approach: str = "") -> dict:
    """How scores changed across completed courses, per instrument (see _clinic_outcomes). Kept in the cache
    under the newest response, case event and approval ids: clinical rows are never deleted, so any change that
    can move these numbers (a new score, a course completed, a new approval) makes a new key."""
    from django.core.cache import cache
    from django.db.models import Max

    from cases.models import CaseEvent
    from dosing.models import Approval

    version = [
        model.objects.aggregate(newest=Max("id"))["newest"] or 0
        for model in (QuestionnaireResponse, CaseEvent, Approval)
    ]
    key = "clinic-outcomes:" + ":".join(map(str, [approach or "all", *version]))
    result = cache.get(key)
    if result is None:
        result = _clinic_outcomes(approach=approach)
        cache.set(key, result, timeout=60 * 60)
    return result


def _clinic_outcomes(*, approach: str = "") -> dict:
    """How scores changed across completed courses, per instrument: partners with a baseline and a later last
    measure, the medians of baseline, last and change. Filtered by the couple's latest approval's approach."""
    from dosing.models import Approval

    latest_approach = Subquery(
        Approval.objects.filter(couple=OuterRef("pk")).order_by("-signed_at", "-id").values("approach")[:1]
    )
    couples = Couple.objects.filter(status=CoupleStatus.COMPLETED).annotate(approach=latest_approach)
    if approach:
        couples = couples.filter(approach=approach)
    couple_ids = list(couples.values_list("pk", flat=True))
    # Plain tuples, sorted by the database: at clinic-network scale this reads a six-figure number of rows, and
    # model instances for each cost most of the page's time (docs/benchmarks.md). Same rules as
    # cases.scores (baseline_response, latest_response), in the same order, applied to the sorted rows.
    rows = (
        QuestionnaireResponse.objects.filter(partner__couple_id__in=couple_ids)
        .order_by("partner_id", "instrument", "administered_on", "recorded_at", "id")
        .values_list("partner_id", "instrument", "context", "score", "id")
    )
    firsts: dict[tuple[int, str], tuple] = {}
    screenings: dict[tuple[int, str], tuple] = {}
    lasts: dict[tuple[int, str], tuple] = {}
    for partner_id, instrument, context, score, pk in rows.iterator(chunk_size=5000):
        key = (partner_id, instrument)
        firsts.setdefault(key, (score, pk))
        if context == QuestionnaireContext.SCREENING:
            screenings.setdefault(key, (score, pk))
        lasts[key] = (score, pk)
    summaries = []
    for code, definition in INSTRUMENTS.items():
        pairs = []
        for key, (last_score, last_pk) in lasts.items():
            if key[1] != code:
                continue
            base_score, base_pk = screenings.get(key) or firsts[key]
            if last_pk != base_pk:
                pairs.append((base_score, last_score, measures.change_from_baseline(code, base_score, last_score)))
        summaries.append(
            InstrumentSummary(
                code=code,
                name=definition.name,
                higher_is_better=code in measures.HIGHER_IS_BETTER,
                count=len(pairs),
                median_baseline=_median([b for b, _, _ in pairs]),
                median_last=_median([last for _, last, _ in pairs]),
                median_change=_median([c.delta for _, _, c in pairs]),
                better=sum(1 for *_, c in pairs if c.word == "better"),
                worse=sum(1 for *_, c in pairs if c.word == "worse"),
                unchanged=sum(1 for *_, c in pairs if c.word == "no change"),
            )
        )
    return {"courses": len(couple_ids), "summaries": summaries}
