"""Fixtures of the background-work tests: tasks run inline (eager), text messages kept in memory, New York time."""

import pytest

from jobs.sms import LocMemSMSBackend


@pytest.fixture(autouse=True)
def _inline_work(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.SMS_BACKEND = "jobs.sms.LocMemSMSBackend"
    settings.TIME_ZONE = "America/New_York"
    LocMemSMSBackend.outbox = []


@pytest.fixture(autouse=True)
def _default_lead_times(request):
    """The default lead times come from a data migration, and transactional tests elsewhere empty every table:
    put them back for each database test here."""
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("db")
    from jobs.models import ReminderLead
    from jobs.reminders import DEFAULT_LEADS_MINUTES
    from sessions.choices import Phase

    for phase in Phase.values:
        for minutes in DEFAULT_LEADS_MINUTES:
            ReminderLead.objects.get_or_create(phase=phase, minutes_before=minutes)


@pytest.fixture
def sms_outbox():
    return LocMemSMSBackend.outbox
