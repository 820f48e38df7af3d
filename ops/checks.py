"""Deployment checks (`manage.py check --deploy`) for what production needs to be told about its own errors."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def admins_receive_error_reports(app_configs, **kwargs):
    """Warn when nobody would hear about a 500: ADMINS is empty and Sentry is off."""
    if settings.ADMINS or settings.SENTRY_DSN:
        return []
    return [
        Warning(
            "Nobody receives error reports: ADMINS is empty and SENTRY_DSN is not set.",
            hint='Set ADMINS="Name <it@clinic.example>" (comma-separated) in the environment.',
            id="ops.W001",
        )
    ]
