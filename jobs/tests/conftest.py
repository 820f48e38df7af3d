"""Fixtures of the background-work tests: tasks run inline (eager), text messages kept in memory, New York time."""

import pytest

from jobs.sms import LocMemSMSBackend


@pytest.fixture(autouse=True)
def _inline_work(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.SMS_BACKEND = "jobs.sms.LocMemSMSBackend"
    settings.TIME_ZONE = "America/New_York"
    LocMemSMSBackend.outbox = []


@pytest.fixture
def sms_outbox():
    return LocMemSMSBackend.outbox
