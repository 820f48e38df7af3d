"""Verbs of integration work and repeated measures. Each checks its rules, writes the change and its history."""

import datetime
import logging
import secrets
from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone

from accounts.models import User
from audit.choices import AuditAction
from audit.services import audit_record
from cases import policy
from cases.choices import QuestionnaireContext
from cases.instruments import INSTRUMENTS
from cases.models import CaseEvent, Partner, QuestionnaireResponse
from cases.services import questionnaire_record
from clinic.services import clinic_settings_get
from integration.choices import (
    COMMITMENT_TRANSITIONS,
    CommitmentEventKind,
    CommitmentKind,
    CommitmentOwner,
    CommitmentStatus,
    LinkState,
)
from integration.models import Commitment, CommitmentEvent, IntegrationRecord, QuestionnaireLink, token_hash
from kapcouples.mail import email_logs_only
from outbox.models import OutboxKind
from outbox.services import outbox_add
from sessions import course
from sessions.choices import Phase, SessionStatus
from sessions.models import TherapySession

logger = logging.getLogger(__name__)

BOTH = "both"
TOKEN_BYTES = 32  # 256 bits: a link cannot be guessed


def _day(value: datetime.date) -> str:
    return formats.date_format(value, "j F Y")


def _case_event(
    *, couple_id: int, summary: str, actor: User | None, partner: Partner | None = None, note: str = ""
) -> None:
    from cases.choices import EventKind

    CaseEvent.objects.create(
        couple_id=couple_id, partner=partner, kind=EventKind.DETAILS, summary=summary[:300], note=note, actor=actor
    )


# -- which medicine session an integration follows ------------------------------------------------------


def integration_links_sync(*, couple_id: int) -> list[IntegrationRecord]:
    """Link every planned integration session of a couple to the medicine session it follows (the latest one
    before it in the plan), creating or correcting the records; called whenever such a session is saved."""
    sessions = list(
        TherapySession.objects.filter(couple_id=couple_id, phase__in=[Phase.MEDICINE, Phase.INTEGRATION]).order_by(
            "start", "id"
        )
    )
    follows_pk = course.integration_follows(course.CourseState(steps=tuple(map(course.step_of_session, sessions))))
    by_pk = {s.pk: s for s in sessions}
    records = {r.session_id: r for r in IntegrationRecord.objects.filter(couple_id=couple_id)}
    changed = []
    for session in sessions:
        if session.pk not in follows_pk:
            continue
        follows = by_pk.get(follows_pk[session.pk])
        record = records.get(session.pk)
        if record is None:
            if follows is None:
                continue  # out of order: the protocol shows why; nothing to link to yet
            record = IntegrationRecord(couple_id=couple_id, session=session, follows=follows)
        elif record.follows_id == (follows.pk if follows else None):
            continue
        else:
            record.follows, record.linked_at = follows, timezone.now()
        record.full_clean()
        record.save()
        changed.append(record)
    return changed


def integration_record_for(session: TherapySession) -> IntegrationRecord:
    """The integration record of an integration session, linking it first if the calendar has not yet."""
    if session.phase != Phase.INTEGRATION:
        raise ValidationError("Commitments are made in integration sessions.")
    record = IntegrationRecord.objects.filter(session=session).select_related("follows").first()
    if record is None:
        integration_links_sync(couple_id=session.couple_id)
        record = IntegrationRecord.objects.filter(session=session).select_related("follows").first()
    if record is None:
        raise ValidationError(
            "This integration session follows no medicine session in the plan, so it has no "
            "cycle to make commitments in."
        )
    return record


# -- commitments -----------------------------------------------------------------------------------------


def _session_in_progress(session: TherapySession, what: str) -> None:
    if session.status in (SessionStatus.CANCELLED, SessionStatus.NO_SHOW):
        raise ValidationError(
            f"The session did not take place ({session.get_status_display().lower()}); "
            f"{what} in a session that was held."
        )
    if session.start > timezone.now():
        raise ValidationError(f"The session has not started yet; {what} once it has.")


