"""The medicine gate (CLINICAL.md, "The prescriber's approval"): may a medicine session of this couple happen at
this time? One function, `medicine_gate`, answers it with the approval in force and every reason it is shut.

Nothing plugs it in: each verb that books, moves, documents or completes a medicine session calls it once,
explicitly, and refuses with the reasons it returns."""

import datetime
from typing import NamedTuple

from django.db.models import Max
from django.utils import timezone

from cases.choices import ScreeningOutcome
from cases.models import Couple, Partner
from dosing.integrity import approval_integrity_reasons
from dosing.models import Approval, ApprovalRevocation
from dosing.wording import day_label, partner_name
from sessions.choices import SessionEventKind
from sessions.models import SessionEvent


class Gate(NamedTuple):
    """The gate's answer: the approval a session stands on (None when shut) and every reason it is shut."""

    approval: Approval | None
    reasons: list[str]

    @property
    def is_open(self) -> bool:
        return self.approval is not None and not self.reasons


def partner_dosing_blockers(partner: Partner) -> list[str]:
    """Why this partner may not take ketamine now (empty when cleared and consented)."""
    screening = partner.screening
    reasons = []
    if not screening.medicine_candidate:
        reasons.append(f"{partner_name(partner)} was screened as sober support only.")
    if screening.outcome != ScreeningOutcome.CLEARED:
        reasons.append(
            f"{partner_name(partner)} is not cleared (screening: {screening.get_outcome_display().lower()})."
        )
    if not screening.has_consent:
        reasons.append(f"{partner_name(partner)} has not signed consent.")
    if screening.item9_review_id is not None:
        # cases.services: a positive PHQ-9 item 9 recorded after the clearance waits for the prescriber.
        reasons.append(
            f"{partner_name(partner)} answered PHQ-9 item 9 (thoughts of self-harm) above 0 after being cleared: "
            "back to prescriber review; no medicine session for them until the couple's prescriber records a decision."
        )
    return reasons


def _sessions_used(approval: Approval, *, before: datetime.datetime | None, exclude_pk=None) -> int:
    from sessions.choices import PLANNED_STATUSES, Phase

    sessions = approval.couple.sessions.filter(phase=Phase.MEDICINE, status__in=PLANNED_STATUSES, approval=approval)
    if before is not None:
        sessions = sessions.filter(start__lt=before)
    if exclude_pk is not None:
        sessions = sessions.exclude(pk=exclude_pk)
    return sessions.count()


def _approval_reasons(approval: Approval, *, start: datetime.datetime, session_pk) -> list[str]:
    day = timezone.localtime(start).date()
    reasons = []
    if day < approval.valid_from:
        reasons.append(f"The approval starts on {day_label(approval.valid_from)}, after {day_label(day)}.")
    if approval.valid_until is not None and day > approval.valid_until:
        reasons.append(f"The approval ended on {day_label(approval.valid_until)}; a new prescriber approval is needed.")
    if approval.sessions_covered is not None:
        used = _sessions_used(approval, before=start, exclude_pk=session_pk)
        if used >= approval.sessions_covered:
            reasons.append(
                f"The approval covers {approval.sessions_covered} medicine session"
                f"{'s' if approval.sessions_covered != 1 else ''}, and {used} already use it."
            )
    return reasons


def _no_approval_reason(couple: Couple) -> str:
    latest = Approval.objects.filter(couple=couple).select_related("revocation").order_by("-signed_at", "-id").first()
    if latest is not None and hasattr(latest, "revocation"):
        return (
            f"The {latest.info.name.lower()} approval was revoked on "
            f"{day_label(timezone.localtime(latest.revocation.revoked_at).date())}: {latest.revocation.reason}. "
            "A new prescriber approval is needed."
        )
    return "No prescriber approval of a dosing approach is on file for this couple."


