"""Beat sends a heartbeat to every queue; the worker that takes it writes the time, and /readyz reads it."""

import os
import smtplib
import socket

from celery import shared_task
from django.core.mail import mail_admins

from ops import services


@shared_task(bind=True, name="ops.tasks.heartbeat", ignore_result=True)
def heartbeat(self, queue: str) -> None:
    """Record that a worker consuming `queue` is alive (the queue the message really came from, if known)."""
    delivered_on = (self.request.delivery_info or {}).get("routing_key") or queue
    services.heartbeat_record(queue=delivered_on, worker=f"{socket.gethostname()}:{os.getpid()}")


@shared_task(
    name="ops.tasks.error_report_send",
    ignore_result=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=15 * 60,
    max_retries=8,
)
def error_report_send(subject: str, message: str) -> None:
    """Mail an already scrubbed error report to ADMINS; the mail server being down retries with backoff.

    The exception to "tasks take ids": the report is text built when the error happened, and the database
    may be the very thing that failed, so it travels in the message. Run twice, it mails twice (acks_late only
    redelivers after a worker died), which for an error report is the lesser harm than losing it."""
    mail_admins(subject, message, fail_silently=False)
