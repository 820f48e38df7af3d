"""The protocol asked again at each step of a medicine session (CLINICAL.md, "The phased protocol" and "The
medicine session, moment by moment"): booking and moving ask the course's plan, starting, documenting and
completing ask what was held (sessions/course.py decides both). The prescriber's gate is dosing/gate.py; this
module adds what neither decides alone: the sober partner's consent under solo administration."""

from django.utils import timezone

from cases.models import Couple
from clinic.services import clinic_settings_get
from dosing.models import Approval
from dosing.wording import partner_name
from sessions import course
from sessions.choices import Phase, SessionStatus
from sessions.models import TherapySession


def sober_partner_blockers(*, couple: Couple, approval: Approval | None = None) -> list[str]:
    """Under solo administration the sober partner stays as support: they need signed consent (not clearance).
    Empty for the other approaches, or when no approval is current (the gate says so)."""
    if approval is None:
        approval = Approval.objects.current().filter(couple=couple).order_by("-signed_at", "-id").first()
    if approval is None or not approval.info.needs_sober_partner:
        return []
    dosing = set(approval.doses.values_list("partner_id", flat=True))
    return [
        f"Solo administration: the sober partner, {partner_name(p)}, has not signed consent."
        for p in couple.partners.select_related("screening").order_by("label")
        if p.pk not in dosing and not p.screening.has_consent
    ]


def medicine_course_reasons(session: TherapySession, *, mode: course.Mode = course.Mode.DONE) -> list[str]:
    """Why the course does not allow this medicine session at its time (empty when it does): standing on what was
    held (starting, documenting, completing) or on the plan."""
    if session.phase != Phase.MEDICINE:
        return []
    state = course.course_state_build(couple=session.couple, settings=clinic_settings_get())
    step = state.step_of(session) or course.step_of_session(session)
    return list(course.decide_step(state, step, mode=mode).reasons)


def medicine_step_reasons(session: TherapySession, *, approval: Approval | None = None) -> list[str]:
    """The protocol's reasons at a step of a held medicine session (start, pre-dose checks, a dose): the course
    on what was held, and the sober partner's consent."""
    return medicine_course_reasons(session) + sober_partner_blockers(couple=session.couple, approval=approval)


def sober_consent_blocked(*, couple: Couple | None = None) -> list[TherapySession]:
    """Booked medicine sessions from now on whose solo approval's sober partner has no signed consent, each with
    the reasons in `gate_reasons` (as dosing.gate.medicine_sessions_blocked gives them), for the sweep to block."""
    sessions = TherapySession.objects.filter(
        phase=Phase.MEDICINE, status=SessionStatus.SCHEDULED, started_at__isnull=True, start__gte=timezone.now()
    ).select_related("couple", "therapist")
    if couple is not None:
        sessions = sessions.filter(couple=couple)
    found = []
    for session in sessions.order_by("start"):
        reasons = sober_partner_blockers(couple=session.couple)
        if reasons:
            session.gate_reasons = reasons
            found.append(session)
    return found