def medicine_gate(*, couple: Couple, start: datetime.datetime, session_pk=None) -> Gate:
    """The gate for a medicine session of this couple at this time: the current approval if it covers the day and
    the count and every dosing partner is cleared and consented, else None and every reason (all of them, not the
    first). session_pk is the session being decided (it does not count against its own approval)."""
    approval = Approval.objects.current().filter(couple=couple).order_by("-signed_at", "-id").first()
    if approval is None:
        return Gate(None, [_no_approval_reason(couple)])
    approval.couple = couple  # found by this couple
    doses = list(approval.doses.select_related("partner__screening"))
    reasons = approval_integrity_reasons(approval=approval, doses=doses)  # verified at every use, not trusted
    reasons += _approval_reasons(approval, start=start, session_pk=session_pk)
    for dose in doses:
        reasons.extend(partner_dosing_blockers(dose.partner))
    return Gate(None, reasons) if reasons else Gate(approval, [])


def medicine_sessions_blocked(*, couple: Couple | None = None) -> list:
    """Booked medicine sessions from now on whose gate is shut (revoked, expired, used up, partner not cleared)."""
    from sessions.choices import Phase, SessionStatus
    from sessions.models import TherapySession

    sessions = TherapySession.objects.filter(
        phase=Phase.MEDICINE, status=SessionStatus.SCHEDULED, started_at__isnull=True, start__gte=timezone.now()
    ).select_related("couple", "therapist")
    if couple is not None:
        sessions = sessions.filter(couple=couple)
    blocked = []
    for session in sessions.order_by("start"):
        gate = medicine_gate(couple=session.couple, start=session.start, session_pk=session.pk)
        if gate.reasons:
            session.gate_reasons = gate.reasons
            blocked.append(session)
    return blocked


def dose_gate(*, session, at: datetime.datetime) -> Gate:
    """The gate for one more dose in a started medicine session, at the dose's own clinical time, on the approval
    the session started under: revoked or superseded by then, outside its days or count at that time, a dosing
    partner not cleared and consented, or a clearance decided again after the session started. Shut means no
    further dose; monitoring and discharge go on. A dose given before the gate shut (entered late) still passes:
    the record and the controlled-substance log say what happened."""
    approval = Approval.objects.filter(pk=session.approval_id).first()
    if approval is None:
        return Gate(None, ["This medicine session stands on no prescriber approval."])
    approval.couple = session.couple
    doses = list(approval.doses.select_related("partner__screening"))
    reasons = approval_integrity_reasons(approval=approval, doses=doses)
    revocation = ApprovalRevocation.objects.filter(approval=approval, revoked_at__lte=at).first()
    if revocation is not None:
        reasons.append(
            f"The {approval.info.name.lower()} approval was revoked on "
            f"{day_label(timezone.localtime(revocation.revoked_at).date())}: {revocation.reason}."
        )
    successor = Approval.objects.filter(supersedes=approval, signed_at__lte=at).first()
    if successor is not None:
        reasons.append(
            f"The approval this session started under was superseded by the {successor.info.name.lower()} approval "
            f"signed on {day_label(timezone.localtime(successor.signed_at).date())}."
        )
    reasons += _approval_reasons(approval, start=at, session_pk=session.pk)
    # Since the start was entered (its event), not only the start time it names: a start recorded for a session
    # held earlier does not make the clearances decided before the entry "new".
    entered = SessionEvent.objects.filter(session=session, kind=SessionEventKind.STAGE).aggregate(m=Max("at"))["m"]
    since = max(session.started_at, entered or session.started_at) if session.started_at else at
    for dose in doses:
        reasons.extend(partner_dosing_blockers(dose.partner))
        decided_at = dose.partner.screening.outcome_at
        if decided_at is not None and since < decided_at <= at:
            reasons.append(f"{partner_name(dose.partner)}'s clearance was decided again after the session started.")
    return Gate(None, reasons) if reasons else Gate(approval, [])
