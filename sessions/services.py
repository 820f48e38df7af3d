"""Verbs that change sessions and notes. Each checks its rules, writes the change and its history rows."""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone

from accounts.models import User
from audit.choices import AuditAction
from audit.services import audit_record
from cases import policy
from cases.choices import CoupleStatus, EventKind
from cases.models import CaseEvent, Couple
from cases.services import couple_activation_follow, couple_status_follow
from clinic.services import clinic_settings_get
from dosing.approvals import course_medicine_maximum
from dosing.gate import Gate, medicine_gate
from dosing.lifecycle import end_blockers, is_dosed, medicine_completion_blockers, medicine_session_unblock
from dosing.protocol import sober_partner_blockers
from kapcouples.clock import moment_label
from outbox.models import OutboxKind
from outbox.services import outbox_add
from sessions import course
from sessions.choices import (
    NOTE_FIELDS,
    PLANNED_STATUSES,
    SESSION_TRANSITIONS,
    NoteStatus,
    Phase,
    Place,
    SessionEventKind,
    SessionStatus,
)
from sessions.course import CourseState, Decision, Mode, Step
from sessions.models import MAX_SESSION_MINUTES, NoteAmendment, Room, SessionEvent, SessionNote, TherapySession
from sessions.telehealth import video_url_check


@dataclass
class SessionChange:
    """What a scheduling verb did: the session, warnings that do not block, and later sessions now out of order."""

    session: TherapySession
    warnings: list[str] = field(default_factory=list)
    out_of_order: list[str] = field(default_factory=list)


def default_duration(phase: str) -> int:
    """The clinic's typical length of a session of this phase, in minutes."""
    settings = clinic_settings_get()
    return {
        Phase.ASSESSMENT: settings.assessment_minutes,
        Phase.PREPARATION: settings.preparation_minutes,
        Phase.MEDICINE: settings.medicine_minutes,
        Phase.INTEGRATION: settings.integration_minutes,
        Phase.FOLLOW_UP: settings.follow_up_minutes,
    }[phase]


def _case_event(
    *, session: TherapySession, by: User, summary: str, kind: str = EventKind.SESSION, note: str = ""
) -> None:
    CaseEvent.objects.create(couple_id=session.couple_id, kind=kind, summary=summary[:300], note=note, actor=by)


def _describe(session: TherapySession) -> str:
    return f"{session.title} on {moment_label(session.start)}"


def _time_span(session: TherapySession) -> str:
    local_end = timezone.localtime(session.end)
    return f"{moment_label(session.start)}-{local_end:%H:%M}"


def _check_place(place: str, room: Room | None, errors: dict, *, existing_room_id=None) -> None:
    if place not in Place.values:
        errors["place"] = "Choose the office, telehealth or home."
    elif place == Place.OFFICE and room is None:
        errors["room"] = "Choose the office room."
    elif place != Place.OFFICE and room is not None:
        errors["room"] = f"A {Place(place).label.lower()} session has no office room; leave the room empty."
    elif room is not None and not room.active and room.pk != existing_room_id:
        errors["room"] = f"{room} is no longer in use; choose another room."


def _check_timing(start: datetime.datetime, duration_minutes: int, errors: dict) -> None:
    if timezone.is_naive(start):
        raise ValueError("Session times must be timezone-aware.")
    now = timezone.now()
    horizon = clinic_settings_get().booking_horizon_days
    if start <= now:
        errors["start"] = f"A session cannot be booked in the past ({moment_label(start)} has gone)."
    elif start > now + datetime.timedelta(days=horizon):
        errors["start"] = (
            f"Sessions are booked at most {horizon} days ahead (the clinic's booking horizon, until "
            f"{formats.date_format(timezone.localdate(now) + datetime.timedelta(days=horizon))}); "
            "choose an earlier date."
        )
    if duration_minutes is None or not 0 < duration_minutes <= MAX_SESSION_MINUTES:
        errors["duration_minutes"] = "The session must end after it starts (and last at most 12 hours)."


def _lock(couple: Couple, therapist: User, room: Room | None) -> Couple:
    # Always couple, then therapist, then room, so two bookings never wait on each other in a circle.
    couple = Couple.objects.select_for_update().get(pk=couple.pk)
    User.objects.select_for_update().filter(pk=therapist.pk).exists()
    if room is not None:
        Room.objects.select_for_update().filter(pk=room.pk).exists()
    return couple


