"""The medicine session as a state machine (CLINICAL.md, "The medicine session, moment by moment").

States are sessions.choices.MedicineState, read from the session's status and lifecycle facts
(TherapySession.medicine_state). TRANSITIONS is the table of allowed moves; each move has one function here (or,
for the endings every session shares, a guard here that sessions.services calls) and writes a SessionEvent.
`available_actions` tells a page what the user may do now and why not; pages render that list and decide nothing.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone

from accounts.models import User
from cases.policy import may_manage_sessions, may_start_medicine_session, require
from clinic.services import clinic_settings_get
from dosing.gate import medicine_gate, medicine_sessions_blocked
from dosing.models import Administration, Discharge, Notice
from dosing.protocol import medicine_step_reasons, sober_consent_blocked
from dosing.wording import partner_name
from outbox.models import OutboxKind
from outbox.services import outbox_add
from sessions.choices import MedicineState, Phase, SessionEventKind
from sessions.models import SessionEvent, TherapySession

S = MedicineState

# The only moves a medicine session makes. Once any dose is given the session can only end completed: the guard
# of cancel and no-show refuses it (an in-progress session without a dose may still be cancelled).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.BOOKED: (S.BLOCKED, S.IN_PROGRESS, S.CANCELLED, S.NO_SHOW),
    S.BLOCKED: (S.BOOKED, S.CANCELLED, S.NO_SHOW),
    S.IN_PROGRESS: (S.OBSERVATION, S.CANCELLED, S.NO_SHOW),
    S.OBSERVATION: (S.COMPLETED,),
    S.COMPLETED: (),
    S.CANCELLED: (),
    S.NO_SHOW: (),
}

# What each state still allows at the bedside (CLINICAL.md: doses only while in progress; monitoring goes on).
BEDSIDE = {
    "plan": (S.BOOKED, S.IN_PROGRESS),
    "predose": (S.IN_PROGRESS,),
    "dose": (S.IN_PROGRESS,),
    "override": (S.IN_PROGRESS,),
    "vitals": (S.IN_PROGRESS, S.OBSERVATION),
    "side_effect": (S.IN_PROGRESS, S.OBSERVATION),
    "discharge": (S.IN_PROGRESS, S.OBSERVATION),
}
BEDSIDE_WORDS = {
    "plan": "The session plan is",
    "predose": "Pre-dose checks are",
    "dose": "A dose is",
    "override": "A hold override is",
    "vitals": "Vital signs are",
    "side_effect": "A side effect is",
    "discharge": "A discharge is",
}
# How a sentence names a state: "this session is in observation".
STATE_WORDS = {
    S.BOOKED: "booked",
    S.BLOCKED: "blocked",
    S.IN_PROGRESS: "in progress",
    S.OBSERVATION: "in observation",
    S.COMPLETED: "completed",
    S.CANCELLED: "cancelled",
    S.NO_SHOW: "a no-show",
}


@dataclass(frozen=True)
class Action:
    """Something the user might do to the session now: allowed or not, and every reason why not. It carries all a
    page needs to offer it (where it posts, whether it asks for a reason and a confirmation), so a template renders
    any action alike and never chooses by name."""

    name: str
    label: str
    allowed: bool
    reasons: tuple[str, ...] = ()
    url: str = ""
    method: str = "post"
    reason_field: str = ""  # the form field of the reason it asks for ("" when it asks none)
    confirm: bool = False  # asks "are you sure?" on a page of its own before it is done
    style: str = "primary"  # the button's colour: primary, success or danger


# How each move is offered: (url name, reason field, asks for confirmation, style). Cancelling or marking a no-show
# before any dose needs a reason and a confirmation (CLINICAL.md, ending a medicine session).
OFFERS = {
    "start": ("dosing:medicine_start", "", False, "primary"),
    "observe": ("dosing:medicine_observe", "", False, "primary"),
    "complete": ("sessions:session_complete", "", False, "success"),
    "cancel": ("sessions:session_cancel", "cancel-reason", True, "danger"),
    "no_show": ("sessions:session_no_show", "cancel-reason", True, "danger"),
}


def _action(session: TherapySession, name: str, label: str, reasons) -> Action:
    url_name, reason_field, confirm, style = OFFERS[name]
    return Action(
        name=name,
        label=label,
        allowed=not reasons,
        reasons=tuple(reasons),
        url=reverse(url_name, kwargs={"session_uuid": session.uuid}),
        reason_field=reason_field,
        confirm=confirm,
        style=style,
    )


def _label(state: str) -> str:
    return STATE_WORDS[state]


def _moment(value: datetime.datetime) -> str:
    return formats.date_format(timezone.localtime(value), "j M Y, H:i")


def is_dosed(session: TherapySession) -> bool:
    """Whether any dose was given in this session (it then counts for the interval rule whatever its state)."""
    return Administration.objects.filter(session=session).exists()


def require_bedside(session: TherapySession, what: str) -> None:
    """Refuse a bedside record the session's state does not allow, saying which state allows it."""
    if session.phase != Phase.MEDICINE:
        raise ValidationError("Only a medicine session has a dosing record.")
    # The caller's copy may be older than a start or an ending made meanwhile (another tab, a task).
    session.refresh_from_db(fields=["status", "started_at", "dosing_done_at", "blocked_reason"])
    state = session.medicine_state
    allowed = BEDSIDE[what]
    if state not in allowed:
        extra = ""
        if state in (S.COMPLETED, S.CANCELLED, S.NO_SHOW):
            extra = " and its dosing record is closed (add an amendment to the session note to correct it)"
        elif state == S.BLOCKED:
            extra = f". {session.blocked_reason}"
        raise ValidationError(
            f"{BEDSIDE_WORDS[what]} recorded only while the session is "
            f"{' or '.join(_label(s) for s in allowed)}; this session is {_label(state)}{extra}.",
            code="bedside_state",
        )


