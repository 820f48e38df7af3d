"""A full medicine session in a real browser: a baseline that holds dosing, the prescriber's override, the first
dose, a further rise that holds again, readings settling, a booster, a side effect, a refused and then an
accepted discharge to a named adult, completion - and the PDF read back with pdftotext showing each of them."""

import datetime
import zoneinfo

import pytest
import time_machine

from dosing.choices import Approach
from dosing.models import Administration, Discharge
from dosing.tests.factories import lot, ready_couple, sign
from jobs.outbox import outbox_deliver
from jobs.tests.helpers import pdf_text
from outbox.models import OutboxMessage
from sessions import services as session_services
from sessions.choices import Phase, Place, SessionStatus
from sessions.models import TherapySession
from sessions.tests.helpers import history
from tests.browser import sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TZ = zoneinfo.ZoneInfo("America/New_York")
START = datetime.datetime(2030, 3, 5, 9, 0, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _clinic(settings, monkeypatch):
    settings.TIME_ZONE = "America/New_York"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    # This test is the worker: it delivers the outbox itself once the session is completed.
    monkeypatch.setattr("outbox.services.outbox_publish", lambda **kwargs: None)


def at(minutes: int) -> datetime.datetime:
    return START + datetime.timedelta(minutes=minutes)


def test_a_full_medicine_session_with_holds_an_override_a_booster_and_discharge_on_paper(
    page, login, therapist, prescriber, couple, tmp_path
):
    with time_machine.travel(START - datetime.timedelta(days=2), tick=True) as clock:
        ready_couple(couple, prescriber)
        sign(couple, prescriber, Approach.DUAL_PSYCHOLYTIC)  # 50 mg each, at most 70 mg with the booster
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
        a, b = couple.partners.order_by("label")
        record_url = f"/sessions/{session.uuid}/medicine/"

        def section():
            return page.locator("section[aria-labelledby=record-A]")

        def vitals(systolic, diastolic, heart_rate):
            section().locator("#id_vitals-A-systolic").fill(str(systolic))
            section().locator("#id_vitals-A-diastolic").fill(str(diastolic))
            section().locator("#id_vitals-A-heart_rate").fill(str(heart_rate))
            section().get_by_role("button", name=f"Add vitals for {a.full_name}").click()
            assert page.get_by_text(f"Vitals of {a.first_name} recorded.").is_visible()

        def resume(minutes):
            """The clock moves on; past the idle limit the therapist signs in again and reopens the record."""
            clock.move_to(at(minutes))
            page.context.clear_cookies()
            login(therapist)
            page.goto(record_url)

        def dose(mg, *, booster=False):
            section().get_by_label("Dose (mg)").fill(str(mg))
            section().get_by_label("Lot").select_option(str(stock.pk))
            if booster:
                section().get_by_label("Booster").check()
            section().get_by_role("button", name=f"Record dose for {a.full_name}").click()

        # The therapist starts the session and records A's checks: the baseline is at the hold level.
        clock.move_to(at(5))
        page = login(therapist)
        page.goto(record_url)
        page.get_by_role("button", name="Start the session").click()
        assert page.locator("[data-state=in_progress]").is_visible()
        for label in ("Fasting confirmed", "Ride home arranged", "No new contraindication"):
            section().get_by_label(label).check()
        section().get_by_label("Systolic (mmHg)").fill("165")
        section().get_by_label("Diastolic (mmHg)").fill("102")
        section().get_by_label("Heart rate (bpm)").fill("84")
        section().get_by_label("SpO2 (%)").fill("98")
        section().get_by_role("button", name="Save checks").click()
        assert page.get_by_text(f"Pre-dose checks of {a.first_name} saved.").is_visible()
        dose(50)
        assert section().get_by_text("held", exact=False).first.is_visible()
        assert not Administration.objects.exists()
        sign_out(page)

        # The couple's prescriber overrides the hold, with a reason.
        page = login(prescriber)
        page.goto(record_url)
        section().locator(f"#id_override-{a.label}-reason").fill("White-coat pattern; home readings in the 130s")
        section().get_by_role("button", name="Record prescriber override").click()
        assert page.get_by_text("Override recorded.").is_visible()
        sign_out(page)

        # The first dose, then blood pressure rises further: the booster is held again.
        resume(10)
        dose(50)
        assert page.get_by_text(f"Dose for {a.first_name} recorded.").is_visible()
        resume(50)
        vitals(171, 104, 92)
        dose(20, booster=True)
        assert section().get_by_text("171/104", exact=False).first.is_visible()
        assert Administration.objects.count() == 1

        # It settles below the hold threshold: the booster is given; then nausea, treated.
        resume(65)
        vitals(142, 88, 80)
        resume(66)
        dose(20, booster=True)
        assert page.get_by_text(f"Dose for {a.first_name} recorded.").is_visible()
        assert list(Administration.objects.order_by("at").values_list("mg", "is_booster")) == [(50, False), (20, True)]
        resume(80)
        section().locator("summary", has_text="Side effects").click()
        section().locator("#id_effect-A-kind").select_option("nausea")
        section().locator("#id_effect-A-severity").select_option("mild")
        section().locator("#id_effect-A-description").fill("Queasy after the booster")
        section().locator("#id_effect-A-intervention").fill("Ondansetron 4 mg")
        section().get_by_role("button", name="Record side effect").click()
        assert page.get_by_text("Side effect recorded.").is_visible()
        page.get_by_role("button", name="Dosing done: move to observation").click()
        assert page.locator("[data-state=observation]").is_visible()

        # After the observation time: vitals back within the thresholds, then discharge. The other partner is
        # a dosing partner of this session: refused whatever the spelling; a friend takes A home.
        resume(190)
        vitals(124, 80, 72)
        section().get_by_label("Alert and oriented").check()
        section().get_by_label("Told not to drive until the next day after sleep").check()
        section().get_by_label("Released to (responsible adult)").fill(f"  {b.first_name.upper()} {b.last_name} ")
        section().get_by_label("Relationship").fill("friend")
        section().get_by_role("button", name=f"Discharge {a.full_name}").click()
        assert page.get_by_text(f"{b.full_name} is a partner dosed in this session", exact=False).is_visible()
        assert not Discharge.objects.exists()
        section().get_by_label("Alert and oriented").check()
        section().get_by_label("Told not to drive until the next day after sleep").check()
        section().get_by_label("Released to (responsible adult)").fill("Sam Rivera")
        section().get_by_label("Relationship").fill("friend")
        section().get_by_role("button", name=f"Discharge {a.full_name}").click()
        assert page.get_by_text(f"{a.first_name} discharged.").is_visible()

        resume(195)
        page.get_by_role("button", name="Complete the session").click()
        session.refresh_from_db()
        assert session.status == SessionStatus.COMPLETED

        # The worker builds the PDF; the therapist downloads it from the session page.
        for message in OutboxMessage.objects.filter(sent_at__isnull=True).order_by("pk"):
            outbox_deliver(message_id=message.pk)
        page.goto(f"/sessions/{session.uuid}/")
        with page.expect_download() as download:
            page.get_by_role("link", name="Version 1 (PDF)").click()
        layout = pdf_text(open(download.value.path(), "rb").read(), tmp_path)

    text = " ".join(layout.split())
    assert TherapySession.objects.get(pk=session.pk).status == SessionStatus.COMPLETED
    assert "Baseline 165/102 mmHg (HOLD)" in text  # the hold at the pre-dose checks
    assert "Baseline at 09:05: 165/102 mmHg, at or above the hold threshold 160/100: dosing held" in text
    assert f"overridden by {prescriber} at 09:05: White-coat pattern; home readings in the 130s." in text
    assert "Reading at 09:50: 171/104 mmHg, at or above the hold threshold 160/100: dosing held" in text  # again
    assert any(all(c in line for c in ("09:10", "50.00", "K-2030-07", "first")) for line in layout.splitlines())
    assert any(all(c in line for c in ("10:06", "20.00", "K-2030-07", "booster")) for line in layout.splitlines())
    assert "Ondansetron 4 mg" in text
    assert "12:10: alert and oriented, released to Sam Rivera (friend)" in text  # the discharge to a named adult
    assert "hold sys 160 mmHg" in text and "clinic time" in text  # the chart's threshold lines and axis