def commitment_add(
    *, by: User, session: TherapySession, kind: str, text: str, owner: Partner | Literal["both"], due_on: datetime.date
) -> Commitment:
    """Record a commitment made in an integration session: a practice, conversation or homework, owned by
    partner A, partner B or both, with a due date. The owner must be a partner of this couple."""
    couple = session.couple
    policy.require_may_manage_sessions(by, couple, what="record integration work")
    if session.phase != Phase.INTEGRATION:
        raise ValidationError("Commitments are made in integration sessions.")
    errors = {}
    if kind not in CommitmentKind.values:
        errors["kind"] = "Choose a practice, a conversation or homework."
    text = (text or "").strip()
    if not text:
        errors["text"] = "Write what the couple commits to."
    elif len(text) > 500:
        errors["text"] = "Keep the commitment under 500 characters; details belong in the note."
    if owner == BOTH:
        owner_value = CommitmentOwner.BOTH
    elif isinstance(owner, Partner) and owner.couple_id == couple.pk:
        owner_value = owner.label
    else:
        owner_value = None
        errors["owner"] = "The owner must be partner A, partner B or both partners of this couple."
    if due_on is None:
        errors["due_on"] = "Give the date it is due."
    elif due_on < timezone.localdate(session.start):
        errors["due_on"] = "The due date cannot be before the session in which the commitment is made."
    if errors:
        raise ValidationError(errors)
    _session_in_progress(session, "commitments are made")
    with transaction.atomic():
        record = integration_record_for(session)
        commitment = Commitment.objects.create(
            couple=couple,
            made_in=record,
            kind=kind,
            text=text,
            owner=owner_value,
            due_on=due_on,
            status_changed_by=by,
            created_by=by,
        )
        CommitmentEvent.objects.create(
            commitment=commitment,
            kind=CommitmentEventKind.CREATED,
            to_status=commitment.status,
            session=session,
            actor=by,
        )
        _case_event(
            couple_id=couple.pk,
            actor=by,
            summary=f"Commitment ({commitment.get_kind_display().lower()}, "
            f"{CommitmentOwner(owner_value).label.lower()}, due {_day(due_on)}): {text}",
        )
    return commitment


def commitment_review(
    *, by: User, commitment: Commitment, session: TherapySession, to_status: str, note: str = ""
) -> Commitment:
    """Review a commitment in a later session of the couple: move it along COMMITMENT_TRANSITIONS, or keep its
    status and say how it is going. Dropping needs a reason."""
    policy.require_may_manage_sessions(by, session.couple, what="record integration work")
    note = (note or "").strip()
    if to_status not in CommitmentStatus.values:
        raise ValidationError({"to_status": "Choose the commitment's status."})
    if session.couple_id != commitment.couple_id:
        raise ValidationError("This commitment belongs to another couple.")
    _session_in_progress(session, "commitments are reviewed")
    with transaction.atomic():
        commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
        if session.start < commitment.made_in.session.start:
            raise ValidationError("A commitment is reviewed in a session after the one it was made in.")
        from_status = commitment.status
        if to_status == from_status:
            if not note:
                raise ValidationError({"note": "Nothing changed: say how it is going, or choose a new status."})
            kind = CommitmentEventKind.REVIEWED
        else:
            if to_status not in COMMITMENT_TRANSITIONS[from_status]:
                allowed = ", ".join(CommitmentStatus(s).label.lower() for s in COMMITMENT_TRANSITIONS[from_status])
                raise ValidationError(
                    {
                        "to_status": f"A {CommitmentStatus(from_status).label.lower()} commitment "
                        f"cannot become {CommitmentStatus(to_status).label.lower()}. "
                        f"Possible: {allowed or 'none, it is final'}."
                    }
                )
            if to_status == CommitmentStatus.DROPPED and not note:
                raise ValidationError({"note": "Say why the commitment is dropped."})
            kind = CommitmentEventKind.STATUS
            commitment.status = to_status
            commitment.status_changed_at = timezone.now()
            commitment.status_changed_by = by
            commitment.save(update_fields=["status", "status_changed_at", "status_changed_by"])
        CommitmentEvent.objects.create(
            commitment=commitment,
            kind=kind,
            from_status=from_status,
            to_status=to_status,
            session=session,
            note=note,
            actor=by,
        )
        if kind == CommitmentEventKind.STATUS:
            _case_event(
                couple_id=commitment.couple_id,
                actor=by,
                note=note,
                summary=f"Commitment {CommitmentStatus(from_status).label.lower()} \u2192 "
                f"{CommitmentStatus(to_status).label.lower()}: {commitment.text}",
            )
    return commitment


