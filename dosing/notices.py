"""Notices on a clinician's home page: written by the dosing verbs, dismissed by the reader."""

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cases.models import Couple, QuestionnaireResponse
from cases.policy import care_team
from dosing.models import Notice
from dosing.wording import day_label, partner_name
from sessions.models import TherapySession


def notice_send(*, recipients, couple: Couple, text: str) -> None:
    """Write one notice about the couple to each recipient (None entries are skipped), inside the caller's
    transaction; each is saved on its own so that its audit row is written with it (a bulk insert sends no
    signal, and notices went unaudited)."""
    for recipient in recipients:
        if recipient is not None:
            Notice.objects.create(recipient=recipient, couple=couple, text=text)


def item9_notices_send(*, response_id: int, sent_back: bool) -> list[Notice]:
    """Tell the couple's therapists and prescriber (and a prescriber covering today) of a positive PHQ-9 item 9,
    and whether it sent the partner back to prescriber review (as it did when recorded, not as it stands when
    the worker runs). Run by the worker after the questionnaire commits, the same day; safe to run twice (a
    recipient already told is not told again). Each notice is audited."""
    response = (
        QuestionnaireResponse.objects.select_related("partner__couple", "recorded_by").filter(pk=response_id).first()
    )
    if response is None or not response.suicide_risk:
        return []
    partner, couple = response.partner, response.partner.couple
    source = (
        f"entered by {response.recorded_by}" if response.recorded_by else "answered through their questionnaire link"
    )
    text = (
        f"PHQ-9 item 9 (thoughts of self-harm) answered {response.answers[8]} by {partner_name(partner)} on "
        f"{day_label(response.administered_on)} ({source}). Follow the clinic's safety procedure today."
    )
    if sent_back:
        text += (
            " They were cleared: they are back to prescriber review, and no medicine session may dose them until "
            "the couple's prescriber records a decision."
        )
    prescriber_ids = care_team(couple).prescriber_ids_on(timezone.localdate())
    recipients = {u.pk: u for u in [*couple.therapists.all(), *User.objects.filter(pk__in=prescriber_ids)]}
    sent = []
    with transaction.atomic():
        for user in recipients.values():
            if user is None or not user.is_active:
                continue
            if Notice.objects.filter(recipient=user, couple=couple, text=text).exists():
                continue
            sent.append(Notice.objects.create(recipient=user, couple=couple, text=text))
    return sent


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
