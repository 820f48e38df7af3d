from django.apps import AppConfig


class OutboxConfig(AppConfig):
    """Work to do after a commit, written in the same transaction as the change that calls for it."""

    name = "outbox"
    verbose_name = "Outbox"
    default_auto_field = "django.db.models.BigAutoField"
