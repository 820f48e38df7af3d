"""Confirm or ask to cancel from the reminder: each partner's reminder carries a signed, single-use link.

The token is the reminder's id signed with the site's secret (django.core.signing, its own salt), so nothing
about the partner or the session is in the link and nothing secret is stored. Opening it shows two buttons
(a GET changes nothing, as link previewers open links); the first answer is kept and the link is then used.
A link of a session that moved, was cancelled or has started no longer answers. The therapist sees the answer on
the session page and as a notice on their home page; asking to cancel does not cancel the session.
"""

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from dosing.models import Notice
from jobs.choices import RecipientKind, ReplyAnswer
from jobs.models import Reminder, SessionReply
from sessions.choices import SessionStatus

SALT = "jobs.replies.session-reply"
MAX_AGE_SECONDS = 30 * 24 * 60 * 60


def reply_url(reminder: Reminder) -> str:
    """The partner's link to confirm or ask to cancel the session this reminder is about."""
    token = signing.dumps(reminder.pk, salt=SALT, compress=True)
    return settings.SITE_URL + reverse("jobs:session_reply", kwargs={"token": token})


def reply_reminder(token: str) -> Reminder | None:
    """The partner reminder a genuine, unexpired token names, or None."""
    try:
        reminder_id = signing.loads(token or "", salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None
    return (
        Reminder.objects.select_related("session__room", "session__couple", "partner", "session__therapist")
        .filter(pk=reminder_id, recipient_kind=RecipientKind.PARTNER)
        .first()
        if isinstance(reminder_id, int)
        else None
    )


def reply_problem(reminder: Reminder) -> str:
    """Why this link no longer takes an answer, or ""."""
    if SessionReply.objects.filter(reminder=reminder).exists():
        return "This link has been used already: your answer reached the clinic."
    session = reminder.session
    if session.status != SessionStatus.SCHEDULED or session.start != reminder.session_start:
        return "This appointment has changed since this message; the clinic has sent, or will send, the news."
    if session.start <= timezone.now():
        return "This appointment has already started."
    return ""


def session_reply_record(*, token: str, answer: str) -> SessionReply:
    """Record a partner's answer from their link, once, and tell the session's therapist on their home page."""
    if answer not in ReplyAnswer.values:
        raise ValidationError({"answer": "Choose to confirm or to ask to cancel."})
    reminder = reply_reminder(token)
    if reminder is None:
        raise ValidationError("This link is not valid or has expired.")
    problem = reply_problem(reminder)
    if problem:
        raise ValidationError(problem)
    session, partner = reminder.session, reminder.partner
    try:
        with transaction.atomic():
            reply = SessionReply.objects.create(reminder=reminder, session=session, partner=partner, answer=answer)
            local = timezone.localtime(session.start)
            verb = "confirmed" if answer == ReplyAnswer.CONFIRMED else "asked to cancel"
            Notice.objects.create(
                recipient_id=session.therapist_id,
                couple_id=session.couple_id,
                text=f"{partner.first_name} ({session.couple.case_number}) {verb} the "
                f"{session.title.lower()} on {local:%a %d %b, %H:%M}.",
            )
    except IntegrityError:  # the same link answered twice at once: the first answer stands
        raise ValidationError("This link has been used already: your answer reached the clinic.") from None
    return reply