def medicine_completion_blockers(session: TherapySession) -> list[str]:
    """A medicine session is complete once someone was dosed and every dosed partner was discharged."""
    dosed = {a.partner_id: a.partner for a in session.administrations.select_related("partner")}
    if not dosed:
        return ["No dose is recorded: document the doses (or cancel the session if no one was dosed)."]
    discharged = set(Discharge.objects.filter(session=session).values_list("partner_id", flat=True))
    return [f"{partner_name(p)} is not discharged yet." for pk, p in dosed.items() if pk not in discharged]


def _move(*, by: User | None, session: TherapySession, to: str, note: str = "") -> None:
    frm = session.medicine_state
    if to not in TRANSITIONS[frm]:
        raise ValidationError(f"A medicine session that is {_label(frm)} cannot become {_label(to)}.")
    SessionEvent.objects.create(
        session=session,
        kind=SessionEventKind.STAGE,
        actor=by,
        note=note,
        summary=f"{MedicineState(frm).label} \u2192 {MedicineState(to).label}",
    )


def _locked(session: TherapySession) -> TherapySession:
    locked = TherapySession.objects.select_for_update().select_related("couple").get(pk=session.pk)
    if locked.phase != Phase.MEDICINE:
        raise ValidationError("Only a medicine session has these stages.")
    return locked


# -- guards -----------------------------------------------------------------------------------------------


def start_blockers(session: TherapySession, *, user: User, now: datetime.datetime) -> list[str]:
    """Why the session cannot be started by this user now (empty when it can)."""
    state = session.medicine_state
    if state != S.BOOKED:
        return [
            f"Only a booked medicine session is started; this one is {_label(state)}."
            + (f" {session.blocked_reason}" if state == S.BLOCKED else "")
        ]
    reasons = []
    verdict = may_start_medicine_session(user, session)
    if not verdict:
        reasons.append(verdict.reason)
    early = datetime.timedelta(minutes=clinic_settings_get().medicine_start_early_minutes)
    if now < session.start - early:
        reasons.append(
            f"It is booked for {_moment(session.start)}; it can be started from {_moment(session.start - early)}."
        )
    gate = medicine_gate(couple=session.couple, start=session.start, session_pk=session.pk)
    # The protocol again, on what was held by now: a preparation cancelled since booking stops the start too.
    return list(dict.fromkeys(reasons + gate.reasons + medicine_step_reasons(session, approval=gate.approval)))


