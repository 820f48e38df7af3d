from django.apps import AppConfig


class IntegrationConfig(AppConfig):
    name = "integration"
    verbose_name = "Integration and outcomes"

    def ready(self):
        # Every entry point that saves a session (pages, admin, tasks, fixtures) keeps the integration links true.
        from django.db.models.signals import post_save

        from integration.signals import session_saved
        from sessions.models import TherapySession

        post_save.connect(session_saved, sender=TherapySession, dispatch_uid="integration.session_saved")
