"""Unhandled errors reach the clinic's admins without PHI: by mail through a worker, and to Sentry if configured.

The report itself is Django's, built by audit.redaction's reporter and filter (no POST values, cookies, query
values, traceback variables, exception messages or user names). What leaves the process here is only that
scrubbed text, so the worker's message carries no PHI either.
"""

import logging
import re

from celery import current_app
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.log import AdminEmailHandler

from audit.redaction import REDACTED
from ops.outage import is_outage

logger = logging.getLogger("ops.error_reports")

ERROR_REPORT_TASK = "ops.tasks.error_report_send"


def error_report_queue(*, subject: str, message: str) -> None:
    """Hand an already scrubbed report to a worker for ADMINS; never raises, never blocks on a dead broker."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # By name: this module is loaded with the logging settings, before the apps (and their tasks) are.
        current_app.tasks[ERROR_REPORT_TASK](subject, message)
        return
    try:
        # Not after commit: the failing request's transaction is being rolled back, and the report must go anyway.
        current_app.send_task(ERROR_REPORT_TASK, args=(subject, message), retry=False)
    except Exception as exc:  # noqa: BLE001 - any broker failure; the console log still has the error
        logger.warning("Error report not queued: the broker is unreachable (%s).", type(exc).__name__)


class AdminEmailThroughWorkerHandler(AdminEmailHandler):
    """Django's mail to ADMINS on an ERROR record, sent by a worker instead of SMTP inside the failing request."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and is_outage(record.exc_info[1]):
            return  # the database or Redis is down: /readyz and the outage warning say so, not one mail per request
        if not settings.ADMINS:
            return
        super().emit(record)

    def send_mail(self, subject, message, *args, **kwargs):
        error_report_queue(subject=subject, message=message)


# -- Sentry ---------------------------------------------------------------------------------------------------

_QUERY = re.compile(r"\?.*$")
_SAFE_HEADERS = {"Host", "Accept", "User-Agent", "X-Request-Id", "Content-Type", "Content-Length"}
_BREADCRUMB_KEYS = ("type", "category", "level", "timestamp")


def sentry_scrub(event: dict, hint: dict | None = None) -> dict:
    """Sentry's before_send: keep the kind and place of an error, drop everything that could name a person."""
    request = event.get("request")
    if request:
        headers = request.get("headers") or {}
        kept = {"headers": {k: (v if k.title() in _SAFE_HEADERS else REDACTED) for k, v in headers.items()}}
        if request.get("method"):
            kept["method"] = request["method"]
        if request.get("url"):
            kept["url"] = _QUERY.sub("", request["url"])
        event["request"] = kept  # no body, cookies, query string or environment
    user = event.get("user")
    if user:
        event["user"] = {"id": user["id"]} if "id" in user else {}
    for exception in (event.get("exception") or {}).get("values", []):
        exception["value"] = REDACTED
        for frame in (exception.get("stacktrace") or {}).get("frames", []):
            frame.pop("vars", None)
    for thread in (event.get("threads") or {}).get("values", []):
        for frame in (thread.get("stacktrace") or {}).get("frames", []):
            frame.pop("vars", None)
    logentry = event.get("logentry")
    if logentry:
        # The template a developer wrote stays; the values put into it do not.
        event["logentry"] = {"message": logentry.get("message")}
    breadcrumbs = event.get("breadcrumbs")
    if breadcrumbs:
        values = breadcrumbs.get("values", []) if isinstance(breadcrumbs, dict) else breadcrumbs
        event["breadcrumbs"] = {"values": [{k: b[k] for k in _BREADCRUMB_KEYS if k in b} for b in values]}
    event.pop("extra", None)
    return event


def sentry_init(*, dsn: str, environment: str, release: str | None = None, transport=None) -> None:
    """Start Sentry's Django and Celery integrations with PHI off; refuse to start if sentry-sdk is missing."""
    try:
        import sentry_sdk
        from sentry_sdk.integrations.celery import CeleryIntegration
        from sentry_sdk.integrations.django import DjangoIntegration
        from sentry_sdk.integrations.logging import LoggingIntegration
    except ImportError:
        raise ImproperlyConfigured(
            "SENTRY_DSN is set but sentry-sdk is not installed (pip install -r requirements.txt)."
        ) from None
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        transport=transport,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=settings.SENTRY_TRACES_SAMPLE_RATE,
        before_send=sentry_scrub,
        integrations=[
            DjangoIntegration(),
            CeleryIntegration(),
            LoggingIntegration(level=None, event_level=logging.ERROR),
        ],
        default_integrations=True,
    )
