"""Verified, not trusted: an approval is used only while it and its doses still hash to what the prescriber signed.

The database refuses changes to signed rows (records.guards), but a superuser can lift that; the hash is the second
line. A mismatch refuses dosing, writes an audit event and tells every clinic admin, once until they dismiss it.
"""

import logging

from django.conf import settings
from django.db import transaction

from accounts.models import User
from audit.choices import AuditAction
from audit.services import audit_record
from dosing.models import Approval, ApprovalDose, Notice


logger = logging.getLogger("dosing")


def _alarm_from_a_worker(approval_id: int) -> None:
    # Not through the outbox: its row would roll back with the refusal that found the mismatch. The approval itself
    # is committed, so a worker can act on it now; if the broker is down the alert written inline may be lost with
    # the transaction, and the nightly verify_records raises it again.
    from dosing import tasks  # here, not at the top: dosing.tasks imports the gate, which imports this

    if settings.CELERY_TASK_ALWAYS_EAGER:
        tasks.approval_mismatch_alert(approval_id)
        return
    try:
        tasks.approval_mismatch_alert.apply_async(args=(approval_id,), retry=False)
    except Exception as exc:  # noqa: BLE001 - any broker failure: the inline alert and the nightly run remain
        logger.warning("Broker unreachable (%s); approval %s mismatch alert written inline only.",
                       type(exc).__name__, approval_id)


def _alert_text(approval: Approval) -> str:
    return (f"The approval signed {approval.signed_at:%d %b %Y} for couple {approval.couple.case_number} no longer "
            "matches what the prescriber signed: dosing under it is refused. The stored record was changed outside "
            "the product; check it with `manage.py verify_records` and ask the prescriber to sign a new approval.")


def approval_mismatch_alert(*, approval_id: int) -> int:
    """Audit a mismatching approval and tell each active clinic admin who has not an undismissed notice of it yet.
    Safe to run twice; returns how many notices were written (0 when the approval matches after all)."""
    approval = Approval.objects.select_related("couple").get(pk=approval_id)
    if approval_matches(approval=approval, doses=list(approval.doses.select_related("partner"))):
        return 0
    text = _alert_text(approval)
    admins = User.objects.filter(is_active=True, is_clinic_admin=True).exclude(
        notices__text=text, notices__dismissed_at__isnull=True)
    notices = [Notice(recipient=admin, couple=approval.couple, text=text) for admin in admins]
    if notices:
        audit_record(action=AuditAction.RECORD_MISMATCH, obj=approval, couple=approval.couple,
                     summary=f"dosing.approval {approval.pk}: content hash does not match")
        Notice.objects.bulk_create(notices)
    return len(notices)


def approval_matches(*, approval: Approval, doses: list[ApprovalDose]) -> bool:
    """Whether the approval's row and these dose rows (all of its doses) hash to its stored content hash."""
    return bool(approval.content_hash) and approval.compute_hash(doses) == approval.content_hash


def approval_integrity_reasons(*, approval: Approval, doses: list[ApprovalDose]) -> list[str]:
    """The gate's check at every use: [] when the approval is intact; otherwise the refusal, after raising the alarm
    (written now, and by a worker too when an enclosing transaction may roll back with the refusal)."""
    if approval_matches(approval=approval, doses=doses):
        return []
    if transaction.get_connection().in_atomic_block:
        _alarm_from_a_worker(approval.pk)
    approval_mismatch_alert(approval_id=approval.pk)
    return ["The approval on file no longer matches what the prescriber signed (it was changed outside the "
            "product); no dosing under it. The clinic admins have been alerted."]
