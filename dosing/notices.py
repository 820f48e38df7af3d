"""Notices on a clinician's home page: written by the dosing verbs, dismissed by the reader."""

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cases.models import Couple
from dosing.models import Notice
from sessions.models import TherapySession


def notice_send(*, recipients, couple: Couple, text: str) -> None:
    """Write one notice about the couple to each recipient (None entries are skipped), inside the caller's
    transaction; each is saved on its own so that its audit row is written with it (a bulk insert sends no
    signal, and notices went unaudited)."""
    for recipient in recipients:
        if recipient is not None:
            Notice.objects.create(recipient=recipient, couple=couple, text=text)


def notice_dismiss_for(*, by: User, notice: Notice) -> Notice:
    """The reader dismisses their own notice; the change and its audit row in one transaction, once."""
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk, recipient=by)
        if notice.dismissed_at is None:
            notice.dismissed_at = timezone.now()
            notice.save(update_fields=["dismissed_at"])
    return notice


def dosing_stopped_text(session, reason: str) -> str:
    """What the therapist and prescriber read when the gate shuts during a medicine session under way."""
    return (
        f"Dosing stopped in {session}, which is under way: {reason} No further dose may be given; vital signs, "
        "side effects and discharge can still be recorded."
    )


def dosing_stopped_notify(*, session_id: int, reason: str) -> int:
    """Tell the session's therapist and the couple's prescriber that no further dose may be given (the outbox's
    handler; safe to run twice: a recipient already told is not told again). Returns how many were told."""
    session = TherapySession.objects.select_related("couple__prescriber", "therapist").filter(pk=session_id).first()
    if session is None:
        return 0
    text = dosing_stopped_text(session, reason)
    told = 0
    with transaction.atomic():
        for recipient in {session.therapist, session.couple.prescriber} - {None}:
            if not Notice.objects.filter(recipient=recipient, couple=session.couple, text=text).exists():
                notice_send(recipients=[recipient], couple=session.couple, text=text)
                told += 1
    return told
