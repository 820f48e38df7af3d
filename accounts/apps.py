from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Clinic users"

    def ready(self):
        from accounts import signals

        signals.connect()
