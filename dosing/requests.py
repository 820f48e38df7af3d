"""A therapist's request for a dosing approach and its answer short of an approval (decline, withdraw)."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from cases import policy
from cases.choices import CoupleStatus
from cases.models import Couple, Partner
from dosing.choices import APPROACHES, Approach, RequestStatus
from dosing.models import DosingRequest
from dosing.notices import notice_send


def dosing_request_create(
    *, by: User, couple: Couple, approach: str, rationale: str, solo_partner: Partner | None = None
) -> DosingRequest:
    """A therapist of the couple asks its prescriber for one approach, with a rationale."""
    errors = {}
    policy.require_may_request_dosing(by, couple)
    if couple.status not in (CoupleStatus.SCREENING, CoupleStatus.ACTIVE):
        raise ValidationError(f"A couple in {couple.get_status_display().lower()} cannot have dosing requested.")
    if couple.prescriber_id is None:
        raise ValidationError("Assign a prescriber to this couple first.")
    if approach not in Approach.values:
        errors["approach"] = "Choose one of the four approaches."
    elif approach == Approach.SOLO and solo_partner is None:
        errors["solo_partner"] = "Solo administration: choose the partner who will take ketamine."
    elif approach != Approach.SOLO and solo_partner is not None:
        errors["solo_partner"] = "Only solo administration names one dosing partner; the others dose both."
    if solo_partner is not None and solo_partner.couple_id != couple.pk:
        errors["solo_partner"] = "That partner is not in this couple."
    if not (rationale or "").strip():
        errors["rationale"] = "Explain why this approach suits the couple."
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():  # the request and its notice stand or fall together
            request = DosingRequest.objects.create(
                couple=couple,
                approach=approach,
                rationale=rationale.strip(),
                solo_partner=solo_partner,
                requested_by=by,
            )
            notice_send(
                recipients=[couple.prescriber],
                couple=couple,
                text=f"{by} requests {APPROACHES[approach].name.lower()}.",
            )
    except IntegrityError:
        raise ValidationError("This couple already has a request waiting for the prescriber.") from None
    return request


def dosing_request_decline(*, by: User, request: DosingRequest, reason: str) -> DosingRequest:
    """The couple's prescriber declines a pending request, saying why."""
    policy.require_may_decide_dosing(by, request.couple)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the request is declined."})
    with transaction.atomic():
        request = DosingRequest.objects.select_for_update().get(pk=request.pk)
        if request.status != RequestStatus.PENDING:
            raise ValidationError("This request has already been answered.")
        request.status = RequestStatus.DECLINED
        request.decided_by, request.decided_at, request.decision_reason = by, timezone.now(), reason.strip()
        request.save()
        notice_send(
            recipients=[request.requested_by],
            couple=request.couple,
            text=f"{request.info.name} was declined by {by}: {reason.strip()}",
        )
    return request


def dosing_request_withdraw(*, by: User, request: DosingRequest) -> DosingRequest:
    """A therapist of the couple withdraws a request the prescriber has not answered."""
    policy.require_may_withdraw_request(by, request.couple)
    with transaction.atomic():
        request = DosingRequest.objects.select_for_update().get(pk=request.pk)
        if request.status != RequestStatus.PENDING:
            raise ValidationError("This request has already been answered.")
        request.status, request.decided_by, request.decided_at = RequestStatus.WITHDRAWN, by, timezone.now()
        request.save()
    return request
