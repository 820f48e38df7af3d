"""The demo clinic loads a realistic caseload, and loading it again changes nothing."""

import pytest

from accounts.models import User
from cases.models import CaseEvent, Couple
from demo.clinic import DEMO_PASSWORD, load_demo_clinic

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


def test_demo_courses_stand_on_the_rules():
    from dosing.approvals import approval_verify
    from dosing.gate import medicine_gate
    from dosing.models import Approval, DosingRequest
    from sessions.choices import Phase, SessionStatus
    from sessions.models import TherapySession

    load_demo_clinic()
    booked = TherapySession.objects.get(phase=Phase.MEDICINE, status=SessionStatus.SCHEDULED)
    assert booked.approval is not None
    assert medicine_gate(couple=booked.couple, start=booked.start, session_pk=booked.pk)[1] == []
    assert all(approval_verify(a) for a in Approval.objects.all())
    assert DosingRequest.objects.filter(status="pending").count() == 1
    assert TherapySession.objects.filter(phase=Phase.MEDICINE, status=SessionStatus.COMPLETED).count() == 6


def test_demo_codes_only_for_demo_prescribers_and_admins():
    import pyotp

    from accounts.models import TOTPDevice
    from demo.clinic import demo_code

    load_demo_clinic()
    device = TOTPDevice.objects.get(user__username="sam")
    assert demo_code("sam") == pyotp.TOTP(device.secret).now()
    with pytest.raises(ValueError, match="has no authenticator"):
        demo_code("maya")
    with pytest.raises(ValueError, match="is not a demo user"):
        demo_code("someone-else")
