"""Verbs that change sessions and notes. Each checks its rules, writes the change and its history rows."""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cases.choices import EventKind
from cases import policy
from cases.models import CaseEvent, Couple
from clinic.services import clinic_settings_get
from dosing.gate import Gate, medicine_gate
from dosing.record import medicine_completion_blockers
from outbox.models import OutboxKind
from outbox.services import outbox_add
from sessions import protocol
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
from sessions.models import MAX_SESSION_MINUTES, NoteAmendment, Room, SessionEvent, SessionNote, TherapySession
from sessions.protocol import Mode, moment_label


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


def _case_event(*, session: TherapySession, by: User, summary: str, kind: str = EventKind.SESSION,
                note: str = "") -> None:
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
    if start <= timezone.now():
        errors["start"] = f"A session cannot be booked in the past ({moment_label(start)} has gone)."
    if duration_minutes is None or not 0 < duration_minutes <= MAX_SESSION_MINUTES:
        errors["duration_minutes"] = "The session must end after it starts (and last at most 12 hours)."


def _lock(couple: Couple, therapist: User, room: Room | None) -> Couple:
    # Always couple, then therapist, then room, so two bookings never wait on each other in a circle.
    couple = Couple.objects.select_for_update().get(pk=couple.pk)
    User.objects.select_for_update().filter(pk=therapist.pk).exists()
    if room is not None:
        Room.objects.select_for_update().filter(pk=room.pk).exists()
    return couple


def _check_clashes(*, couple: Couple, therapist: User, room: Room | None, start: datetime.datetime,
                   end: datetime.datetime, exclude=None) -> dict:
    busy = TherapySession.objects.filter(status__in=PLANNED_STATUSES, start__lt=end, end__gt=start)
    if exclude is not None:
        busy = busy.exclude(pk=exclude)
    errors: dict[str, list[str]] = {}
    clash = busy.filter(therapist=therapist).select_related("couple").first()
    if clash is not None:
        errors.setdefault("start", []).append(
            f"{therapist} is already booked then: {clash.couple}'s {clash.title.lower()} "
            f"({_time_span(clash)}).")
    clash = busy.filter(couple=couple).exclude(therapist=therapist).select_related("therapist").first()
    if clash is not None:
        errors.setdefault("start", []).append(
            f"{couple} already has a {clash.title.lower()} with {clash.therapist} then "
            f"({_time_span(clash)}).")
    if room is not None:
        clash = busy.filter(room=room).select_related("therapist").first()
        if clash is not None:
            # Name the therapist, not the couple: the room may be taken by another caseload.
            errors.setdefault("room", []).append(f"{room} is already booked then, by {clash.therapist} "
                                                 f"({_time_span(clash)}).")
    return errors


def _check_therapist(couple: Couple, therapist: User, errors: dict) -> None:
    if not policy.may_work_as_therapist(therapist, couple):
        errors["therapist"] = f"{therapist} is not a therapist on this couple's care team."


def _out_of_order(couple: Couple, sessions: list, limits) -> dict[object, list[str]]:
    """The couple's booked sessions the plan no longer allows: the protocol's reasons, plus the gate's for each
    booked medicine session (called once per session)."""
    found = protocol.out_of_order(couple=couple, sessions=sessions, limits=limits)
    for session in sessions:
        if session.phase == Phase.MEDICINE and session.status == SessionStatus.SCHEDULED:
            reasons = medicine_gate(couple=couple, start=session.start, session_pk=session.pk).reasons
            if reasons:
                found[session.pk] = [*found.get(session.pk, []), *reasons]
    return found


def _newly_out_of_order(couple: Couple, before: dict, sessions: list, limits) -> list[str]:
    after = _out_of_order(couple, sessions, limits)
    by_pk = {s.pk: s for s in sessions}
    return [f"{_describe(by_pk[pk])} is now out of order: {' '.join(reasons)}"
            for pk, reasons in after.items() if pk not in before]


def _gate(couple: Couple, phase: str, start: datetime.datetime, session_pk=None) -> Gate:
    """The medicine gate for a medicine session (asked once per operation); a session of another phase stands on
    no approval."""
    if phase != Phase.MEDICINE:
        return Gate(None, [])
    return medicine_gate(couple=couple, start=start, session_pk=session_pk)


