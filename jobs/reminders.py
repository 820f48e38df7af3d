"""Session reminders: planned as rows when a session is booked or moved, claimed once, sent at most once.

Exactly once, and what it costs. A dispatcher claims a due row with a conditional UPDATE (pending ->
claimed); only the worker whose UPDATE matched goes on. Right before it calls the mail server or the SMS
gateway it writes 'sending' (again conditional, and only while the session still stands at the planned
time). A claim is a lease of JOBS_REMINDER_LEASE_SECONDS (claimed_at is when it was last renewed): the
sending worker renews the leases of the rows it still holds every third of it while it works through its
batch, so a live worker never loses them and a dead one's are free again within the lease. So:
- a worker that dies after claiming and before 'sending' sent nothing: once its lease has run out the row
  goes back to 'pending' and the next dispatch sends it;
- a worker that dies after 'sending' may or may not have handed the message over: once its lease has run
  out the row becomes 'unknown' and is shown on the session page, with "Send again", for a person to check;
  it is never resent blindly. (Outcomes are written in bulk, so this can be up to FLUSH_EVERY rows of a
  batch, or a lease's third of sending, whichever is fewer.)
We prefer a rare reminder that a person must confirm to a patient receiving the same reminder twice.
Errors that prove nothing left (connection refused, a 4xx before the message was accepted) go back to
'pending' with backoff; errors that prove it never will (no address, a 5xx refusal) are 'failed'.
"""

import contextlib
import datetime
import logging
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.template.loader import get_template
from django.utils import timezone

from cases.choices import ReminderChannel
from clinic.services import clinic_settings_get, clinic_settings_read_once
from jobs.choices import (
    OPEN_REMINDER_STATUSES,
    REMINDER_TRANSITIONS,
    Channel,
    RecipientKind,
    ReminderStatus,
)
from jobs.delivery import delivery_fields, status_callback_url
from jobs.models import Reminder, ReminderLead
from jobs.replies import reply_url
from jobs.sms import SMSError, SMSReceipt, SMSTransientError, sms_backend, sms_refusal
from kapcouples.mail import email_logs_only
from sessions.choices import MedicineState, Phase, SessionStatus
from sessions.models import TherapySession

logger = logging.getLogger("jobs.reminders")

DEFAULT_LEADS_MINUTES = (48 * 60, 2 * 60)
# A reminder whose time had already passed by more than this when the session was booked is not sent.
LATE_GRACE = datetime.timedelta(minutes=10)
MAX_ATTEMPTS = 5
OPTED_OUT = "The partner has opted out of reminders."
LOGGED_NOT_SENT = {
    ReminderChannel.EMAIL: "No mail service is configured (EMAIL_HOST): the e-mail was only logged on the server.",
    ReminderChannel.SMS: "No SMS service is configured (SMS_BACKEND): the text was only logged on the server.",
}
MEDICINE_INSTRUCTIONS = (
    "Come fasting, as your care team has instructed.",
    "Arrange a ride home: you will not be able to drive yourself after the session.",
    "Do not drive until the next day, after a night's sleep.",
)


class NotSent(Exception):
    """Delivery failed in a way that proves the message did not leave; it may be tried again."""


class Refused(Exception):
    """Delivery failed for good (no address, refused by the server); the message did not leave."""


def leads_for(phase: str) -> list[int]:
    """The clinic's reminder lead times for a phase, in minutes, longest first."""
    return sorted(ReminderLead.objects.filter(phase=phase).values_list("minutes_before", flat=True), reverse=True)


def _move(reminder_id: int, *, to: str, only_from: tuple[str, ...], extra: Q | None = None, **fields) -> bool:
    """Perform one transition of REMINDER_TRANSITIONS as a conditional UPDATE; True if this call made it."""
    if not all(to in REMINDER_TRANSITIONS[s] for s in only_from):
        raise ValueError(f"No transition from {only_from} to {to} in REMINDER_TRANSITIONS.")
    rows = Reminder.objects.filter(pk=reminder_id, status__in=only_from)
    if extra is not None:
        rows = rows.filter(extra)
    return rows.update(status=to, updated_at=timezone.now(), **fields) == 1


# -- planning -----------------------------------------------------------------------------------------


