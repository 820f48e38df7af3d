from django.apps import AppConfig
from django.conf import settings


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations: health, worker heartbeats and task failures"

    def ready(self):
        # signals connects the Celery signal receivers, checks the deployment checks, and tasks registers the
        # error-report task in every process (the web one too), which error_reports queues by name.
        from ops import checks, error_reports, signals, tasks  # noqa: F401

        if settings.SENTRY_DSN:
            error_reports.sentry_init(dsn=settings.SENTRY_DSN, environment=settings.SENTRY_ENVIRONMENT)
