"""System checks of background work: production must not promise text reminders that only reach a log."""

import logging

from django.conf import settings
from django.core.checks import Error, register

from jobs.sms import sms_backend_class

logger = logging.getLogger("jobs.sms")

LOGGING_BACKEND_IN_PRODUCTION = (
    "Text reminders are on (SMS_REMINDERS) but SMS_BACKEND={backend} only logs them: no patient would get a text, "
    "so none are planned. Set SMS_BACKEND=jobs.sms_twilio.TwilioSMSBackend with TWILIO_ACCOUNT_SID, "
    "TWILIO_AUTH_TOKEN and TWILIO_FROM (or TWILIO_MESSAGING_SERVICE_SID), or turn text reminders off with "
    "SMS_REMINDERS=0."
)


def sms_configuration_problems() -> list[tuple[str, str]]:
    """(check id, message) for each way production's SMS setup would fail patients; empty when it is sound."""
    if not (settings.PRODUCTION and settings.SMS_REMINDERS):
        return []
    try:
        backend = sms_backend_class()
    except ImportError as exc:
        return [("jobs.E002", f"SMS_BACKEND={settings.SMS_BACKEND} cannot be imported ({exc}).")]
    if getattr(backend, "logs_only", False):
        return [("jobs.E001", LOGGING_BACKEND_IN_PRODUCTION.format(backend=settings.SMS_BACKEND))]
    if settings.SMS_BACKEND == "jobs.sms_twilio.TwilioSMSBackend":
        missing = [name for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN") if not getattr(settings, name)]
        if not (settings.TWILIO_FROM or settings.TWILIO_MESSAGING_SERVICE_SID):
            missing.append("TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID")
        if missing:
            return [("jobs.E003", f"The Twilio SMS backend needs {', '.join(missing)}.")]
    return []


@register(deploy=True)
def check_sms_backend(app_configs=None, **kwargs) -> list[Error]:
    return [Error(message, id=check_id) for check_id, message in sms_configuration_problems()]


def warn_at_start() -> None:
    """Say it in every production process's log as it starts (web, workers, beat), not only in `check --deploy`."""
    for check_id, message in sms_configuration_problems():
        logger.error("%s: %s", check_id, message)
