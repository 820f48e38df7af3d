"""The clinic admin's home lists the reminders whose sending a worker interrupted, with the way to their session:
each may or may not have reached its recipient, and a person checks and resends it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from jobs.choices import Channel, RecipientKind, ReminderStatus
from jobs.models import Reminder
from sessions.choices import Phase, SessionStatus
from sessions.tests.helpers import held

pytestmark = pytest.mark.django_db


def test_reminders_to_check_by_hand_are_listed_with_their_session(client_for, clinic_admin, therapist, couple):
    session = held(
        couple, therapist, Phase.ASSESSMENT, timezone.now() + datetime.timedelta(days=1), status=SessionStatus.SCHEDULED
    )
    client = client_for(clinic_admin)
    assert "Reminders to check by hand" not in client.get(reverse("accounts:admin_home")).content.decode()
    Reminder.objects.create(
        session=session,
        session_start=session.start,
        user=therapist,
        recipient_kind=RecipientKind.THERAPIST,
        channel=Channel.EMAIL,
        lead_minutes=120,
        due_at=session.start - datetime.timedelta(hours=2),
        status=ReminderStatus.UNKNOWN,
    )
    html = client.get(reverse("accounts:admin_home")).content.decode()
    assert "Reminders to check by hand" in html
    assert reverse("sessions:session_detail", args=[session.uuid]) in html
    assert f"{couple.case_number}," in html
