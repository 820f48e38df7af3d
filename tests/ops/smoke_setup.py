"""Run by the smoke test in a subprocess, with the production settings of the stack under test: a therapist, a
couple on her caseload (both partners reminded by e-mail) and an assessment session that started an hour ago,
booked through the service while the clock was set back (as if booked yesterday). Prints the ids as JSON."""

import datetime
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kapcouples.settings")

import django  # noqa: E402

django.setup()

import time_machine  # noqa: E402
from django.utils import timezone  # noqa: E402

from sessions import services  # noqa: E402
from sessions.choices import Phase, Place  # noqa: E402
from tests.factories import CoupleFactory, UserFactory  # noqa: E402

password = sys.argv[1]
therapist = UserFactory(
    username="smoke-therapist", is_therapist=True, password=password, email="therapist@smoke.example"
)
couple = CoupleFactory(therapists=[therapist])
now = timezone.now()
with time_machine.travel(now - datetime.timedelta(days=1), tick=False):
    past = services.session_schedule(
        by=therapist,
        couple=couple,
        therapist=therapist,
        phase=Phase.ASSESSMENT,
        start=now - datetime.timedelta(hours=1),
        place=Place.TELEHEALTH,
    ).session
print(
    json.dumps(
        {
            "couple_id": couple.pk,
            "case_number": couple.case_number,
            "past_session_uuid": str(past.uuid),
            "addresses": sorted([*couple.partners.values_list("email", flat=True), therapist.email]),
        }
    )
)
