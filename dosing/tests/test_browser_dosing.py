"""The dosing journey in a real browser: request, approval, booking, documenting, and the maximum holding."""

import datetime
import zoneinfo

import pytest
import time_machine

from dosing.models import Administration, Approval
from dosing.tests.factories import lot, ready_couple
from sessions.choices import Phase
from sessions.models import TherapySession
from sessions.tests.helpers import history
from tests.browser import sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TZ = zoneinfo.ZoneInfo("America/New_York")
NOW = datetime.datetime(2030, 3, 4, 8, 0, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _clinic_time_zone(settings):
    settings.TIME_ZONE = "America/New_York"


def test_psycholytic_request_approval_booking_and_the_maximum(login, therapist, prescriber, couple):
    with time_machine.travel(NOW, tick=True) as clock:
        ready_couple(couple, prescriber)
        history(
            couple,
            therapist,
            [
                (Phase.ASSESSMENT, NOW - datetime.timedelta(days=20)),
                (Phase.PREPARATION, NOW - datetime.timedelta(days=13)),
                (Phase.PREPARATION, NOW - datetime.timedelta(days=6)),
            ],
        )
        stock = lot(prescriber, number="K-2030-01")
        a, b = couple.partners.order_by("label")

        # The therapist asks for dual psycholytic dosing.
        page = login(therapist)
        page.goto(f"/couples/{couple.uuid}/")
        page.get_by_role("link", name="Dosing approach").click()
        page.get_by_label("Dual psycholytic - Both partners take ketamine, each at about half their full dose.").check()
        page.get_by_label("Rationale").fill("They want to stay in conversation during the session.")
        page.get_by_role("button", name="Send to the prescriber").click()
        assert page.get_by_text("Request sent to the prescriber.").is_visible()
        sign_out(page)

        # The prescriber reviews both partners on one page and signs with their password.
        page = login(prescriber)
        page.get_by_role("link", name=f"{couple.case_number}: Dual psycholytic").click()
        assert page.get_by_role("heading", name=f"Partner A: {a.full_name} ({a.age})").is_visible()
        page.get_by_label("Medicine sessions covered").fill("2")
        for prefix in ("partner_a", "partner_b"):
            page.locator(f"#id_{prefix}-route").select_option("im")
            page.locator(f"#id_{prefix}-full_dose_mg").fill("100")
            page.locator(f"#id_{prefix}-dose_mg").fill("50")
            page.locator(f"#id_{prefix}-max_total_mg").fill("70")
        page.get_by_label("Your password, to sign").fill("correct-horse-battery-staple")
        page.get_by_role("button", name="Sign the approval").click()
        assert page.get_by_text("Dual psycholytic approved and signed.").is_visible()
        assert Approval.objects.get(couple=couple).doses.count() == 2
        sign_out(page)

        # The therapist books the medicine session for tomorrow morning.
        page = login(therapist)
        page.goto(f"/sessions/new/?couple={couple.uuid}&phase=medicine")
        page.get_by_label("Starts at").fill("2030-03-05T09:00")
        page.get_by_label("Telehealth").check()
        page.get_by_role("button", name="Book").click()
        assert page.get_by_role("heading", name=f"Medicine session · {couple.case_number}").is_visible()
        session = TherapySession.objects.get(phase=Phase.MEDICINE)

        # Next morning, in the session: checks, a dose, then a booster that would pass the maximum.
        clock.move_to(datetime.datetime(2030, 3, 5, 9, 5, tzinfo=TZ))
        page.context.clear_cookies()
        page = login(therapist)
        page.goto(f"/sessions/{session.uuid}/")
        page.get_by_role("link", name="Open the dosing record").click()
        page.get_by_role("button", name="Start the session").click()
        assert page.locator("[data-state=in_progress]").is_visible()
        record = page.locator("section[aria-labelledby=record-A]")
        for label in ("Fasting confirmed", "Ride home arranged", "No new contraindication"):
            record.get_by_label(label).check()
        record.get_by_label("Systolic (mmHg)").fill("122")
        record.get_by_label("Diastolic (mmHg)").fill("78")
        record.get_by_label("Heart rate (bpm)").fill("70")
        record.get_by_label("SpO2 (%)").fill("98")
        record.get_by_role("button", name="Save checks").click()
        assert page.get_by_text(f"Pre-dose checks of {a.first_name} saved.").is_visible()

        record = page.locator("section[aria-labelledby=record-A]")
        record.get_by_label("Dose (mg)").fill("50")
        record.get_by_label("Lot").select_option(str(stock.pk))
        record.get_by_role("button", name=f"Record dose for {a.full_name}").click()
        assert page.get_by_text(f"Dose for {a.first_name} recorded.").is_visible()

        record = page.locator("section[aria-labelledby=record-A]")
        record.get_by_label("Dose (mg)").fill("30")
        record.get_by_label("Lot").select_option(str(stock.pk))
        record.get_by_label("Booster").check()
        record.get_by_role("button", name=f"Record dose for {a.full_name}").click()
        assert page.get_by_text(
            f"30 mg would bring {a.first_name}'s total to 80 mg, over the approved maximum "
            "of 70 mg (50 mg given so far)."
        ).is_visible()
        assert list(Administration.objects.values_list("mg", flat=True)) == [50]

        record = page.locator("section[aria-labelledby=record-A]")
        record.locator("#id_vitals-A-systolic").fill("138")
        record.locator("#id_vitals-A-diastolic").fill("84")
        record.locator("#id_vitals-A-heart_rate").fill("82")
        record.get_by_role("button", name=f"Add vitals for {a.full_name}").click()
        assert page.get_by_text(f"Vitals of {a.first_name} recorded.").is_visible()
        assert page.locator("section[aria-labelledby=record-A] svg").is_visible()
        assert b.full_name in page.content()
