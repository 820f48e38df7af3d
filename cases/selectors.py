"""Reads of cases shared by pages, dashboards and exports, always scoped to the user."""

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from accounts.models import User
from cases.choices import Contraindication, CoupleStatus, ScreeningOutcome
from cases.instruments import INSTRUMENTS
from cases.models import CaseEvent, Couple, Partner, QuestionnaireResponse, search_text
from cases.policy import visible_couples
from cases.scores import latest_responses
from clinic.services import clinic_settings_get

TIMELINE_LENGTH = 50
OPEN_STATUSES = (CoupleStatus.REFERRED, CoupleStatus.SCREENING, CoupleStatus.ACTIVE)


def partners_named(search: str) -> QuerySet[Partner]:
    """The partners of the outer couple whose name holds every word searched, in any order and partly, without
    accents or case ("zoe nun" finds Zoë Núñez; so does "Núñez Zoë"). A subquery: no join, no DISTINCT."""
    partners = Partner.objects.filter(couple=OuterRef("pk"))
    for word in search_text(search).split():
        partners = partners.filter(search_name__contains=word)
    return partners


def couple_list(*, user: User, search: str = "", status: str = "", therapist_id: int | None = None) -> QuerySet[Couple]:
    """The user's couples, filtered, with partners and care team loaded in a fixed number of queries."""
    couples = visible_couples(user)
    search = search.strip()
    if search:
        couples = couples.filter(Q(case_number__icontains=search) | Exists(partners_named(search)))
    if status:
        couples = couples.filter(status=status)
    if therapist_id:
        couples = couples.filter(therapists__id=therapist_id)
    return (
        couples.select_related("prescriber")
        .prefetch_related(
            Prefetch("partners", queryset=Partner.objects.select_related("screening").order_by("label")),
            Prefetch("therapists", queryset=User.objects.order_by("last_name")),
        )
        .order_by("case_number")
    )


@dataclass
class ScoreView:
    """The latest score of one instrument for one partner, ready for display."""

    name: str
    score: int
    max_score: int
    band: str
    severity: int
    administered_on: object
    flags: tuple = ()
    provisional: str = ""  # PCL-5: the DSM-5 cluster rule's reading, beside the total


@dataclass
class PartnerView:
    partner: Partner
    contraindications: list = field(default_factory=list)
    checklist_complete: bool = False
    present_contraindications: list = field(default_factory=list)
    scores: list[ScoreView] = field(default_factory=list)


def couple_detail(*, couple: Couple) -> dict:
    """Everything the couple page shows, in a number of queries that does not grow with the data."""
    partners = list(
        couple.partners.select_related("screening", "screening__outcome_by", "screening__item9_review")
        .prefetch_related("screening__contraindications")
        .order_by("label")
    )
    cutoff = clinic_settings_get().pcl5_cutoff
    latest = latest_responses(QuestionnaireResponse.objects.filter(partner__couple=couple))
    views = []
    for partner in partners:
        findings = {f.code: f for f in partner.screening.contraindications.all()}
        view = PartnerView(
            partner=partner,
            contraindications=[(Contraindication(code).label, findings.get(code)) for code in Contraindication.values],
            checklist_complete=len(findings) == len(Contraindication.values),
            present_contraindications=[Contraindication(c).label for c, f in findings.items() if f.present],
        )
        for code, definition in INSTRUMENTS.items():
            response = latest.get((partner.id, code))
            if response is not None:
                band = definition.band_for(response.score, cutoff=cutoff)
                flags = definition.flags_for(response.answers) if response.suicide_risk else ()
                provisional = response.provisional
                view.scores.append(
                    ScoreView(
                        definition.name,
                        response.score,
                        definition.max_score,
                        band.label,
                        band.severity,
                        response.administered_on,
                        flags,
                        provisional.label if provisional else "",
                    )
                )
            else:
                view.scores.append(ScoreView(definition.name, None, definition.max_score, "not recorded", -1, None))
        views.append(view)
    events = list(
        CaseEvent.objects.filter(couple=couple)
        .select_related("actor", "partner")
        .order_by("-at", "-id")[:TIMELINE_LENGTH]
    )
    return {"partners": views, "events": events, "therapists": list(couple.therapists.all())}


def prescriber_review_queue(*, user: User) -> QuerySet[Couple]:
    """Couples of this prescriber with a partner waiting for their decision (a positive PHQ-9 item 9 after the
    clearance included)."""
    waiting = Partner.objects.filter(couple=OuterRef("pk")).filter(
        Q(screening__outcome=ScreeningOutcome.REVIEW)
        | Q(screening__item9_review__isnull=False)
        | Q(
            screening__outcome=ScreeningOutcome.PENDING,
            screening__medicine_candidate=True,
            screening__consent_signed_on__isnull=False,
        )
    )
    return (
        visible_couples(user)
        .filter(prescriber=user)
        .filter(Exists(waiting), status__in=[CoupleStatus.REFERRED, CoupleStatus.SCREENING, CoupleStatus.ACTIVE])
        .prefetch_related(Prefetch("partners", queryset=Partner.objects.select_related("screening").order_by("label")))
        .order_by("case_number")
    )


def therapist_open_couples(*, user: User) -> QuerySet[Couple]:
    """The therapist's own open couples (referred, screening, active), in case number order."""
    return couple_list(user=user).filter(therapists=user, status__in=OPEN_STATUSES)


def therapist_todo(*, couples: list[Couple]) -> list[tuple[Couple, list[str]]]:
    """What needs doing next for each of these open couples (one query besides the couples)."""
    flagged = set(
        QuestionnaireResponse.objects.filter(
            partner__couple__in=[c.pk for c in couples], suicide_risk=True
        ).values_list("partner_id", flat=True)
    )
    result = []
    for couple in couples:
        todo = []
        if couple.status == CoupleStatus.REFERRED:
            todo.append("Start screening")
        for partner in couple.partners.all():
            screening = partner.screening
            if partner.id in flagged:
                todo.append(f"{partner.first_name}: PHQ-9 suicide-risk item flagged")
            if couple.status in (CoupleStatus.REFERRED, CoupleStatus.SCREENING):
                if not screening.has_consent:
                    todo.append(f"{partner.first_name}: consent not signed")
                if screening.outcome == ScreeningOutcome.PENDING:
                    todo.append(f"{partner.first_name}: screening outcome pending")
        if couple.status == CoupleStatus.SCREENING and all(
            p.screening.outcome not in (ScreeningOutcome.PENDING, ScreeningOutcome.REVIEW) and p.screening.has_consent
            for p in couple.partners.all()
        ):
            # The status follows once a preparation is booked (cases/services.py, couple_activation_follow).
            todo.append("Screening complete: book the first preparation session to start treatment")
        result.append((couple, todo))
    return result


def clinic_overview() -> dict:
    """Counts an admin sees at a glance."""
    from django.db.models import Count

    by_status = dict(Couple.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    # The care team by role, in one query (a person may hold two roles and counts in each).
    users = User.objects.filter(is_active=True).aggregate(
        therapists=Count("id", filter=Q(is_therapist=True)),
        prescribers=Count("id", filter=Q(is_prescriber=True)),
        admins=Count("id", filter=Q(is_clinic_admin=True)),
    )
    return {
        "by_status": [(label, by_status.get(value, 0), value) for value, label in CoupleStatus.choices],
        "total": sum(by_status.values()),
        "users": users,
        "waiting_review": Partner.objects.filter(screening__outcome=ScreeningOutcome.REVIEW).count(),
        "recent": list(CaseEvent.objects.select_related("couple", "actor").order_by("-at", "-id")[:15]),
    }