def session_schedule(*, by: User, couple: Couple, therapist: User, phase: str, start: datetime.datetime,
                     place: str, room: Room | None = None, duration_minutes: int | None = None) -> SessionChange:
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
    _check_therapist(couple, therapist, errors)
    if errors:
        raise ValidationError(errors)
    limits = clinic_settings_get()
    with transaction.atomic():
        couple = _lock(couple, therapist, room)
        sessions = list(couple.sessions.all())
        before = _out_of_order(couple, sessions, limits)
        decision = protocol.decide(couple=couple, sessions=sessions, phase=phase, start=start, mode=Mode.PLAN,
                                   limits=limits)
        gate = _gate(couple, phase, start)
        if decision.reasons or gate.reasons:
            raise ValidationError({"phase": [*decision.reasons, *gate.reasons]})
        end = start + datetime.timedelta(minutes=duration_minutes)
        clashes = _check_clashes(couple=couple, therapist=therapist, room=room, start=start, end=end)
        if clashes:
            raise ValidationError(clashes)
        session = TherapySession(couple=couple, therapist=therapist, phase=phase, start=start,
                                 duration_minutes=duration_minutes, place=place, room=room, created_by=by,
                                 status_changed_by=by, approval=gate.approval)
        session.full_clean()
        session.save()
        SessionEvent.objects.create(session=session, kind=SessionEventKind.BOOKED, to_status=session.status,
                                    actor=by, summary=f"Booked with {therapist}, {session.place_label}")
        _case_event(session=session, by=by, summary=f"Booked: {_describe(session)} with {therapist}")
        # Plan its reminders once the booking is committed
        outbox_add(kind=OutboxKind.SESSION_CHANGED, object_id=session.pk)
        later = _newly_out_of_order(couple, before, [*sessions, session], limits)
    return SessionChange(session=session, warnings=decision.warnings, out_of_order=later)


def session_reschedule(*, by: User, session: TherapySession, start: datetime.datetime, place: str,
                       room: Room | None = None, duration_minutes: int | None = None,
                       therapist: User | None = None) -> SessionChange:
    """Move a scheduled session (time, length, place, therapist) under the same rules as a new booking."""
    couple = session.couple
    policy.require_may_manage_sessions(by, couple)
    therapist = therapist or session.therapist
    duration_minutes = duration_minutes or session.duration_minutes
    errors: dict = {}
    _check_timing(start, duration_minutes, errors)
    _check_place(place, room, errors, existing_room_id=session.room_id)
    _check_therapist(couple, therapist, errors)
    if errors:
        raise ValidationError(errors)
    limits = clinic_settings_get()
    with transaction.atomic():
        couple = _lock(couple, therapist, room)
        session = TherapySession.objects.select_for_update().get(pk=session.pk)
        if session.status != SessionStatus.SCHEDULED:
            raise ValidationError(f"A {session.get_status_display().lower()} session cannot be moved.")
        sessions = list(couple.sessions.all())
        before = _out_of_order(couple, sessions, limits)
        decision = protocol.decide(couple=couple, sessions=sessions, phase=session.phase, start=start,
                                   mode=Mode.PLAN, limits=limits, exclude=session.pk)
        gate = _gate(couple, session.phase, start, session.pk)
        if decision.reasons or gate.reasons:
            raise ValidationError({"start": [*decision.reasons, *gate.reasons]})
        end = start + datetime.timedelta(minutes=duration_minutes)
        clashes = _check_clashes(couple=couple, therapist=therapist, room=room, start=start, end=end,
                                 exclude=session.pk)
        if clashes:
            raise ValidationError(clashes)
        old = _describe(session)
        session.start, session.duration_minutes, session.place, session.room = start, duration_minutes, place, room
        session.therapist, session.approval = therapist, gate.approval
        session.full_clean()
        session.save()
        SessionEvent.objects.create(session=session, kind=SessionEventKind.RESCHEDULED, actor=by,
                                    summary=f"Moved from {old} to {_time_span(session)} with {therapist}, "
                                            f"{session.place_label}")
        _case_event(session=session, by=by, summary=f"Moved: {old} to {moment_label(session.start)}")
        # Reminders for the new time, none for the old
        outbox_add(kind=OutboxKind.SESSION_CHANGED, object_id=session.pk)
        moved = [session if s.pk == session.pk else s for s in sessions]
        later = _newly_out_of_order(couple, before, moved, limits)
    return SessionChange(session=session, warnings=decision.warnings, out_of_order=later)


def _transition(*, by: User, session: TherapySession, to_status: str, note: str = "") -> TherapySession:
    """Move a session along SESSION_TRANSITIONS and record who did it and when."""
    if to_status not in SESSION_TRANSITIONS.get(session.status, ()):
        raise ValidationError(f"A {session.get_status_display().lower()} session cannot become "
                              f"{SessionStatus(to_status).label.lower()}.")
    from_status = session.status
    session.status = to_status
    session.status_changed_at = timezone.now()
    session.status_changed_by = by
    session.save(update_fields=["status", "status_changed_at", "status_changed_by"])
    summary = f"{SessionStatus(from_status).label} \u2192 {SessionStatus(to_status).label}"
    SessionEvent.objects.create(session=session, kind=SessionEventKind.STATUS, from_status=from_status,
                                to_status=to_status, actor=by, note=note, summary=summary)
    _case_event(session=session, by=by, note=note,
                summary=f"{SessionStatus(to_status).label}: {_describe(session)}")
    # A session that ended or was cancelled sends no more reminders
    outbox_add(kind=OutboxKind.SESSION_CHANGED, object_id=session.pk)
    return session


