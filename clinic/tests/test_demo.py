"""The demo clinic loads a realistic caseload, and loading it again changes nothing."""

import pytest

from accounts.models import User
from cases.models import CaseEvent, Couple
from clinic.demo import DEMO_PASSWORD, load_demo_clinic

pytestmark = pytest.mark.django_db


def test_demo_clinic_has_every_role_every_status_and_is_idempotent():
    users, added = load_demo_clinic()
    assert added == 20
    statuses = set(Couple.objects.values_list("status", flat=True))
    assert statuses == {"referred", "screening", "active", "completed", "closed", "declined"}
    maya, jordan = users["maya"], users["jordan"]
    assert maya.check_password(DEMO_PASSWORD)
    mine = set(Couple.objects.filter(therapists=maya).values_list("id", flat=True))
    theirs = set(Couple.objects.filter(therapists=jordan).values_list("id", flat=True))
    assert mine and theirs and not mine & theirs
    events = CaseEvent.objects.count()
    _, added_again = load_demo_clinic()
    assert added_again == 0
    assert (Couple.objects.count(), User.objects.count(), CaseEvent.objects.count()) == (20, 4, events)
