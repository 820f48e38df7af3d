"""verify_records: every signed record against its hash, the database's guards, and the audit trail against its seal."""

import datetime
import hashlib
import json

from django.db import connection
from django.db.models import Prefetch
from django.utils import timezone

from audit.choices import AuditAction
from audit.models import AuditEvent
from audit.services import audit_record
from dosing.integrity import approval_matches, approval_mismatch_alert
from dosing.models import Approval, ApprovalDose
from records.guards import expected_triggers, installed_triggers
from records.models import VerificationRun
from sessions.choices import NoteStatus
from sessions.models import SessionNote

CHUNK = 500
_AUDIT_FIELDS = (
    "id",
    "uuid",
    "at",
    "actor_id",
    "actor_username",
    "action",
    "object_type",
    "object_id",
    "couple_id",
    "summary",
    "path",
    "method",
    "ip_address",
    "user_agent",
)


def _audit_digest(previous: str, row: tuple) -> str:
    payload = json.dumps([str(value) if value is not None else None for value in row], separators=(",", ":"))
    return hashlib.sha256(f"{previous}:{payload}".encode()).hexdigest()


# Events younger than this are left for the next run: an id handed out by a transaction still open could
# otherwise commit below the seal and look like tampering.
SETTLE = datetime.timedelta(hours=1)


def _audit_chain(
    *,
    up_to: int | None,
    start_after: int | None = None,
    seal: str = "",
    settled_before: datetime.datetime | None = None,
) -> tuple[str, int, int | None]:
    """The chained digest of the audit events with ids in (start_after, up_to], from seal, stopping at the first
    event not yet settled; with the number of rows and the last id."""
    events = AuditEvent.objects.order_by("id").values_list(*_AUDIT_FIELDS)
    if start_after is not None:
        events = events.filter(id__gt=start_after)
    if up_to is not None:
        events = events.filter(id__lte=up_to)
    rows, last = 0, start_after
    for row in events.iterator(chunk_size=CHUNK):
        if settled_before is not None and row[2] >= settled_before:
            break
        seal, rows, last = _audit_digest(seal, row), rows + 1, row[0]
    return seal, rows, last


def records_verify() -> VerificationRun:
    """Check every approval and signed note against its hash, that every guard trigger is in place and enabled,
    and that the audit events sealed by the last run are unchanged and all there; record the run and audit it.
    Approvals that fail also alert the clinic admins (as the gate does)."""
    started = timezone.now()
    mismatches: list[str] = []
    checked = 0

    for name in sorted(expected_triggers(connection.vendor) - installed_triggers(connection)):
        mismatches.append(f"Database guard {name} is missing or disabled.")

    approvals = (
        Approval.objects.select_related("couple")
        .prefetch_related(Prefetch("doses", queryset=ApprovalDose.objects.select_related("partner")))
        .order_by("id")
    )
    for approval in approvals.iterator(chunk_size=CHUNK):
        checked += 1
        if not approval_matches(approval=approval, doses=list(approval.doses.all())):
            mismatches.append(
                f"Approval {approval.pk} of couple {approval.couple.case_number} (signed "
                f"{approval.signed_at:%Y-%m-%d}) does not match what was signed."
            )
            approval_mismatch_alert(approval_id=approval.pk)

    notes = SessionNote.objects.filter(status=NoteStatus.SIGNED).select_related("session__couple").order_by("id")
    for note in notes.iterator(chunk_size=CHUNK):
        checked += 1
        if not note.matches_signature:
            mismatches.append(
                f"Signed note {note.pk} of couple {note.session.couple.case_number} (session "
                f"{timezone.localtime(note.session.start):%Y-%m-%d}) does not match what was signed."
            )

    previous = VerificationRun.objects.exclude(audit_last_id=None).order_by("-finished_at", "-id").first()
    seal, rows, last = "", 0, None
    if previous is not None:
        seal, rows, last = _audit_chain(up_to=previous.audit_last_id)
        if seal != previous.audit_seal or rows != previous.audit_rows:
            mismatches.append(
                f"The audit trail up to event {previous.audit_last_id} changed since "
                f"{timezone.localtime(previous.finished_at):%Y-%m-%d %H:%M}: {rows} events where "
                f"{previous.audit_rows} were sealed."
            )
    seal, more, last = _audit_chain(up_to=None, start_after=last, seal=seal, settled_before=started - SETTLE)
    rows += more
    checked += rows

    run = VerificationRun.objects.create(
        started_at=started, checked=checked, mismatches=mismatches, audit_last_id=last, audit_rows=rows, audit_seal=seal
    )
    audit_record(
        action=AuditAction.RECORD_MISMATCH if mismatches else AuditAction.RECORDS_VERIFIED,
        obj=run,
        summary=f"records.verificationrun {run.pk}: {checked} checked, {len(mismatches)} mismatches",
    )
    return run


def verification_latest() -> VerificationRun | None:
    """The last verify_records result, for the admin dashboard."""
    return VerificationRun.objects.order_by("-finished_at", "-id").first()
