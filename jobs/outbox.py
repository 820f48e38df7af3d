"""Delivering the outbox: each message's kind names the one handler that does its work, once.

A message is claimed with a conditional update (a short lease, so a crashed worker's messages are taken again
within a minute), its handler runs, and it is marked sent. Handlers are safe to run twice: a delivery that
crashed after the work and before the mark only repeats work that changes nothing the second time.
"""

import datetime
import logging

from django.db.models import F, Q
from django.utils import timezone

from accounts.services import password_reset_email
from dosing.notices import dosing_stopped_notify, item9_notices_send
from integration.services import integration_links_sync, questionnaire_link_email
from jobs import notices, reminders, summaries
from outbox.models import MAX_ATTEMPTS, SECRET_KINDS, OutboxKind, OutboxMessage
from outbox.services import task_send
from sessions.choices import Phase
from sessions.models import TherapySession

logger = logging.getLogger("jobs")

LEASE_SECONDS = 60
SWEEP_BATCH = 200
SWEEP_GRACE_SECONDS = 5  # younger messages are still on their way through the broker


def _session_changed(message: OutboxMessage) -> None:
    session = TherapySession.objects.filter(pk=message.object_id).only("couple_id", "phase").first()
    if session is None:
        return
    reminders.reminders_plan_for_session(session.pk)
    if message.payload.get("notice"):  # moved or cancelled: the partners are told (jobs/notices.py)
        notices.session_notices_plan(session_id=session.pk, kind=message.payload["notice"])
    if session.phase in (Phase.MEDICINE, Phase.INTEGRATION):
        # Which medicine session each integration session follows (was a post_save signal on every save).
        integration_links_sync(couple_id=session.couple_id)
    task_send("jobs.tasks.reminders_dispatch")  # a reminder due at once goes now, not at the next sweep


def _summary_needed(message: OutboxMessage) -> None:
    summary = summaries.summary_request(session_id=message.object_id, trigger=message.payload.get("trigger", ""))
    if summary is not None:
        task_send("jobs.tasks.summary_render", summary.pk)  # rendered on the documents queue


def _export_requested(message: OutboxMessage) -> None:
    task_send("jobs.tasks.export_build", message.object_id)  # exports run on their own queue, never here


def _questionnaire_link(message: OutboxMessage) -> None:
    questionnaire_link_email(link_id=message.object_id, url=message.payload["url"])


def _password_reset(message: OutboxMessage) -> None:
    password_reset_email(user_id=message.object_id, **message.payload)


def _item9_positive(message: OutboxMessage) -> None:
    item9_notices_send(response_id=message.object_id, sent_back=bool(message.payload.get("sent_back")))


def _dosing_stopped(message: OutboxMessage) -> None:
    dosing_stopped_notify(session_id=message.object_id, reason=message.payload.get("reason", ""))


HANDLERS = {
    OutboxKind.SESSION_CHANGED: _session_changed,
    OutboxKind.SUMMARY_NEEDED: _summary_needed,
    OutboxKind.EXPORT_REQUESTED: _export_requested,
    OutboxKind.QUESTIONNAIRE_LINK: _questionnaire_link,
    OutboxKind.PASSWORD_RESET: _password_reset,
    OutboxKind.ITEM9_POSITIVE: _item9_positive,
    OutboxKind.DOSING_STOPPED: _dosing_stopped,
}


def outbox_deliver(*, message_id: int) -> bool:
    """Do the message's work if it is still waiting and nobody holds it; True once it is sent."""
    now = timezone.now()
    claimed = OutboxMessage.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        pk=message_id,
        sent_at__isnull=True,
    ).update(claimed_until=now + datetime.timedelta(seconds=LEASE_SECONDS), attempts=F("attempts") + 1)
    if not claimed:
        return False
    message = OutboxMessage.objects.get(pk=message_id)
    try:
        HANDLERS[message.kind](message)
    except Exception as exc:
        # The lease is released so that the next sweep tries again; the error stays on the row for staff.
        OutboxMessage.objects.filter(pk=message_id).update(
            claimed_until=None, last_error=f"{type(exc).__name__}: {exc}"[:500]
        )
        raise
    done = {"sent_at": timezone.now(), "claimed_until": None, "last_error": ""}
    if message.kind in SECRET_KINDS:
        done["payload"] = {}  # the link's token is no longer needed anywhere
    OutboxMessage.objects.filter(pk=message_id).update(**done)
    return True


def outbox_waiting(*, limit: int = SWEEP_BATCH) -> list[int]:
    """Messages no worker delivered: the broker lost or never took them, or the worker died holding them."""
    now = timezone.now()
    return list(
        OutboxMessage.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            sent_at__isnull=True,
            attempts__lt=MAX_ATTEMPTS,
            created_at__lt=now - datetime.timedelta(seconds=SWEEP_GRACE_SECONDS),
        )
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )


def outbox_sweep() -> int:
    """Beat: deliver what is waiting, oldest first, in a bounded batch; returns how many were sent."""
    sent = 0
    for message_id in outbox_waiting():
        try:
            sent += outbox_deliver(message_id=message_id)
        except Exception:  # noqa: BLE001 - recorded on the row; the others still go
            logger.exception("Outbox message %s failed; the next sweep tries again.", message_id)
    return sent