def observation_blockers(session: TherapySession, *, dosed: bool | None = None) -> list[str]:
    """Why dosing cannot be declared done (empty when it can). dosed: whether a dose was given, if the caller
    loaded the doses already (asked of the database otherwise)."""
    state = session.medicine_state
    if state != S.IN_PROGRESS:
        return [f"Only a medicine session in progress moves to observation; this one is {_label(state)}."]
    if not (is_dosed(session) if dosed is None else dosed):
        return ["No dose is recorded: record the doses given, or cancel the session if no one was dosed."]
    return []


def end_blockers(session: TherapySession, *, to: str, dosed: bool | None = None) -> list[str]:
    """Why a medicine session cannot end this way (cancelled, no-show, completed); empty when it can. dosed: as
    for observation_blockers."""
    state = session.medicine_state
    if to not in TRANSITIONS[state]:
        if to in (S.CANCELLED, S.NO_SHOW) and state == S.OBSERVATION:
            return [f"A dose was given: this session can only end completed, not {_label(to)}."]
        if to == S.COMPLETED and state in (S.BOOKED, S.BLOCKED, S.IN_PROGRESS):
            return [
                f"A medicine session is completed from observation; this one is {_label(state)}"
                + (" (declare dosing done first)." if state == S.IN_PROGRESS else ".")
            ]
        return [f"A medicine session that is {_label(state)} cannot become {_label(to)}."]
    if to in (S.CANCELLED, S.NO_SHOW) and (is_dosed(session) if dosed is None else dosed):
        return [f"A dose was given: this session can only end completed, not {_label(to)}."]
    return []


# -- transitions ------------------------------------------------------------------------------------------


def medicine_session_start(
    *, by: User, session: TherapySession, now: datetime.datetime | None = None
) -> TherapySession:
    """Its therapist starts a booked medicine session, not before its start less the clinic's early minutes, with the
    gate open."""
    now = now or timezone.now()
    with transaction.atomic():
        session = _locked(session)
        require(may_start_medicine_session(by, session))
        reasons = start_blockers(session, user=by, now=now)
        if reasons:
            raise ValidationError({"started_at": reasons})
        _move(by=by, session=session, to=S.IN_PROGRESS)
        session.started_at = now
        session.save(update_fields=["started_at"])
    return session


def medicine_session_observe(*, by: User, session: TherapySession) -> TherapySession:
    """Dosing is done: the session moves to observation (monitoring and discharge go on, no more doses)."""
    with transaction.atomic():
        session = _locked(session)
        require(may_manage_sessions(by, session.couple))
        reasons = observation_blockers(session)
        if reasons:
            raise ValidationError({"dosing_done_at": reasons})
        _move(by=by, session=session, to=S.OBSERVATION)
        session.dosing_done_at = timezone.now()
        session.save(update_fields=["dosing_done_at"])
    return session


def medicine_session_block(*, by: User | None, session: TherapySession, reasons: list[str]) -> bool:
    """The gate shut after booking: the booked session is blocked, with the reasons, until it is moved to a time
    the gate allows or cancelled. Returns whether it changed (safe to run twice)."""
    with transaction.atomic():
        session = _locked(session)
        if session.medicine_state != S.BOOKED:
            return False
        text = "Blocked: " + " ".join(reasons)
        _move(by=by, session=session, to=S.BLOCKED, note=text)
        session.blocked_reason = text
        session.save(update_fields=["blocked_reason"])
        # The partners' reminders are withdrawn once this commits (jobs/reminders.py); rebooking plans them again.
        outbox_add(kind=OutboxKind.SESSION_CHANGED, object_id=session.pk)
    return True