def _check_clashes(
    *,
    couple: Couple,
    therapist: User,
    room: Room | None,
    start: datetime.datetime,
    end: datetime.datetime,
    exclude=None,
) -> dict:
    busy = TherapySession.objects.filter(status__in=PLANNED_STATUSES, start__lt=end, end__gt=start)
    if exclude is not None:
        busy = busy.exclude(pk=exclude)
    errors: dict[str, list[str]] = {}
    clash = busy.filter(therapist=therapist).select_related("couple").first()
    if clash is not None:
        errors.setdefault("start", []).append(
            f"{therapist} is already booked then: {clash.couple}'s {clash.title.lower()} ({_time_span(clash)})."
        )
    clash = busy.filter(couple=couple).exclude(therapist=therapist).select_related("therapist").first()
    if clash is not None:
        errors.setdefault("start", []).append(
            f"{couple} already has a {clash.title.lower()} with {clash.therapist} then ({_time_span(clash)})."
        )
    if room is not None:
        clash = busy.filter(room=room).select_related("therapist").first()
        if clash is not None:
            # Name the therapist, not the couple: the room may be taken by another caseload.
            errors.setdefault("room", []).append(
                f"{room} is already booked then, by {clash.therapist} ({_time_span(clash)})."
            )
    return errors


def _check_therapist(couple: Couple, therapist: User, errors: dict) -> None:
    if not policy.may_work_as_therapist(therapist, couple):
        errors["therapist"] = f"{therapist} is not a therapist on this couple's care team."


def _gate(*, couple: Couple, phase: str, start: datetime.datetime, session_pk=None) -> Gate:
    """The prescriber's gate for a medicine session, asked once per session decided: (the approval in force or
    None, every reason it is shut). Other phases pass it with no approval."""
    if phase != Phase.MEDICINE:
        return Gate(None, [])
    gate = medicine_gate(couple=couple, start=start, session_pk=session_pk)
    sober = sober_partner_blockers(couple=couple, approval=gate.approval)
    return Gate(None, gate.reasons + sober) if sober else gate


def _course(couple: Couple) -> CourseState:
    settings = clinic_settings_get()
    return course.course_state_build(
        couple=couple,
        settings=settings,
        medicine_sessions_allowed=course_medicine_maximum(couple=couple, clinic_maximum=settings.medicine_sessions_max),
    )


def _out_of_order(couple: Couple, state: CourseState) -> dict[object, list[str]]:
    """The sessions still ahead that the plan no longer allows, or whose gate is now shut, with every reason."""
    protocol_reasons = course.out_of_order(state)
    found = {}
    for step in state.steps:
        if not course.is_ahead(step.status):
            continue
        reasons = (
            protocol_reasons.get(step.pk, [])
            + _gate(couple=couple, phase=step.phase, start=step.start, session_pk=step.pk)[1]
        )
        if reasons:
            found[step.pk] = reasons
    return found


def _approval_taken(couple: Couple, before: dict, state: CourseState, *, session: TherapySession) -> list[str]:
    """Medicine sessions still ahead whose gate this change shuts: it takes a session their approval covers (or
    moves ahead of them in its count). Refused, not warned (CLINICAL.md: the approval covers a number of
    sessions)."""
    if session.phase != Phase.MEDICINE:
        return []
    taken = []
    for step in state.steps:
        if (
            step.phase != Phase.MEDICINE
            or step.pk in before
            or step.pk == session.pk
            or not course.is_ahead(step.status)
        ):
            continue
        reasons = _gate(couple=couple, phase=step.phase, start=step.start, session_pk=step.pk).reasons
        if reasons:
            taken.append(
                f"{_describe(step.ref)} is already booked under the approval and would lose its place: "
                + " ".join(reasons)
            )
    return taken


def _newly_out_of_order(couple: Couple, before: dict, state: CourseState) -> list[str]:
    after = _out_of_order(couple, state)
    by_pk = {s.pk: s.ref for s in state.steps}
    return [
        f"{_describe(by_pk[pk])} is now out of order: {' '.join(reasons)}"
        for pk, reasons in after.items()
        if pk not in before
    ]


