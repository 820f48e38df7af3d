"""Celery entry points of dosing: each calls one service and is safe to run twice."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from dosing import integrity, lifecycle


@shared_task(
    name="dosing.tasks.medicine_gate_sweep",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=8,
)
def medicine_gate_sweep() -> int:
    """Beat, hourly: booked medicine sessions whose gate has shut are blocked and listed to their therapists."""
    return lifecycle.medicine_gate_sweep()


@shared_task(
    name="dosing.tasks.approval_mismatch_alert",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=8,
)
def approval_mismatch_alert(approval_id: int) -> int:
    """Sent by the gate when an approval fails its hash: audit it and tell the clinic admins (once)."""
    return integrity.approval_mismatch_alert(approval_id=approval_id)