# -- questionnaire links -------------------------------------------------------------------------------


@dataclass
class SentLink:
    """A link just created: the row, and the URL that only the e-mail carries."""

    link: QuestionnaireLink
    url: str


def questionnaire_link_send(
    *, by: User, partner: Partner, instrument: str, context: str, site_url: str, session: TherapySession | None = None
) -> SentLink:
    """Send a partner a single-use link to one questionnaire by e-mail, expiring after the clinic's number of
    days. A newer link replaces (withdraws) an unanswered older one for the same questionnaire."""
    couple = partner.couple
    policy.require_may_manage_sessions(by, couple, what="record integration work")
    definition = INSTRUMENTS.get(instrument)
    if definition is None:
        raise ValidationError({"instrument": "Unknown questionnaire."})
    if context not in QuestionnaireContext.values:
        raise ValidationError({"context": "Unknown questionnaire context."})
    if not partner.email:
        raise ValidationError(
            f"{partner.full_name} has no e-mail address: add one to their details, or record "
            f"the {definition.name} in the session."
        )
    if not couple.is_open:
        raise ValidationError(f"Case {couple} is {couple.get_status_display().lower()}; no questionnaires are sent.")
    if session is not None and session.couple_id != couple.pk:
        raise ValidationError("That session belongs to another couple.")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = timezone.now()
    days = clinic_settings_get().questionnaire_link_days
    with transaction.atomic():
        Partner.objects.select_for_update().filter(pk=partner.pk).exists()  # one sender at a time per partner
        replaced = list(
            QuestionnaireLink.objects.filter(
                partner=partner, instrument=instrument, used_at__isnull=True, withdrawn_at__isnull=True
            ).values_list("pk", flat=True)
        )
        QuestionnaireLink.objects.filter(pk__in=replaced).update(
            withdrawn_at=now, withdrawn_by=by, withdraw_reason="Replaced by a newer link."
        )
        for pk in replaced:  # an update sends no signal: the audit row is written here, in the same transaction
            audit_record(
                action=AuditAction.CHANGE,
                actor=by,
                couple_id=couple.pk,
                object_id=str(pk),
                object_type="integration.questionnairelink",
                summary=f"integration.QuestionnaireLink {pk} withdrawn (replaced)",
            )
        link = QuestionnaireLink.objects.create(
            token_hash=token_hash(token),
            partner=partner,
            instrument=instrument,
            context=context,
            session=session,
            created_by=by,
            created_at=now,
            expires_at=now + datetime.timedelta(days=days),
        )
        _case_event(
            couple_id=couple.pk,
            partner=partner,
            actor=by,
            summary=f"{partner.get_label_display()}: {definition.name} link e-mailed "
            f"(expires {_day(timezone.localtime(link.expires_at).date())})",
        )
        url = site_url.rstrip("/") + reverse("integration:questionnaire_fill", kwargs={"token": token})
        # The worker sends the e-mail after the commit; the token waits in the outbox row until then only.
        outbox_add(kind=OutboxKind.QUESTIONNAIRE_LINK, object_id=link.pk, payload={"url": url})
    return SentLink(link=link, url=url)


