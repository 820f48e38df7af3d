"""Verified, not trusted: an approval is used only while it and its doses still hash to what the prescriber signed.

The database refuses changes to signed rows (records.guards), but a superuser can lift that; the hash is the second
line. A mismatch refuses dosing, writes an audit event and tells every clinic admin, once until they dismiss it.
"""

from django.db import transaction

from accounts.models import User
from audit.choices import AuditAction
from audit.services import audit_record
from dosing.models import Approval, ApprovalDose, Notice
from outbox.services import task_send


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
        # Sent now, not after the commit: the refusal may roll the enclosing transaction back, notices and all.
        task_send("dosing.tasks.approval_mismatch_alert", approval.pk)
    approval_mismatch_alert(approval_id=approval.pk)
    return ["The approval on file no longer matches what the prescriber signed (it was changed outside the "
            "product); no dosing under it. The clinic admins have been alerted."]
