from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic settings"

    def ready(self):
        from clinic import checks  # noqa: F401 - registers the system checks
