"""Text messages behind a pluggable backend (settings.SMS_BACKEND), as Django does for e-mail.

A backend has send(*, to, body, status_callback) and returns an SMSReceipt; it raises SMSTransientError when the
message certainly did not leave (worth retrying), SMSError when it never will, and anything else when it cannot
tell (the reminder then waits for a person). A backend whose logs_only is True sends nothing: what it "sends" is
recorded as "logged, not sent", and production does not plan text reminders through it (jobs/checks.py).
"""

import logging
from dataclasses import dataclass
from itertools import count

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("jobs.sms")


class SMSError(Exception):
    """The gateway refused the message; retrying will not help."""


class SMSTransientError(SMSError):
    """The message certainly did not leave (gateway unreachable); it may be retried."""


@dataclass(frozen=True)
class SMSReceipt:
    """What the gateway said when it took a message: its id there (for status callbacks) and first status."""

    provider_id: str = ""
    status: str = ""
    logged_only: bool = False


class BaseSMSBackend:
    logs_only = False

    def send(self, *, to: str, body: str, status_callback: str = "") -> SMSReceipt:
        raise NotImplementedError


class LoggingSMSBackend(BaseSMSBackend):
    """The local default: logs that a text would go out, with the number masked to its last 2 digits and no text.

    The body names a session and a time, which is PHI next to a phone number, so it never reaches the log."""

    logs_only = True

    def send(self, *, to: str, body: str, status_callback: str = "") -> SMSReceipt:
        digits = "".join(ch for ch in to if ch.isdigit())
        logger.info(
            "SMS to ***%s (%d characters) handed to the logging backend; nothing was sent.", digits[-2:], len(body)
        )
        return SMSReceipt(logged_only=True)


class LocMemSMSBackend(BaseSMSBackend):
    """For tests: keeps messages in LocMemSMSBackend.outbox, as if a gateway had queued them."""

    outbox: list[dict] = []
    _ids = count(1)

    def send(self, *, to: str, body: str, status_callback: str = "") -> SMSReceipt:
        type(self).outbox.append({"to": to, "body": body, "status_callback": status_callback})
        return SMSReceipt(provider_id=f"LM{next(self._ids):032d}", status="queued")


def sms_backend_class() -> type[BaseSMSBackend]:
    return import_string(settings.SMS_BACKEND)


def sms_backend() -> BaseSMSBackend:
    return sms_backend_class()()


def sms_logs_only() -> bool:
    """True while text messages would only be logged, never delivered."""
    return bool(getattr(sms_backend_class(), "logs_only", False))


def sms_refusal() -> str:
    """Why text reminders may not be planned or sent now, or "" if they may (SMS_REMINDERS, and production never
    plans them through a backend that only logs)."""
    if not settings.SMS_REMINDERS:
        return "The clinic does not send text reminders (SMS_REMINDERS=0)."
    if settings.PRODUCTION and sms_logs_only():
        return (
            "Not planned: the clinic's SMS backend only logs messages, so nothing would reach the phone "
            "(set SMS_BACKEND to the SMS provider)."
        )
    return ""
