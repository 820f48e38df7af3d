"""Change and cancellation notices: when a session ahead moves or is cancelled, each partner is told by their
reminder channel, once. The session's reminders themselves follow it in jobs/reminders.py (re-planned for the
new time, withdrawn when it is cancelled).

A notice is claimed with a conditional UPDATE (pending -> sending) and sent at most once, as reminders are; a
transient failure goes back to pending with backoff. A notice that has not gone yet when the session changes
again is skipped: only the latest change is announced. The message holds no more than the clinic allows in
reminders (first name, date, time, place).
"""

import datetime
import logging

from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from cases.choices import ReminderChannel
from clinic.services import clinic_settings_get
from jobs.choices import Channel, NoticeKind, ReminderStatus
from jobs.delivery import status_callback_url
from jobs.models import SessionNotice
from jobs.reminders import LOGGED_NOT_SENT, MAX_ATTEMPTS, OPTED_OUT, NotSent, Refused, _deliver_email
from jobs.sms import SMSError, SMSTransientError, sms_backend, sms_refusal
from sessions.choices import SessionStatus
from sessions.models import TherapySession

logger = logging.getLogger("jobs.notices")

SUPERSEDED = "The session changed again before this notice went out; the latest change is announced instead."


def session_notices_plan(*, session_id: int, kind: str) -> list[SessionNotice]:
    """Write one notice per partner for the session's change (moved to its current time, or cancelled), unless the
    session is already past. Safe to run twice: the same change finds its rows."""
    session = TherapySession.objects.select_related("couple").filter(pk=session_id).first()
    if session is None or session.start <= timezone.now():
        return []
    if kind == NoticeKind.MOVED and session.status != SessionStatus.SCHEDULED:
        return []
    if kind == NoticeKind.CANCELLED and session.status != SessionStatus.CANCELLED:
        return []
    # Earlier announcements of this session that have not gone yet are out of date now.
    SessionNotice.objects.filter(session=session, status=ReminderStatus.PENDING).exclude(
        kind=kind, session_start=session.start
    ).update(status=ReminderStatus.SKIPPED, error=SUPERSEDED)
    no_sms = sms_refusal()
    rows = []
    for partner in session.couple.partners.all():
        status, error = ReminderStatus.PENDING, ""
        if partner.reminder_channel == ReminderChannel.NONE:
            status, error = ReminderStatus.SKIPPED, OPTED_OUT
        elif partner.reminder_channel == ReminderChannel.SMS and no_sms:
            status, error = ReminderStatus.SKIPPED, no_sms
        rows.append(
            SessionNotice(
                session=session,
                partner=partner,
                kind=kind,
                session_start=session.start,
                channel=partner.reminder_channel,
                status=status,
                error=error,
            )
        )
    SessionNotice.objects.bulk_create(rows, ignore_conflicts=True)
    return list(SessionNotice.objects.filter(session=session, kind=kind, session_start=session.start))


def notices_dispatch_due(*, limit: int = 200) -> int:
    """Send every pending notice whose backoff has passed; returns how many were sent."""
    now = timezone.now()
    due = list(
        SessionNotice.objects.filter(status=ReminderStatus.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(notice_send(notice_id) == ReminderStatus.SENT for notice_id in due)


def _still_true(notice: SessionNotice) -> bool:
    session = notice.session
    if notice.kind == NoticeKind.CANCELLED:
        return session.status == SessionStatus.CANCELLED
    return session.status == SessionStatus.SCHEDULED and session.start == notice.session_start


def _message(notice: SessionNotice) -> tuple[str, str, str]:
    """(address, subject, body); Refused if the partner has nowhere to receive it."""
    partner, session = notice.partner, notice.session
    context = {
        "clinic": clinic_settings_get().clinic_name,
        "partner": partner,
        "session": session,
        "start": timezone.localtime(notice.session_start),
        "place": session.place_label,
        "moved": notice.kind == NoticeKind.MOVED,
        "video": session.join_url,
    }
    if notice.channel == Channel.SMS:
        if not partner.phone:
            raise Refused(f"{partner.get_label_display()} has no valid phone number for text messages.")
        return partner.phone, "", render_to_string("jobs/sms/notice.txt", context).strip()
    if not partner.email:
        raise Refused(f"{partner.get_label_display()} has no e-mail address.")
    subject = "Your appointment has moved" if context["moved"] else "Your appointment is cancelled"
    return partner.email, subject, render_to_string("jobs/emails/notice_partner.txt", context)


def _end(notice_id: int, status: str, **fields) -> None:
    SessionNotice.objects.filter(pk=notice_id, status=ReminderStatus.SENDING).update(status=status, **fields)


def notice_send(notice_id: int) -> str | None:
    """Claim one pending notice and send it; the status it ended in, or None if another worker has it."""
    now = timezone.now()
    claimed = SessionNotice.objects.filter(pk=notice_id, status=ReminderStatus.PENDING).update(
        status=ReminderStatus.SENDING, sending_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    notice = SessionNotice.objects.select_related("session__room", "session__therapist__video_link", "partner").get(
        pk=notice_id
    )
    if not _still_true(notice):
        _end(notice_id, ReminderStatus.SKIPPED, error=SUPERSEDED)
        return ReminderStatus.SKIPPED
    try:
        address, subject, body = _message(notice)
        receipt = None
        if notice.channel == Channel.SMS:
            try:
                receipt = sms_backend().send(to=address, body=body, status_callback=status_callback_url())
            except SMSTransientError as exc:
                raise NotSent(str(exc)[:200] or "The SMS gateway could not be reached.") from exc
            except SMSError as exc:
                raise Refused(str(exc)[:200] or "The SMS gateway refused the message.") from exc
        else:
            receipt = _deliver_email(address, subject, body)
    except NotSent as exc:
        if notice.attempts >= MAX_ATTEMPTS:
            _end(notice_id, ReminderStatus.FAILED, error=f"Gave up after {notice.attempts} attempts: {exc}"[:300])
            return ReminderStatus.FAILED
        backoff = datetime.timedelta(minutes=min(2 ** (notice.attempts - 1), 60))
        _end(notice_id, ReminderStatus.PENDING, error=str(exc)[:300], next_attempt_at=timezone.now() + backoff)
        return ReminderStatus.PENDING
    except Refused as exc:
        _end(notice_id, ReminderStatus.FAILED, error=str(exc)[:300])
        return ReminderStatus.FAILED
    except Exception as exc:  # noqa: BLE001 - it may have left: a person checks, nothing resends it blindly
        logger.exception("Notice %s: delivery ended in an unexpected error", notice_id)
        _end(notice_id, ReminderStatus.UNKNOWN, error=f"Unexpected error while sending ({type(exc).__name__}).")
        return ReminderStatus.UNKNOWN
    if receipt is not None and receipt.logged_only:
        _end(
            notice_id,
            ReminderStatus.LOGGED,
            sent_at=timezone.now(),
            error=LOGGED_NOT_SENT[notice.channel],
        )
        return ReminderStatus.LOGGED
    _end(
        notice_id,
        ReminderStatus.SENT,
        sent_at=timezone.now(),
        error="",
        provider_id=(receipt.provider_id if receipt else "")[:64],
    )
    return ReminderStatus.SENT
