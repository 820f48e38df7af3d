from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations: health, worker heartbeats and task failures"

    def ready(self):
        from ops import signals  # noqa: F401 - connects the Celery signal receivers