def medicine_session_unblock(*, by: User, session: TherapySession) -> None:
    """A blocked session moved or re-checked with the gate open is booked again (called inside the caller's
    transaction, on the locked row)."""
    if session.medicine_state == S.BLOCKED:
        _move(by=by, session=session, to=S.BOOKED, note="The gate is open again.")
        session.blocked_reason = ""
        session.save(update_fields=["blocked_reason"])


# -- what a page shows ------------------------------------------------------------------------------------


def available_actions(
    session: TherapySession,
    user: User,
    now: datetime.datetime | None = None,
    *,
    dosed: bool | None = None,
    team=None,
) -> list[Action]:
    """The moves of this medicine session a page offers the user now, each allowed or not with every reason.
    A page that loaded the doses or the care team already passes them (dosed; team, a cases.policy care team), so
    the machine decides from them without asking the database again."""
    now = now or timezone.now()
    state = session.medicine_state
    verdict = may_manage_sessions(user, team if team is not None else session.couple)
    if dosed is None and state in (S.BOOKED, S.BLOCKED, S.IN_PROGRESS):
        dosed = is_dosed(session)  # once, for every guard below that asks
    manager, not_manager = bool(verdict), (verdict.reason,)
    actions = []
    if state in (S.BOOKED, S.BLOCKED):
        actions.append(_action(session, "start", "Start the session", start_blockers(session, user=user, now=now)))
    if state == S.IN_PROGRESS:
        reasons = observation_blockers(session, dosed=dosed) if manager else list(not_manager)
        actions.append(_action(session, "observe", "Dosing done: move to observation", reasons))
    if state == S.OBSERVATION:
        reasons = medicine_completion_blockers(session) if manager else list(not_manager)
        actions.append(_action(session, "complete", "Complete the session", reasons))
    for to, name, label in ((S.CANCELLED, "cancel", "Cancel the session"), (S.NO_SHOW, "no_show", "Mark a no-show")):
        if state in (S.COMPLETED, S.CANCELLED, S.NO_SHOW):
            continue
        reasons = end_blockers(session, to=to, dosed=dosed) if manager else list(not_manager)
        if to == S.NO_SHOW and not reasons and session.start > now:
            reasons = ["A session can only be marked a no-show once its start time has passed."]
        actions.append(_action(session, name, label, reasons))
    return actions


# -- the gate shutting after booking ----------------------------------------------------------------------


def medicine_sessions_block(*, by: User | None, couple=None) -> list[TherapySession]:
    """Block every booked medicine session from now on whose gate is shut, and tell its therapists once; returns
    the sessions whose gate is shut (blocked now or before). Safe to run twice."""
    blocked = medicine_sessions_blocked(couple=couple)
    by_pk = {s.pk: s for s in blocked}
    for session in sober_consent_blocked(couple=couple):  # the gate's reasons and the protocol's, once each
        if session.pk in by_pk:
            by_pk[session.pk].gate_reasons = list(dict.fromkeys(by_pk[session.pk].gate_reasons + session.gate_reasons))
        else:
            blocked.append(session)
    for session in blocked:
        medicine_session_block(by=by, session=session, reasons=session.gate_reasons)
        for therapist in session.couple.therapists.all():
            Notice.objects.get_or_create(
                recipient=therapist,
                blocked_session=session,
                defaults={
                    "couple": session.couple,
                    "text": f"{session} is blocked: {' '.join(session.gate_reasons)} Move or cancel it, or ask "
                    "the prescriber for a new approval. Its plan and notes can still be written.",
                },
            )
    return blocked


def medicine_gate_sweep() -> int:
    """Beat: booked medicine sessions the gate now shuts (an approval expired, used up or revoked; a partner no
    longer cleared) are blocked and their therapists told once. Returns how many sessions changed."""
    before = set(
        TherapySession.objects.filter(phase=Phase.MEDICINE).exclude(blocked_reason="").values_list("pk", flat=True)
    )
    return len({s.pk for s in medicine_sessions_block(by=None)} - before)
