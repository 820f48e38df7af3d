"""Issue 18.7: the broker stops in the middle of the day. A Redis server of this test's own, on a free port, is
stopped between two bookings: pages still answer, a write does not wait for it, and the work both bookings asked
for is done once it is back."""

import datetime
import shutil
import subprocess
import time

import pytest
import redis
import time_machine
from django.urls import reverse
from django.utils import timezone

from jobs import tasks
from jobs.models import Reminder
from kapcouples.celery import app as celery_app
from outbox.middleware import DEFERRED_MESSAGE
from outbox.models import OutboxMessage
from sessions.choices import Phase, Place
from sessions.models import TherapySession
from tests.browser import require_or_skip

from .stack import free_port

pytestmark = pytest.mark.django_db(transaction=True)


class OwnRedis:
    def __init__(self, tmp_path):
        binary = shutil.which("redis-server")
        if binary is None:
            require_or_skip("redis-server", "install it with: sudo apt-get install redis-server")
        self.binary, self.dir, self.port = binary, tmp_path, free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--save", "", "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _use_broker(url: str) -> None:
    """Point this process's Celery app at the given broker (its connection pools are made again)."""
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def own_redis(tmp_path, settings):
    server = OwnRedis(tmp_path)
    server.start()
    original = celery_app.conf.broker_url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    _use_broker(server.url)
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.stop()
        _use_broker(original)


def _book(client, couple, start):
    data = {
        "couple": couple.pk,
        "phase": Phase.ASSESSMENT,
        "start": timezone.localtime(start).strftime("%Y-%m-%dT%H:%M"),
        "place": Place.TELEHEALTH,
    }
    began = time.monotonic()
    response = client.post(reverse("sessions:session_new"), data)
    seconds = time.monotonic() - began
    assert response.status_code == 302, response.content.decode()[-2000:]
    return client.get(response["Location"]), seconds


def test_pages_and_writes_go_on_while_redis_is_down_and_the_work_follows(own_redis, client_for, therapist, couple):
    import importlib

    from django.apps import apps

    # The reminder lead times are rows a data migration wrote; an earlier transactional test may have flushed them.
    importlib.import_module("jobs.migrations.0002_default_reminder_leads").add_defaults(apps, None)
    client = client_for(therapist)
    soon = timezone.now() + datetime.timedelta(days=3)
    response, with_broker = _book(client, couple, soon.replace(hour=10, minute=0, second=0, microsecond=0))
    assert response.status_code == 200 and DEFERRED_MESSAGE not in response.content.decode()
    assert redis.Redis.from_url(own_redis.url).llen("reminders") == 1  # handed to the broker after the commit

    own_redis.stop()
    response, seconds = _book(client, couple, soon.replace(hour=15, minute=0, second=0, microsecond=0))
    assert response.status_code == 200
    assert DEFERRED_MESSAGE in response.content.decode()
    # Under a second, and no slower than with the broker up beyond noise (it was about 6 s: kombu's retries).
    assert seconds < 1 and seconds < with_broker + 0.5, f"{seconds:.2f} s with Redis down, {with_broker:.2f} s up"
    for url in (
        reverse("cases:couple_list"),
        reverse("cases:couple_detail", args=[couple.uuid]),
        reverse("accounts:home"),
    ):
        assert client.get(url, follow=True).status_code == 200
    sessions = list(TherapySession.objects.filter(couple=couple))
    assert len(sessions) == 2
    assert not Reminder.objects.filter(session__in=sessions).exists()  # nobody delivered yet

    own_redis.start()  # back (empty: what it held before is gone, as after a crash)
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=30)):
        assert tasks.outbox_sweep() == 2  # what beat runs: both bookings' work, the first one's lost with Redis
    assert Reminder.objects.filter(session__in=sessions).count() == 12
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