def _blocked_error(session: TherapySession) -> str:
    return f"Withdrawn: the medicine session is blocked ({session.blocked_reason.removeprefix('Blocked: ')})"[:300]


def reminders_plan_for_session(session_id: int) -> None:
    """Make the session's reminder rows match it: rows for its current time and people, none for an old time,
    none at all once it is cancelled or over. Safe to run any number of times, concurrently."""
    session = TherapySession.objects.select_related("couple").filter(pk=session_id).first()
    if session is None:
        return
    now = timezone.now()
    with transaction.atomic():
        open_rows = Reminder.objects.filter(session=session, status__in=OPEN_REMINDER_STATUSES)
        if session.status != SessionStatus.SCHEDULED or session.start <= now:
            reason = (
                "The session was cancelled."
                if session.status == SessionStatus.CANCELLED
                else "The session is no longer ahead."
            )
            open_rows.update(status=ReminderStatus.CANCELLED, error=reason, updated_at=now)
            return
        if session.medicine_state == MedicineState.BLOCKED:
            # The gate shut after booking: the partners are not asked to come (their therapists are told by a
            # notice); the rows come back when the session is moved to a time the gate allows.
            open_rows.filter(recipient_kind=RecipientKind.PARTNER).update(
                status=ReminderStatus.CANCELLED, error=_blocked_error(session), updated_at=now
            )
            return
        open_rows.exclude(session_start=session.start).update(
            status=ReminderStatus.CANCELLED,
            error="The session moved; reminders go out for the new time.",
            updated_at=now,
        )
        wanted: list[Reminder] = []
        partners = list(session.couple.partners.all())
        no_sms = sms_refusal()
        for lead in leads_for(session.phase):
            due = session.start - datetime.timedelta(minutes=lead)
            late = due < now - LATE_GRACE
            for partner in partners:
                channel = partner.reminder_channel
                status, error = ReminderStatus.PENDING, ""
                if channel == ReminderChannel.NONE:
                    status, error = ReminderStatus.SKIPPED, OPTED_OUT
                elif late:
                    status, error = ReminderStatus.SKIPPED, "Booked after this reminder was due."
                elif channel == ReminderChannel.SMS and no_sms:
                    status, error = ReminderStatus.SKIPPED, no_sms
                wanted.append(
                    Reminder(
                        session=session,
                        session_start=session.start,
                        recipient_kind=RecipientKind.PARTNER,
                        partner=partner,
                        channel=channel,
                        lead_minutes=lead,
                        due_at=due,
                        status=status,
                        error=error,
                    )
                )
            wanted.append(
                Reminder(
                    session=session,
                    session_start=session.start,
                    recipient_kind=RecipientKind.THERAPIST,
                    user_id=session.therapist_id,
                    channel=Channel.EMAIL,
                    lead_minutes=lead,
                    due_at=due,
                    status=ReminderStatus.SKIPPED if late else ReminderStatus.PENDING,
                    error="Booked after this reminder was due." if late else "",
                )
            )
        # Rows of this time for people or leads no longer wanted (therapist changed, a lead removed).
        keys = {(r.partner_id, r.user_id, r.lead_minutes) for r in wanted}
        for row in Reminder.objects.filter(session=session, session_start=session.start):
            key = (row.partner_id, row.user_id, row.lead_minutes)
            if key not in keys and row.status in OPEN_REMINDER_STATUSES:
                _move(
                    row.pk,
                    to=ReminderStatus.CANCELLED,
                    only_from=OPEN_REMINDER_STATUSES,
                    error="No longer planned for this session.",
                )
            elif key in keys and row.status == ReminderStatus.CANCELLED and row.due_at > now:
                # Moved away and back again, or a lead put back: the reminder for this time is wanted again.
                _move(row.pk, to=ReminderStatus.PENDING, only_from=(ReminderStatus.CANCELLED,), error="")
        # The unique constraints make a concurrent or repeated plan a no-op.
        Reminder.objects.bulk_create(wanted, ignore_conflicts=True)
        # A partner who opted back in before the reminder was due gets it.
        for partner in partners:
            if partner.reminder_channel != ReminderChannel.NONE:
                Reminder.objects.filter(
                    session=session,
                    session_start=session.start,
                    partner=partner,
                    status=ReminderStatus.SKIPPED,
                    error=OPTED_OUT,
                    due_at__gt=now,
                ).update(status=ReminderStatus.PENDING, channel=partner.reminder_channel, error="", updated_at=now)