def questionnaire_link_email(*, link_id: int, url: str) -> bool:
    """Send a link's e-mail (the worker, after the commit); it names only the addressee, never the other partner
    or the case. A link withdrawn or answered meanwhile is not sent, nor one whose sender may no longer act for
    the couple. Raises if the mail server refuses, so the outbox tries again."""
    link = QuestionnaireLink.objects.select_related("partner__couple", "created_by").get(pk=link_id)
    if link.emailed_at is not None or link.withdrawn_at is not None or link.used_at is not None:
        return False
    if not policy.may_manage_sessions(link.created_by, link.partner.couple):
        # Sent for the user who asked: if they may no longer act for this couple, the link is not sent.
        logger.warning("Questionnaire link %s not e-mailed: its sender may no longer act", link.pk)
        return False
    clinic = clinic_settings_get()
    context = {
        "first_name": link.partner.first_name,
        "clinic_name": clinic.clinic_name,
        "url": url,
        "instrument": link.definition.name,
        "expires": timezone.localtime(link.expires_at),
    }
    send_mail(
        subject=f"{clinic.clinic_name}: a short questionnaire for you",
        message=render_to_string("integration/emails/questionnaire_link.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[link.partner.email],
    )
    with transaction.atomic():  # the mark and its audit row stand or fall together
        QuestionnaireLink.objects.filter(pk=link.pk).update(emailed_at=timezone.now(), email_logged=email_logs_only())
        audit_record(
            action=AuditAction.CHANGE,
            couple_id=link.partner.couple_id,
            object_id=str(link.pk),
            object_type="integration.questionnairelink",
            summary=f"integration.QuestionnaireLink {link.pk} e-mailed",
        )
    return True


def questionnaire_link_withdraw(*, by: User, link: QuestionnaireLink, reason: str = "") -> QuestionnaireLink:
    """Withdraw an unanswered link at once: opening it then says it was withdrawn."""
    policy.require_may_manage_sessions(by, link.partner.couple, what="record integration work")
    with transaction.atomic():
        link = QuestionnaireLink.objects.select_for_update().select_related("partner").get(pk=link.pk)
        if link.used_at is not None:
            raise ValidationError("This questionnaire was already answered; an answered link cannot be withdrawn.")
        if link.withdrawn_at is not None:
            raise ValidationError("This link was already withdrawn.")
        link.withdrawn_at, link.withdrawn_by = timezone.now(), by
        link.withdraw_reason = (reason or "").strip()[:200]
        link.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason"])
        _case_event(
            couple_id=link.partner.couple_id,
            partner=link.partner,
            actor=by,
            summary=f"{link.partner.get_label_display()}: {link.definition.name} link withdrawn",
        )
    return link


class LinkUnusable(ValidationError):
    """The link cannot be answered; `state` says why (used, expired, withdrawn, or unknown)."""

    def __init__(self, message: str, state: str):
        super().__init__(message)
        self.state = state


def link_problem(link: QuestionnaireLink | None) -> LinkUnusable | None:
    """Why a link cannot be answered, in words the partner reads, or None when it can."""
    if link is None:
        return LinkUnusable(
            "This questionnaire link is not valid. Check that the whole address from the e-mail "
            "was copied, or ask your clinic for a new link.",
            "unknown",
        )
    state = link.state
    if state == LinkState.USED:
        return LinkUnusable(
            "This questionnaire has already been answered with this link; each link works once. "
            "Thank you - there is nothing more to do.",
            state,
        )
    if state == LinkState.WITHDRAWN:
        return LinkUnusable(
            "This link was withdrawn by your clinic, so it no longer opens the questionnaire. If "
            "you were sent a newer e-mail, use the link in that one.",
            state,
        )
    if state == LinkState.EXPIRED:
        expired = formats.date_format(timezone.localtime(link.expires_at), "j F Y")
        return LinkUnusable(f"This link expired on {expired}. Ask your clinic to send you a new one.", state)
    return None


def questionnaire_link_find(token: str) -> QuestionnaireLink | None:
    """The link a token opens, by its hash, or None."""
    return QuestionnaireLink.objects.filter(token_hash=token_hash(token or "")).select_related("partner").first()


def questionnaire_link_submit(*, token: str, answers: list) -> QuestionnaireResponse:
    """Score and keep a partner's answers sent through their link, once: the link is locked, checked (used,
    withdrawn, expired) and marked used in the same transaction as the response is written."""
    with transaction.atomic():
        link = (
            QuestionnaireLink.objects.select_for_update()
            .filter(token_hash=token_hash(token or ""))
            .select_related("partner__couple")
            .first()
        )
        problem = link_problem(link)
        if problem is not None:
            raise problem
        response = questionnaire_record(
            by=None,
            partner=link.partner,
            instrument=link.instrument,
            answers=answers,
            administered_on=timezone.localdate(),
            context=link.context,
        )
        link.used_at, link.response = timezone.now(), response
        link.save(update_fields=["used_at", "response"])
    return response
