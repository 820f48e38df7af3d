"""Two bookings at once on two PostgreSQL connections cannot both take the last medicine session an approval
covers: the second booking waits on the couple's row lock, then sees the first and is refused with the gate's
reason (the approval's count) - not a second session on the calendar."""

import pytest
from django.core.exceptions import ValidationError

from dosing.choices import Approach
from dosing.tests.factories import ready_couple, sign
from dosing.tests.test_medicine_session import local, prepared
from sessions import services as session_services
from sessions.choices import Phase, Place
from sessions.models import TherapySession
from tests.concurrency.test_locks import _postgresql_only, race  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_bookings_at_once_cannot_both_take_the_last_covered_session(therapist, other_therapist, prescriber, couple):
    ready_couple(couple, prescriber)
    sign(couple, prescriber, Approach.DUAL_PSYCHOLYTIC, sessions_covered=1)
    prepared(couple, therapist)
    couple.therapists.add(other_therapist)  # two clinicians of the care team book at the same moment

    def booking(by, hour):
        return lambda: session_services.session_schedule(
            by=by, couple=couple, therapist=by, phase=Phase.MEDICINE, start=local(2, hour), place=Place.TELEHEALTH
        )

    first, second, waited = race(booking(therapist, 9), booking(other_therapist, 14))
    assert first.error is None
    assert isinstance(second.error, ValidationError), "both bookings took the approval's last session"
    assert "The approval covers 1 medicine session, and 1 already use it." in second.error.message_dict["phase"]
    assert waited, "the second booking did not wait for the first one's lock"
    assert TherapySession.objects.filter(couple=couple, phase=Phase.MEDICINE).count() == 1