def reminders_plan_missing() -> int:
    """Plan every session that should have reminders and has none for its time, and close the rows of sessions
    no longer ahead: the safety net for a plan lost to a crash or made outside the services."""
    now = timezone.now()
    longest = ReminderLead.objects.order_by("-minutes_before").values_list("minutes_before", flat=True).first()
    if longest is None:
        return 0
    planned_now = Reminder.objects.filter(session=OuterRef("pk"), session_start=OuterRef("start"))
    missing = (
        TherapySession.objects.filter(
            status=SessionStatus.SCHEDULED, start__gt=now, start__lte=now + datetime.timedelta(minutes=longest)
        )
        .exclude(Exists(planned_now))
        .values_list("pk", flat=True)
    )
    stale = (
        Reminder.objects.filter(status__in=OPEN_REMINDER_STATUSES)
        .filter(
            ~Q(session__status=SessionStatus.SCHEDULED)
            | ~Q(session__start=F("session_start"))
            | (
                Q(recipient_kind=RecipientKind.PARTNER, session__started_at__isnull=True)
                & ~Q(session__blocked_reason="")
            )
        )
        .values_list("session_id", flat=True)
        .distinct()
    )
    ids = set(missing) | set(stale)
    for session_id in ids:
        reminders_plan_for_session(session_id)
    return len(ids)


# -- sending ------------------------------------------------------------------------------------------


@dataclass
class DispatchResult:
    sent: int = 0
    failed: int = 0
    other: int = 0


def reminders_release_stale() -> None:
    """Claims whose lease ran out (their worker died): unsent claims go back to the queue, interrupted sends go
    to a person."""
    cutoff = timezone.now() - datetime.timedelta(seconds=settings.JOBS_REMINDER_LEASE_SECONDS)
    Reminder.objects.filter(status=ReminderStatus.CLAIMED, claimed_at__lt=cutoff).update(
        status=ReminderStatus.PENDING, claimed_by="", updated_at=timezone.now()
    )
    Reminder.objects.filter(status=ReminderStatus.SENDING, claimed_at__lt=cutoff).update(
        status=ReminderStatus.UNKNOWN,
        updated_at=timezone.now(),
        error="The worker stopped while sending; it may or may not have arrived. Check with the recipient.",
    )


# A batch is claimed in one statement and its outcomes are written in bulk, at the latest every FLUSH_EVERY
# messages or every third of the lease (when the leases are renewed too), so that a worker killed mid-batch
# leaves at most that many sent rows still marked 'sending' (and so shown as 'unknown' for a person to
# confirm; never resent).
BATCH_SIZE = 100
FLUSH_EVERY = 20
TEMPLATES = {
    "therapist": "jobs/emails/reminder_therapist.txt",
    "partner": "jobs/emails/reminder_partner.txt",
    "sms": "jobs/sms/reminder.txt",
}


def _claim_batch(*, worker: str, now: datetime.datetime, limit: int) -> list[int]:
    """Claim up to `limit` due reminders for this worker in one statement (pending -> claimed); their ids.
    On PostgreSQL a concurrent dispatcher skips the rows this one has locked instead of waiting for them."""
    table = connection.ops.quote_name(Reminder._meta.db_table)
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, claimed_by = %s, claimed_at = %s, updated_at = %s, "  # noqa: S608 - the model's own quoted table name; every value is a parameter
            f"attempts = attempts + 1 WHERE status = %s AND id IN ("
            f"SELECT id FROM {table} WHERE status = %s AND due_at <= %s "
            f"AND (next_attempt_at IS NULL OR next_attempt_at <= %s) ORDER BY due_at, id LIMIT %s{lock}) RETURNING id",
            [ReminderStatus.CLAIMED, worker, now, now, ReminderStatus.PENDING, ReminderStatus.PENDING, now, now, limit],
        )
        return [row[0] for row in cursor.fetchall()]


