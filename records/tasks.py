"""Celery entry points of records."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from records.verify import records_verify


@shared_task(
    name="records.tasks.records_verify",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=30,
    max_retries=3,
)
def records_verify_nightly() -> bool:
    """Beat, nightly: verify every record; the admin dashboard shows the result. Safe to run twice."""
    return records_verify().ok
