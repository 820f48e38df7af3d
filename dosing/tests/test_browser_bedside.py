"""At the bedside in a real browser: a hold, the prescriber's override of that reading, a further rise that holds
again, its own override, then a booster."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from dosing.choices import Approach
from dosing.lifecycle import medicine_session_start
from dosing.models import Administration, HoldOverride
from dosing.record import dose_record, predose_record
from dosing.tests.factories import lot, predose_values, ready_couple, sign
from sessions import services as session_services
from sessions.choices import Phase, Place
from sessions.tests.helpers import history

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TZ = zoneinfo.ZoneInfo("America/New_York")
START = datetime.datetime(2030, 3, 5, 9, 0, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _clinic_time_zone(settings):
    settings.TIME_ZONE = "America/New_York"


def test_an_override_covers_one_reading_a_further_rise_holds_again_then_a_booster(login, therapist, prescriber, couple):
    with time_machine.travel(START - datetime.timedelta(days=1), tick=True) as clock:
        ready_couple(couple, prescriber)
        sign(couple, prescriber, Approach.DUAL_PSYCHOLYTIC)  # A: 50 mg, maximum 70 mg
        history(
            couple,
            therapist,
            [
                (Phase.ASSESSMENT, START - datetime.timedelta(days=20)),
                (Phase.PREPARATION, START - datetime.timedelta(days=13)),
                (Phase.PREPARATION, START - datetime.timedelta(days=6)),
            ],
        )
        session = session_services.session_schedule(
            by=therapist, couple=couple, therapist=therapist, phase=Phase.MEDICINE, start=START, place=Place.TELEHEALTH
        ).session
        stock = lot(prescriber, number="K-2030-07")
        a = couple.partners.get(label="A")
        clock.move_to(START + datetime.timedelta(minutes=5))
        medicine_session_start(by=therapist, session=session)
        predose_record(
            by=therapist,
            session=session,
            partner=a,
            values=predose_values(sober_partner_present=None, systolic=126, diastolic=80),
        )
        dose_record(
            by=therapist,
            session=session,
            partner=a,
            at=START + datetime.timedelta(minutes=5),
            mg=Decimal("50"),
            lot=stock,
        )

        clock.move_to(START + datetime.timedelta(minutes=45))
        page = login(prescriber)  # the couple's prescriber documents at the bedside and overrides
        page.goto(f"/sessions/{session.uuid}/medicine/")

        def add_reading(systolic, diastolic):
            record = page.locator("section[aria-labelledby=record-A]")
            record.locator("#id_vitals-A-at").fill(timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
            record.locator("#id_vitals-A-systolic").fill(str(systolic))
            record.locator("#id_vitals-A-diastolic").fill(str(diastolic))
            record.locator("#id_vitals-A-heart_rate").fill("88")
            record.get_by_role("button", name=f"Add vitals for {a.full_name}").click()
            assert page.get_by_text(f"Vitals of {a.first_name} recorded.").is_visible()

        add_reading(164, 98)
        record = page.locator("section[aria-labelledby=record-A]")
        assert record.get_by_text("Dosing is held: blood pressure 164/98 mmHg is at or above 160/100").is_visible()
        record.locator("#id_reading-override-A-reason").fill("Anxious on waking; repeat reading calmer")
        record.get_by_role("button", name=f"Override this reading of {a.full_name}").click()
        assert page.get_by_text(f"Override of {a.first_name}'s reading at 09:45 recorded.").is_visible()

        clock.move_to(START + datetime.timedelta(minutes=50))
        add_reading(172, 104)
        record = page.locator("section[aria-labelledby=record-A]")
        assert record.get_by_text("Dosing is held: blood pressure 172/104 mmHg is at or above 160/100").is_visible()
        assert record.get_by_text(
            "Anxious on waking; repeat reading calmer"
        ).first.is_visible()  # the first override stays
        record.locator("#id_reading-override-A-reason").fill("Prescriber present; plan allows one booster")
        record.get_by_role("button", name=f"Override this reading of {a.full_name}").click()
        assert page.get_by_text(f"Override of {a.first_name}'s reading at 09:50 recorded.").is_visible()

        record = page.locator("section[aria-labelledby=record-A]")
        record.get_by_label("Dose (mg)").fill("20")
        record.get_by_label("Lot").select_option(str(stock.pk))
        record.get_by_label("Booster").check()
        record.get_by_role("button", name=f"Record dose for {a.full_name}").click()
        assert page.get_by_text(f"Dose for {a.first_name} recorded.").is_visible()
    assert [x.mg for x in Administration.objects.order_by("at")] == [Decimal("50"), Decimal("20")]
    assert HoldOverride.objects.count() == 2
