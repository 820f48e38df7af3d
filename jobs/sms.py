"""Text messages behind a pluggable backend (settings.SMS_BACKEND), as Django does for e-mail.

A backend has send(*, to, body) and raises SMSTransientError when the message certainly did not leave
(worth retrying) or SMSError when it never will.
"""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("jobs.sms")


class SMSError(Exception):
    """The gateway refused the message; retrying will not help."""


class SMSTransientError(SMSError):
    """The message certainly did not leave (gateway unreachable); it may be retried."""


class BaseSMSBackend:
    def send(self, *, to: str, body: str) -> None:
        raise NotImplementedError


class LoggingSMSBackend(BaseSMSBackend):
    """The default: logs that a text would go out, with the number masked to its last 2 digits and no text.

    The body names a session and a time, which is PHI next to a phone number, so it never reaches the log."""

    def send(self, *, to: str, body: str) -> None:
        digits = "".join(ch for ch in to if ch.isdigit())
        logger.info("SMS to ***%s (%d characters) handed to the logging backend; nothing was sent.",
                    digits[-2:], len(body))


class LocMemSMSBackend(BaseSMSBackend):
    """For tests: keeps messages in LocMemSMSBackend.outbox."""

    outbox: list[dict] = []

    def send(self, *, to: str, body: str) -> None:
        type(self).outbox.append({"to": to, "body": body})


def sms_backend() -> BaseSMSBackend:
    return import_string(settings.SMS_BACKEND)()
