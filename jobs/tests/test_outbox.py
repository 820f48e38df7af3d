"""The outbox: work written in the change's transaction, delivered once after the commit, swept when lost."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from jobs import outbox, tasks
from jobs.models import Reminder
from outbox import services as outbox_services
from outbox.models import OutboxKind, OutboxMessage
from sessions import services

from .helpers import book

pytestmark = pytest.mark.django_db


def later(seconds: int):
    return time_machine.travel(timezone.now() + datetime.timedelta(seconds=seconds), tick=False)


def test_a_refused_booking_leaves_no_work_behind(couple, therapist, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False

    def book_then_clash():
        with transaction.atomic():
            session = book(couple, therapist, hours=72)
            assert OutboxMessage.objects.filter(object_id=session.pk).count() == 1
            services.session_schedule(
                by=therapist,
                couple=couple,
                therapist=therapist,
                phase=session.phase,
                start=session.start,
                place=session.place,
            )  # a clash: refused, all undone

    with pytest.raises(ValidationError):
        book_then_clash()
    assert not OutboxMessage.objects.exists()


def test_a_message_is_delivered_once_however_often_it_is_asked(couple, therapist, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    session = book(couple, therapist, hours=72)  # on_commit never runs in this test: nothing delivered yet
    message = OutboxMessage.objects.get(object_id=session.pk, kind=OutboxKind.SESSION_CHANGED)
    assert not Reminder.objects.filter(session=session).exists()
    assert tasks.outbox_deliver(message.pk) is True
    assert Reminder.objects.filter(session=session).count() == 6
    assert tasks.outbox_deliver(message.pk) is False  # a second broker delivery of the same message
    with later(60):
        assert tasks.outbox_sweep() == 0
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 1
    assert Reminder.objects.filter(session=session).count() == 6


def test_the_sweep_takes_what_the_broker_lost_and_what_a_dead_worker_held(couple, therapist, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    lost = OutboxMessage.objects.get(object_id=book(couple, therapist, hours=72).pk)
    held = OutboxMessage.objects.get(object_id=book(couple, therapist, hours=96).pk)
    # A worker claimed this one and died before it finished.
    OutboxMessage.objects.filter(pk=held.pk).update(
        claimed_until=timezone.now() + datetime.timedelta(seconds=60), attempts=1
    )
    assert outbox.outbox_waiting() == []  # too young: still on its way through the broker
    with later(10):
        assert outbox.outbox_waiting() == [lost.pk]  # the claimed one is left to its worker for now
        assert tasks.outbox_sweep() == 1
    with later(90):  # the dead worker's lease ran out
        assert tasks.outbox_sweep() == 1
    assert Reminder.objects.filter(session_id__in=[lost.object_id, held.object_id]).count() == 12
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


def test_a_failing_handler_keeps_the_message_and_says_why(couple, therapist, settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    message = OutboxMessage.objects.get(object_id=book(couple, therapist, hours=72).pk)

    def broken(message):
        raise RuntimeError("the database went away")

    monkeypatch.setitem(outbox.HANDLERS, OutboxKind.SESSION_CHANGED, broken)
    with later(10):
        assert tasks.outbox_sweep() == 0
    message.refresh_from_db()
    assert message.sent_at is None and message.claimed_until is None
    assert message.last_error == "RuntimeError: the database went away"
    monkeypatch.undo()
    with later(20):
        assert tasks.outbox_sweep() == 1


def test_a_down_broker_is_asked_once_and_then_left_alone(settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    calls = []

    def broker_down(*args, **kwargs):
        calls.append(args)
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(tasks.outbox_deliver, "apply_async", broker_down)
    assert outbox_services.outbox_publish(message_id=1) is False
    assert outbox_services.broker_available() is False
    assert outbox_services.outbox_publish(message_id=2) is False
    assert len(calls) == 1  # the second write did not wait for the broker at all


def test_an_unknown_kind_cannot_be_stored():
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        OutboxMessage.objects.create(kind="telepathy")