def reminders_dispatch_due(*, worker: str, limit: int = 500) -> DispatchResult:
    """Send every reminder that is due (up to `limit`), claimed in batches so that two dispatchers never send the
    same one."""
    reminders_release_stale()
    result = DispatchResult()
    while limit > 0:
        ids = _claim_batch(worker=worker, now=timezone.now(), limit=min(BATCH_SIZE, limit))
        if not ids:
            break
        limit -= len(ids)
        for outcome in _send_claimed(ids, worker=worker).values():
            if outcome == ReminderStatus.SENT:
                result.sent += 1
            elif outcome == ReminderStatus.FAILED:
                result.failed += 1
            elif outcome is not None:
                result.other += 1
    return result


def reminder_send(reminder_id: int, *, worker: str) -> str | None:
    """Claim one due reminder and send it; returns the status it ended in, or None if another worker has it."""
    now = timezone.now()
    if not _move(
        reminder_id,
        to=ReminderStatus.CLAIMED,
        only_from=(ReminderStatus.PENDING,),
        extra=Q(due_at__lte=now),
        claimed_by=worker,
        claimed_at=now,
        attempts=F("attempts") + 1,
    ):
        return None
    return _send_claimed([reminder_id], worker=worker).get(reminder_id)


class _Outcomes:
    """Transitions out of 'claimed' or 'sending', gathered and written as one conditional UPDATE per kind."""

    def __init__(self, worker: str):
        self.worker = worker
        self.pending: dict[tuple, list[int]] = {}
        self.count = 0

    def add(self, reminder_id: int, *, to: str, only_from: str, **fields) -> None:
        if to not in REMINDER_TRANSITIONS[only_from]:
            raise ValueError(f"A reminder cannot move from {only_from} to {to}.")
        key = (to, only_from, tuple(sorted(fields.items())))
        self.pending.setdefault(key, []).append(reminder_id)
        self.count += 1

    def flush(self) -> None:
        now = timezone.now()
        for (to, only_from, fields), ids in self.pending.items():
            values = dict(fields)
            if to in (ReminderStatus.SENT, ReminderStatus.LOGGED):
                values["sent_at"] = now
            Reminder.objects.filter(pk__in=ids, status=only_from, claimed_by=self.worker).update(
                status=to, updated_at=now, **values
            )
        self.pending, self.count = {}, 0


class _Mailer:
    """One mail connection for a batch, opened on its first e-mail and opened again after an error."""

    def __init__(self):
        self.connection = None

    def send(self, address: str, subject: str, body: str) -> None:
        if self.connection is None:
            connection = get_connection()
            try:
                connection.open()
            except (OSError, smtplib.SMTPException) as exc:
                raise NotSent(f"The mail server could not be reached ({type(exc).__name__}).") from exc
            self.connection = connection
        try:
            self.connection.send_messages(
                [EmailMessage(subject=subject, body=body, to=[address], connection=self.connection)]
            )
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
            self.close()
            raise Refused(f"The mail server refused the address ({type(exc).__name__}).") from exc
        except smtplib.SMTPResponseException as exc:
            self.close()
            # The server answered with an error instead of accepting the message: it did not take it.
            if 400 <= exc.smtp_code < 500:
                raise NotSent(f"The mail server said try later ({exc.smtp_code}).") from exc
            raise Refused(f"The mail server refused the message ({exc.smtp_code}).") from exc
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            # Closing a broken connection must not hide the outcome.
            with contextlib.suppress(Exception):
                connection.close()


def _deliver_email(address: str, subject: str, body: str) -> SMSReceipt | None:
    """One e-mail on a connection of its own (session change notices), with the batch's reading of mail errors;
    a receipt marked logged_only when no mail service took it."""
    mailer = _Mailer()
    try:
        mailer.send(address, subject, body)
    finally:
        mailer.close()
    return SMSReceipt(logged_only=True) if email_logs_only() else None


