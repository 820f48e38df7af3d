from django.apps import AppConfig


class ClinicalSessionsConfig(AppConfig):
    """Therapy sessions of a couple. Labelled apart from django.contrib.sessions, which owns 'sessions'."""

    name = "sessions"
    label = "clinical_sessions"
    verbose_name = "Therapy sessions"