def _end_session(*, by: User, session: TherapySession, to_status: str, note: str) -> SessionChange:
    policy.require_may_manage_sessions(by, session.couple)
    limits = clinic_settings_get()
    with transaction.atomic():
        couple = Couple.objects.select_for_update().get(pk=session.couple_id)
        session = TherapySession.objects.select_for_update().get(pk=session.pk)
        if to_status == SessionStatus.NO_SHOW and session.start > timezone.now():
            raise ValidationError("A session can only be marked a no-show once its start time has passed.")
        sessions = list(couple.sessions.all())
        before = _out_of_order(couple, sessions, limits)
        session = _transition(by=by, session=session, to_status=to_status, note=note)
        changed = [session if s.pk == session.pk else s for s in sessions]
        later = _newly_out_of_order(couple, before, changed, limits)
    return SessionChange(session=session, out_of_order=later)


def session_cancel(*, by: User, session: TherapySession, reason: str = "") -> SessionChange:
    """Cancel a scheduled session and say which later sessions the plan no longer allows."""
    return _end_session(by=by, session=session, to_status=SessionStatus.CANCELLED, note=(reason or "").strip())


def session_mark_no_show(*, by: User, session: TherapySession, note: str = "") -> SessionChange:
    """Record that the couple did not come to a session that has started; it leaves the plan."""
    return _end_session(by=by, session=session, to_status=SessionStatus.NO_SHOW, note=(note or "").strip())


def _start_decision(session: TherapySession, sessions: list | None) -> tuple[protocol.Decision, Gate]:
    if sessions is None:
        sessions = list(TherapySession.objects.filter(couple_id=session.couple_id))
    decision = protocol.decide_session(session, sessions=sessions, mode=Mode.DONE, limits=clinic_settings_get())
    gate = _gate(session.couple, session.phase, session.start, session.pk)
    reasons = [*decision.reasons, *gate.reasons]
    return protocol.Decision(allowed=not reasons, reasons=reasons, warnings=decision.warnings), gate


def session_start_check(session: TherapySession, *, sessions: list | None = None) -> protocol.Decision:
    """May this session be started (held)? Looks at what was completed before it, not at the plan, and for a
    medicine session at the gate."""
    return _start_decision(session, sessions)[0]


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
            raise ValidationError(f"This session starts {moment_label(session.start)}; it can be completed once "
                                  f"it has started.")
        decision, gate = _start_decision(session, list(couple.sessions.all()))
        reasons = list(decision.reasons)
        if session.phase == Phase.MEDICINE:
            reasons += medicine_completion_blockers(session)
        if reasons:
            raise ValidationError(["This session cannot be completed yet:", *dict.fromkeys(reasons)])
        session.approval = gate.approval
        session.save(update_fields=["approval"])
        if session.phase == Phase.MEDICINE:
            # Its PDF summary: approval, doses, vitals
            outbox_add(kind=OutboxKind.SUMMARY_NEEDED, object_id=session.pk, payload={"trigger": "completed"})
        return _transition(by=by, session=session, to_status=SessionStatus.COMPLETED)


# -- notes --------------------------------------------------------------------------------------------


def _note_fields(session: TherapySession):
    fields = NOTE_FIELDS.get(session.phase)
    if fields is None:
        raise ValidationError("A medicine session is documented in its dosing record, not in a session note.")
    return fields


def note_save_draft(*, by: User, session: TherapySession, content: dict) -> SessionNote:
    """Write or rewrite the draft note of a session; only its therapist writes it, and never once signed."""
    fields = _note_fields(session)
    policy.require_may_write_note(by, session, what="writes its note")
    if session.status in (SessionStatus.CANCELLED, SessionStatus.NO_SHOW):
        raise ValidationError(f"A {session.get_status_display().lower()} session has no note.")
    unknown = set(content) - {f.key for f in fields}
    if unknown:
        raise ValidationError(f"Unknown parts of a {session.get_phase_display().lower()} note: "
                              f"{', '.join(sorted(unknown))}.")
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
        missing = {f.key: f"Write the {f.label.lower()} before signing." for f in fields
                   if f.to_sign and not (note.content or {}).get(f.key)}
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