class _Batch:
    """What a batch shares: the clinic's name, the templates, the mail connection and the SMS gateway."""

    def __init__(self):
        self.clinic = _clinic_name()
        self.templates = {key: get_template(name) for key, name in TEMPLATES.items()}
        self.mailer = _Mailer()
        self.email_logged = SMSReceipt(logged_only=True) if email_logs_only() else None
        self._sms = None
        self.full = clinic_settings_get().reminder_detail == "full"
        self.no_sms = sms_refusal()

    def sms(self):
        if self._sms is None:
            self._sms = sms_backend()
        return self._sms

    def message(self, reminder: Reminder) -> tuple[str, str, str]:
        """(address, subject, body) for the reminder's channel; Refused if there is nowhere to send it."""
        session = reminder.session
        context = {
            "session": session,
            "reminder": reminder,
            "clinic": self.clinic,
            "medicine": session.phase == Phase.MEDICINE,
            "instructions": MEDICINE_INSTRUCTIONS,
            "start": timezone.localtime(session.start),
            "video": session.join_url,
            "full": self.full,
        }
        if reminder.recipient_kind == RecipientKind.THERAPIST:
            user = reminder.user
            if not user.email:
                raise Refused(f"{user} has no e-mail address on file.")
            body = self.templates["therapist"].render(context)
            return (
                user.email,
                f"Reminder: {session.title} for {session.couple} on {context['start']:%a %d %b %H:%M}",
                body,
            )
        partner = reminder.partner
        context["partner"] = partner
        context["reply_url"] = reply_url(reminder)
        if reminder.channel == Channel.SMS:
            if not partner.phone:
                if partner.phone_to_correct:
                    raise Refused(
                        f"{partner.get_label_display()}'s phone number on file is not a valid number; "
                        "correct it on the couple's page."
                    )
                raise Refused(f"{partner.get_label_display()} has no phone number for text reminders.")
            return partner.phone, "", self.templates["sms"].render(context).strip()
        if not partner.email:
            raise Refused(f"{partner.get_label_display()} has no e-mail address for e-mail reminders.")
        body = self.templates["partner"].render(context)
        return partner.email, f"Reminder: your appointment on {context['start']:%a %d %b at %H:%M}", body

    def deliver(self, reminder: Reminder, address: str, subject: str, body: str) -> SMSReceipt | None:
        """Hand the message over; for a text, the provider's receipt (its id, for the status callback)."""
        if reminder.channel == Channel.SMS:
            try:
                return self.sms().send(to=address, body=body, status_callback=status_callback_url())
            except SMSTransientError as exc:
                raise NotSent(str(exc)[:200] or "The SMS gateway could not be reached.") from exc
            except SMSError as exc:
                raise Refused(str(exc)[:200] or "The SMS gateway refused the message.") from exc
        self.mailer.send(address, subject, body)
        return self.email_logged


def _clinic_name() -> str:
    from clinic.services import clinic_settings_get

    return clinic_settings_get().clinic_name


def _renew_leases(ids: list[int], *, worker: str) -> int:
    """Renew the leases of the rows of `ids` this worker still holds (claimed, or being sent); how many."""
    return Reminder.objects.filter(
        pk__in=ids, claimed_by=worker, status__in=(ReminderStatus.CLAIMED, ReminderStatus.SENDING)
    ).update(claimed_at=timezone.now())


def _send_claimed(ids: list[int], *, worker: str) -> dict[int, str | None]:
    """Send reminders this worker has claimed; each one's final status (None where another process took it).
    Every third of the lease the outcomes so far are written and the leases of the rest renewed."""
    rows = list(
        Reminder.objects.filter(pk__in=ids, status=ReminderStatus.CLAIMED, claimed_by=worker)
        .select_related("session__couple", "session__therapist", "partner", "user")
        .order_by("due_at", "id")
    )
    result: dict[int, str | None] = dict.fromkeys(ids)
    outcomes = _Outcomes(worker)
    with clinic_settings_read_once():
        batch = _Batch()
        # The clock the leases are read by (their claimed_at against timezone.now()).
        renew_every = datetime.timedelta(seconds=settings.JOBS_REMINDER_LEASE_SECONDS / 3)
        renewed = timezone.now()
        try:
            for reminder in rows:
                if timezone.now() - renewed >= renew_every:
                    outcomes.flush()
                    _renew_leases(ids, worker=worker)
                    renewed = timezone.now()
                result[reminder.pk] = _send_one(reminder, batch=batch, outcomes=outcomes, worker=worker)
                if outcomes.count >= FLUSH_EVERY:
                    outcomes.flush()
        finally:
            outcomes.flush()
            batch.mailer.close()
    return result


