from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Reminders, documents and exports"

    def ready(self) -> None:
        from jobs import checks

        checks.warn_at_start()
