"""Both partners' screening decided at the same moment on two PostgreSQL connections still activates the couple:
the second decision waits on the couple's row lock, then sees the first (without the lock each would see the other
still pending and the couple would stay in screening)."""

import datetime

import pytest
from django.utils import timezone

from cases import services
from cases.choices import CoupleStatus, ScreeningOutcome
from cases.models import Couple
from sessions.choices import Phase, SessionStatus
from sessions.tests.helpers import held
from tests.concurrency.test_locks import _postgresql_only, race  # noqa: F401 (fixture)
from tests.factories import make_screening_complete

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_partners_decided_at_once_still_activate_the_couple(therapist, prescriber, couple):
    services.couple_transition(by=therapist, couple=couple, to_status=CoupleStatus.SCREENING)
    soon = timezone.now() + datetime.timedelta(days=3)
    held(couple, therapist, Phase.ASSESSMENT, soon, status=SessionStatus.SCHEDULED)
    held(couple, therapist, Phase.PREPARATION, soon + datetime.timedelta(days=2), status=SessionStatus.SCHEDULED)
    a, b = (make_screening_complete(couple.partners.get(label=label).screening) for label in "AB")

    def decide(screening):
        return lambda: services.screening_decide(by=prescriber, screening=screening, outcome=ScreeningOutcome.CLEARED)

    first, second, waited = race(decide(a), decide(b))
    assert first.error is None and second.error is None, second.error
    assert waited, "the second decision did not wait for the first one's lock on the couple"
    assert Couple.objects.get(pk=couple.pk).status == CoupleStatus.ACTIVE