def _send_one(reminder: Reminder, *, batch: _Batch, outcomes: _Outcomes, worker: str) -> str | None:
    claimed, sending = ReminderStatus.CLAIMED, ReminderStatus.SENDING
    now = timezone.now()
    session = reminder.session
    if session.status != SessionStatus.SCHEDULED or session.start != reminder.session_start:
        outcomes.add(
            reminder.pk, to=ReminderStatus.CANCELLED, only_from=claimed, error="The session was cancelled or moved."
        )
        return ReminderStatus.CANCELLED
    if session.start <= now:
        outcomes.add(
            reminder.pk, to=ReminderStatus.SKIPPED, only_from=claimed, error="The session had already started."
        )
        return ReminderStatus.SKIPPED
    if reminder.recipient_kind == RecipientKind.PARTNER and session.medicine_state == MedicineState.BLOCKED:
        outcomes.add(reminder.pk, to=ReminderStatus.CANCELLED, only_from=claimed, error=_blocked_error(session))
        return ReminderStatus.CANCELLED
    if reminder.recipient_kind == RecipientKind.PARTNER:
        # The partner's choice at sending time wins over the one at planning time.
        reminder.channel = reminder.partner.reminder_channel
        if reminder.channel == ReminderChannel.NONE:
            outcomes.add(
                reminder.pk, to=ReminderStatus.SKIPPED, only_from=claimed, error=OPTED_OUT, channel=Channel.NONE
            )
            return ReminderStatus.SKIPPED
    if reminder.channel == Channel.SMS and batch.no_sms:
        outcomes.add(reminder.pk, to=ReminderStatus.SKIPPED, only_from=claimed, error=batch.no_sms, channel=Channel.SMS)
        return ReminderStatus.SKIPPED
    try:
        address, subject, body = batch.message(reminder)
    except Refused as exc:
        outcomes.add(
            reminder.pk, to=ReminderStatus.FAILED, only_from=claimed, error=str(exc)[:300], channel=reminder.channel
        )
        return ReminderStatus.FAILED
    # The point of no return, written (and committed) alone before the message may leave: from here on this
    # row is never sent again.
    if not _move(
        reminder.pk,
        to=sending,
        only_from=(claimed,),
        extra=Q(claimed_by=worker, session__status=SessionStatus.SCHEDULED, session__start=F("session_start")),
        sending_at=timezone.now(),
        channel=reminder.channel,
    ):
        return None
    try:
        receipt = batch.deliver(reminder, address, subject, body)
    except NotSent as exc:
        if reminder.attempts + 1 > MAX_ATTEMPTS:
            outcomes.add(
                reminder.pk,
                to=ReminderStatus.FAILED,
                only_from=sending,
                error=f"Gave up after {reminder.attempts + 1} attempts: {exc}"[:300],
            )
            return ReminderStatus.FAILED
        backoff = datetime.timedelta(minutes=min(2 ** (reminder.attempts - 1), 60))  # 1, 2, 4... minutes
        # Back to the queue at once (not with the batch's outcomes): claimed_by is cleared, and with it the
        # condition the batch's UPDATEs are written under.
        _move(
            reminder.pk,
            to=ReminderStatus.PENDING,
            only_from=(sending,),
            extra=Q(claimed_by=worker),
            error=str(exc)[:300],
            next_attempt_at=timezone.now() + backoff,
            claimed_by="",
        )
        return ReminderStatus.PENDING
    except Refused as exc:
        outcomes.add(reminder.pk, to=ReminderStatus.FAILED, only_from=sending, error=str(exc)[:300])
        return ReminderStatus.FAILED
    except Exception as exc:  # noqa: BLE001 - anything else may have happened after the message left
        logger.exception("Reminder %s: delivery ended in an unexpected error", reminder.pk)
        outcomes.add(
            reminder.pk,
            to=ReminderStatus.UNKNOWN,
            only_from=sending,
            error=f"Unexpected error while sending ({type(exc).__name__}); check with the recipient.",
        )
        return ReminderStatus.UNKNOWN
    if receipt is not None and receipt.logged_only:
        outcomes.add(
            reminder.pk,
            to=ReminderStatus.LOGGED,
            only_from=sending,
            error=LOGGED_NOT_SENT[reminder.channel],
        )
        return ReminderStatus.LOGGED
    delivery = {}
    if receipt is not None:
        delivery = delivery_fields(provider_id=receipt.provider_id, provider_status=receipt.status)
    outcomes.add(reminder.pk, to=ReminderStatus.SENT, only_from=sending, error="", **delivery)
    return ReminderStatus.SENT