def _session_insert(
    *,
    by: User,
    couple: Couple,
    therapist: User,
    phase: str,
    start: datetime.datetime,
    duration_minutes: int,
    place: str,
    room: Room | None,
    status: str = SessionStatus.SCHEDULED,
    approval=None,
    video_url: str = "",
) -> TherapySession:
    """Write a new session once nothing clashes with it (called under the couple's, therapist's and room's locks)."""
    end = start.astimezone(datetime.UTC) + datetime.timedelta(minutes=duration_minutes)  # elapsed time
    clashes = _check_clashes(couple=couple, therapist=therapist, room=room, start=start, end=end)
    if clashes:
        raise ValidationError(clashes)
    session = TherapySession(
        couple=couple,
        therapist=therapist,
        phase=phase,
        start=start,
        duration_minutes=duration_minutes,
        place=place,
        room=room,
        status=status,
        created_by=by,
        status_changed_by=by,
        approval=approval,
        video_url=video_url,
    )
    session.full_clean()
    session.save()
    return session


def session_schedule(
    *,
    by: User,
    couple: Couple,
    therapist: User,
    phase: str,
    start: datetime.datetime,
    place: str,
    room: Room | None = None,
    duration_minutes: int | None = None,
    video_url: str = "",
) -> SessionChange:
    """Book a session if it is in the future, fits the protocol's plan and clashes with no booking."""
    policy.require_may_manage_sessions(by, couple)
    errors: dict = {}
    if phase not in Phase.values:
        raise ValidationError({"phase": "Choose the session's phase."})
    if duration_minutes is None:
        duration_minutes = default_duration(phase)
    if not couple.is_open:
        raise ValidationError(f"Case {couple} is {couple.get_status_display().lower()}; no sessions can be booked.")
    _check_timing(start, duration_minutes, errors)
    _check_place(place, room, errors)
    video_url = video_url_check(place=place, video_url=video_url, errors=errors)
    _check_therapist(couple, therapist, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        couple = _lock(couple, therapist, room)
        state = _course(couple)
        before = _out_of_order(couple, state)
        approval, gate_reasons = _gate(couple=couple, phase=phase, start=start)
        decision = course.decide(state, phase=phase, start=start, mode=Mode.PLAN).adding(gate_reasons)
        if not decision.allowed:
            raise ValidationError({"phase": decision.reasons})
        session = _session_insert(
            by=by,
            couple=couple,
            therapist=therapist,
            phase=phase,
            start=start,
            duration_minutes=duration_minutes,
            place=place,
            room=room,
            approval=approval,
            video_url=video_url,
        )
        SessionEvent.objects.create(
            session=session,
            kind=SessionEventKind.BOOKED,
            to_status=session.status,
            actor=by,
            summary=f"Booked with {therapist}, {session.place_label}",
        )
        taken = _approval_taken(couple, before, state, session=session)
        if taken:
            raise ValidationError({"phase": taken})
        _case_event(session=session, by=by, summary=f"Booked: {_describe(session)} with {therapist}")
        if phase == Phase.PREPARATION:
            couple_activation_follow(by=by, couple=couple)
        # Plan its reminders once the booking is committed
        outbox_add(kind=OutboxKind.SESSION_CHANGED, object_id=session.pk)
        later = _newly_out_of_order(couple, before, course.with_step(state, course.step_of_session(session)))
    return SessionChange(session=session, warnings=decision.warnings, out_of_order=later)


PAST_OUTCOMES = (SessionStatus.COMPLETED, SessionStatus.NO_SHOW)


def _check_past_timing(start: datetime.datetime, duration_minutes: int, errors: dict) -> None:
    if timezone.is_naive(start):
        raise ValueError("Session times must be timezone-aware.")
    now = timezone.now()
    days = clinic_settings_get().past_entry_days
    if start > now:
        errors["start"] = (
            f"{moment_label(start)} has not come yet; a session that already took place started in the past. "
            "Book a future session without \u201calready took place\u201d."
        )
    elif start < now - datetime.timedelta(days=days):
        errors["start"] = (
            f"Past sessions are entered at most {days} days after the fact (the clinic's setting); "
            f"{moment_label(start)} is earlier."
        )
    if duration_minutes is None or not 0 < duration_minutes <= MAX_SESSION_MINUTES:
        errors["duration_minutes"] = "The session must end after it starts (and last at most 12 hours)."


def session_record_past(
    *,
    by: User,
    couple: Couple,
    therapist: User,
    phase: str,
    start: datetime.datetime,
    place: str,
    outcome: str,
    reason: str,
    room: Room | None = None,
    duration_minutes: int | None = None,
) -> SessionChange:
    """Enter a session that already took place (held: completed, or missed: no-show) after the fact, with a reason on
    the couple's timeline. It meets the same course rules as a booking (and, held, those of completing it), within
    the clinic's past-entry window. A medicine session is never entered this way: its record is the bedside record."""
    policy.require_may_manage_sessions(by, couple)
    reason = (reason or "").strip()
    if phase not in Phase.values:
        raise ValidationError({"phase": "Choose the session's phase."})
    if phase == Phase.MEDICINE:
        raise ValidationError(
            {
                "phase": "A medicine session is not entered after the fact: its record is the bedside record "
                "(checks, doses, vitals, discharge), kept while it happens. Book it and run it from its page."
            }
        )
    errors: dict = {}
    if outcome not in PAST_OUTCOMES:
        errors["outcome"] = "Say whether the session was held or missed."
    if not reason:
        errors["reason"] = "Say why this session is entered after the fact; it goes on the couple's timeline."
    if duration_minutes is None:
        duration_minutes = default_duration(phase)
    if not couple.is_open:
        raise ValidationError(f"Case {couple} is {couple.get_status_display().lower()}; no sessions can be entered.")
    _check_past_timing(start, duration_minutes, errors)
    _check_place(place, room, errors, existing_room_id=getattr(room, "pk", None))
    _check_therapist(couple, therapist, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        couple = _lock(couple, therapist, room)
        state = _course(couple)
        before = _out_of_order(couple, state)
        decision = course.decide(state, phase=phase, start=start, mode=Mode.PLAN)
        if decision.allowed and outcome == SessionStatus.COMPLETED:
            # Held, it also stands on what was held before it, as completing a booked session does.
            decision = course.decide(state, phase=phase, start=start, mode=Mode.DONE)
        if not decision.allowed:
            raise ValidationError({"phase": decision.reasons})
        session = _session_insert(
            by=by,
            couple=couple,
            therapist=therapist,
            phase=phase,
            start=start,
            duration_minutes=duration_minutes,
            place=place,
            room=room,
            status=outcome,
        )
        label = SessionStatus(outcome).label
        SessionEvent.objects.create(
            session=session,
            kind=SessionEventKind.BOOKED,
            to_status=outcome,
            actor=by,
            note=reason,
            summary=f"Entered after the fact as {label.lower()}, with {therapist}, {session.place_label}",
        )
        _case_event(
            session=session,
            by=by,
            note=reason,
            summary=f"Entered after the fact ({label.lower()}): {_describe(session)} with {therapist}",
        )
        # Who entered it, by name, even from the shell or a task (the row's own audit names only a page's user).
        audit_record(
            action=AuditAction.CREATE,
            actor=by,
            obj=session,
            couple=couple,
            summary=f"clinical_sessions.TherapySession {session.pk} entered after the fact as {outcome}",
        )
        # After the commit: a past integration session is linked to the medicine session it followed; no reminder
        # is planned for a session that is over, and the partners are told nothing.
        outbox_add(kind=OutboxKind.SESSION_CHANGED, object_id=session.pk)
        state = course.with_step(state, course.step_of_session(session))
        if outcome == SessionStatus.COMPLETED:
            if phase == Phase.PREPARATION:
                couple_activation_follow(by=by, couple=couple)
            _course_followed(by=by, couple=couple, session=session, state=state)
        later = _newly_out_of_order(couple, before, state)
    return SessionChange(session=session, warnings=decision.warnings, out_of_order=later)


def session_reschedule(
    *,
    by: User,
    session: TherapySession,
    start: datetime.datetime,
    place: str,
    room: Room | None = None,
    duration_minutes: int | None = None,
    therapist: User | None = None,
    video_url: str | None = None,
) -> SessionChange:
    """Move a scheduled session (time, length, place, therapist, video link: None keeps it) under the same rules as a
    new booking."""
    couple = session.couple
    policy.require_may_manage_sessions(by, couple)
    therapist = therapist or session.therapist
    duration_minutes = duration_minutes or session.duration_minutes
    errors: dict = {}
    _check_timing(start, duration_minutes, errors)
    _check_place(place, room, errors, existing_room_id=session.room_id)
    if video_url is None:
        video_url = session.video_url if place == Place.TELEHEALTH else ""
    video_url = video_url_check(place=place, video_url=video_url, errors=errors)
    _check_therapist(couple, therapist, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        couple = _lock(couple, therapist, room)
        session = TherapySession.objects.select_for_update().get(pk=session.pk)
        if session.status != SessionStatus.SCHEDULED:
            raise ValidationError(f"A {session.get_status_display().lower()} session cannot be moved.")
        if session.started_at is not None:
            raise ValidationError(
                f"This medicine session is {session.get_medicine_state_display().lower()}; "
                "a session that has started cannot be moved."
            )
        state = _course(couple)
        before = _out_of_order(couple, state)
        approval, gate_reasons = _gate(couple=couple, phase=session.phase, start=start, session_pk=session.pk)
        decision = course.decide(state, phase=session.phase, start=start, mode=Mode.PLAN, exclude=session.pk).adding(
            gate_reasons
        )
        if not decision.allowed:
            raise ValidationError({"start": decision.reasons})
        end = start.astimezone(datetime.UTC) + datetime.timedelta(minutes=duration_minutes)  # elapsed time
        clashes = _check_clashes(
            couple=couple, therapist=therapist, room=room, start=start, end=end, exclude=session.pk
        )
        if clashes:
            raise ValidationError(clashes)
        old = _describe(session)
        announce = (session.start, session.place, session.room_id, session.video_url) != (
            start,
            place,
            getattr(room, "pk", None),
            video_url,
        )
        session.start, session.duration_minutes, session.place, session.room = start, duration_minutes, place, room
        session.therapist, session.approval, session.video_url = therapist, approval, video_url
        session.full_clean()
        session.save()
        taken = _approval_taken(couple, before, state, session=session)
        if taken:
            raise ValidationError({"start": taken})
        medicine_session_unblock(by=by, session=session)  # moved to a time the gate allows
        SessionEvent.objects.create(
            session=session,
            kind=SessionEventKind.RESCHEDULED,
            actor=by,
            summary=f"Moved from {old} to {_time_span(session)} with {therapist}, {session.place_label}",
        )
        _case_event(session=session, by=by, summary=f"Moved: {old} to {moment_label(session.start)}")
        # Reminders for the new time, none for the old; and the partners hear of a new time or place
        outbox_add(
            kind=OutboxKind.SESSION_CHANGED, object_id=session.pk, payload={"notice": "moved"} if announce else None
        )
        later = _newly_out_of_order(couple, before, course.with_step(state, course.step_of_session(session)))
    return SessionChange(session=session, warnings=decision.warnings, out_of_order=later)


def _transition(*, by: User, session: TherapySession, to_status: str, note: str = "") -> TherapySession:
    """Move a session along SESSION_TRANSITIONS and record who did it and when."""
    if to_status not in SESSION_TRANSITIONS.get(session.status, ()):
        raise ValidationError(
            f"A {session.get_status_display().lower()} session cannot become {SessionStatus(to_status).label.lower()}."
        )
    from_status = session.status
    session.status = to_status
    session.status_changed_at = timezone.now()
    session.status_changed_by = by
    session.save(update_fields=["status", "status_changed_at", "status_changed_by"])
    summary = f"{SessionStatus(from_status).label} \u2192 {SessionStatus(to_status).label}"
    SessionEvent.objects.create(
        session=session,
        kind=SessionEventKind.STATUS,
        from_status=from_status,
        to_status=to_status,
        actor=by,
        note=note,
        summary=summary,
    )
    _case_event(session=session, by=by, note=note, summary=f"{SessionStatus(to_status).label}: {_describe(session)}")
    # A session that ended or was cancelled sends no more reminders
    outbox_add(kind=OutboxKind.SESSION_CHANGED, object_id=session.pk)
    return session


def _end_session(*, by: User, session: TherapySession, to_status: str, note: str) -> SessionChange:
    policy.require_may_manage_sessions(by, session.couple)
    with transaction.atomic():
        couple = Couple.objects.select_for_update().get(pk=session.couple_id)
        session = TherapySession.objects.select_for_update().get(pk=session.pk)
        if to_status == SessionStatus.NO_SHOW and session.start > timezone.now():
            raise ValidationError("A session can only be marked a no-show once its start time has passed.")
        if session.phase == Phase.MEDICINE:
            reasons = end_blockers(session, to=to_status)
            if reasons:
                raise ValidationError(reasons)
            if not note:
                raise ValidationError(
                    {
                        "reason": f"Say why the medicine session is "
                        f"{SessionStatus(to_status).label.lower()}: the prescriber and the "
                        "log need it."
                    }
                )
        state = _course(couple)
        before = _out_of_order(couple, state)
        session = _transition(by=by, session=session, to_status=to_status, note=note)
        if to_status == SessionStatus.CANCELLED:  # the partners are told by their channel (jobs/notices.py)
            outbox_add(kind=OutboxKind.SESSION_CHANGED, object_id=session.pk, payload={"notice": "cancelled"})
        dosed = next((s.dosed for s in state.steps if s.pk == session.pk), False)
        later = _newly_out_of_order(
            couple, before, course.with_step(state, course.step_of_session(session, dosed=dosed))
        )
    return SessionChange(session=session, out_of_order=later)


def session_cancel(*, by: User, session: TherapySession, reason: str = "") -> SessionChange:
    """Cancel a scheduled session and say which later sessions the plan no longer allows."""
    return _end_session(by=by, session=session, to_status=SessionStatus.CANCELLED, note=(reason or "").strip())


def session_mark_no_show(*, by: User, session: TherapySession, note: str = "") -> SessionChange:
    """Record that the couple did not come to a session that has started; it leaves the plan."""
    return _end_session(by=by, session=session, to_status=SessionStatus.NO_SHOW, note=(note or "").strip())


def _held_decision(session: TherapySession, state: CourseState) -> tuple[Decision, object]:
    """The protocol on what was held before this session, plus the gate for a medicine session, with the
    approval in force (None unless a medicine session's gate is open). A medicine session in which a dose was
    given ends completed whatever happened to the gate since (each dose met it at its time; CLINICAL.md): its
    approval stays the one it was held under."""
    approval, gate_reasons = _gate(
        couple=session.couple, phase=session.phase, start=session.start, session_pk=session.pk
    )
    if gate_reasons and session.phase == Phase.MEDICINE and is_dosed(session):
        approval, gate_reasons = session.approval, []
    step = state.step_of(session) or Step(
        pk=session.pk, phase=session.phase, start=session.start, status=session.status
    )
    return course.decide_step(state, step, mode=Mode.DONE).adding(gate_reasons), approval


def session_start_check(session: TherapySession) -> Decision:
    """May this session be started (held)? Looks at what was completed before it, not at the plan."""
    return _held_decision(session, _course(session.couple))[0]


def session_complete(*, by: User, session: TherapySession) -> TherapySession:
    """Record a session as held, if it has started and the sessions completed before it allow it."""
    policy.require_may_manage_sessions(by, session.couple)
    with transaction.atomic():
        couple = Couple.objects.select_for_update().get(pk=session.couple_id)
        session = TherapySession.objects.select_for_update().get(pk=session.pk)
        session.couple = couple
        if session.status != SessionStatus.SCHEDULED:
            raise ValidationError(f"A {session.get_status_display().lower()} session cannot be completed.")
        if session.start > timezone.now():
            raise ValidationError(
                f"This session starts {moment_label(session.start)}; it can be completed once it has started."
            )
        state = _course(couple)
        decision, approval = _held_decision(session, state)
        reasons = list(decision.reasons)
        if session.phase == Phase.MEDICINE:
            reasons += end_blockers(session, to=SessionStatus.COMPLETED) + medicine_completion_blockers(session)
        if reasons:
            raise ValidationError(["This session cannot be completed yet:", *dict.fromkeys(reasons)])
        session.approval = approval
        session.save(update_fields=["approval"])
        if session.phase == Phase.MEDICINE:
            # Its PDF summary: approval, doses, vitals
            outbox_add(kind=OutboxKind.SUMMARY_NEEDED, object_id=session.pk, payload={"trigger": "completed"})
        session = _transition(by=by, session=session, to_status=SessionStatus.COMPLETED)
        _course_followed(by=by, couple=couple, session=session, state=state)
        return session


def _course_followed(*, by: User, couple: Couple, session: TherapySession, state: CourseState) -> None:
    """After a session was held: a held follow-up may finish the course (active -> completed)."""
    if session.phase != Phase.FOLLOW_UP:
        return
    if course.course_finished(course.with_step(state, course.step_of_session(session))):
        couple_status_follow(
            by=by, couple=couple, to_status=CoupleStatus.COMPLETED, because="the follow-up sessions are held"
        )


# -- notes --------------------------------------------------------------------------------------------


def _note_fields(session: TherapySession):
    return NOTE_FIELDS[session.phase]  # every phase has its note (the medicine session's beside its dosing record)


def note_save_draft(*, by: User, session: TherapySession, content: dict) -> SessionNote:
    """Write or rewrite the draft note of a session; only its therapist writes it, and never once signed."""
    fields = _note_fields(session)
    policy.require_may_write_note(by, session, what="writes its note")
    if session.status in (SessionStatus.CANCELLED, SessionStatus.NO_SHOW):
        raise ValidationError(f"A {session.get_status_display().lower()} session has no note.")
    unknown = set(content) - {f.key for f in fields}
    if unknown:
        raise ValidationError(
            f"Unknown parts of a {session.get_phase_display().lower()} note: {', '.join(sorted(unknown))}."
        )
    clean = {f.key: str(content.get(f.key) or "").strip() for f in fields}
    with transaction.atomic():
        note = SessionNote.objects.select_for_update().filter(session=session).first()
        if note is None:
            note = SessionNote(session=session, author=by)
        elif note.is_signed:
            raise ValidationError("This note is signed and locked; add an amendment instead.")
        note.content = clean
        note.updated_at = timezone.now()
        note.save()
    return note


def note_sign(*, by: User, note: SessionNote) -> SessionNote:
    """Sign a draft note of a completed session as its therapist; from then on it is locked."""
    with transaction.atomic():
        note = SessionNote.objects.select_for_update().select_related("session").get(pk=note.pk)
        session = note.session
        fields = _note_fields(session)
        policy.require_may_write_note(by, session, what="can sign its note")
        if note.is_signed:
            raise ValidationError("This note is already signed.")
        if session.status != SessionStatus.COMPLETED:
            raise ValidationError("A note is signed once its session is completed.")
        missing = {
            f.key: f"Write the {f.label.lower()} before signing."
            for f in fields
            if f.to_sign and not (note.content or {}).get(f.key)
        }
        if missing:
            raise ValidationError(missing)
        note.status = NoteStatus.SIGNED
        note.signed_by = by
        note.signed_at = timezone.now()
        note.content_hash = note.compute_hash()
        note.save()
        _case_event(session=session, by=by, kind=EventKind.NOTE, summary=f"Note signed: {_describe(session)}")
        # The PDF summary, built after the commit
        outbox_add(kind=OutboxKind.SUMMARY_NEEDED, object_id=session.pk, payload={"trigger": "signed"})
    return note


def note_amend(*, by: User, note: SessionNote, text: str) -> NoteAmendment:
    """Add a dated correction under a signed note, by one of the couple's therapists."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write the correction or addition."})
    session = note.session
    policy.require_care_team_therapist(by, session.couple, what="amend its notes")
    if not note.is_signed:
        raise ValidationError("A draft is still edited directly; amendments are for signed notes.")
    with transaction.atomic():
        amendment = NoteAmendment.objects.create(note=note, text=text, author=by)
        _case_event(session=session, by=by, kind=EventKind.NOTE, summary=f"Note amended: {_describe(session)}")
        # A new PDF version with the amendment
        outbox_add(kind=OutboxKind.SUMMARY_NEEDED, object_id=session.pk, payload={"trigger": "amended"})
    return amendment
