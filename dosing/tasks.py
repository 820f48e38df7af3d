"""Celery entry points of dosing: each calls one service and is safe to run twice."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from dosing import gate


@shared_task(name="dosing.tasks.medicine_gate_sweep", autoretry_for=(OperationalError, InterfaceError),
             retry_backoff=5, retry_backoff_max=300, max_retries=8)
def medicine_gate_sweep() -> int:
    """Beat, hourly: booked medicine sessions whose gate has shut are listed to their therapists."""
    return gate.medicine_gate_sweep()
