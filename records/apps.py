from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _reinstall_guards(sender, using, **kwargs):
    from django.db import connections

    from records.guards import install_all

    install_all(connections[using])


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = "Records the database keeps"

    def ready(self):
        # After every migrate: a SQLite table rebuild drops triggers, and the clinic's time zone may have changed.
        post_migrate.connect(_reinstall_guards, sender=self, dispatch_uid="records.reinstall_guards")
