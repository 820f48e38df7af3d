"""The medicine session on paper: its PDF, read back with pdftotext, shows the pre-dose checks, each dose with its
lot, weight used and who gave it, every reading with its level, each hold and override with who and why, side
effects and interventions, each discharge, and a vitals chart with axes, units and the thresholds."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from dosing.choices import Approach
from dosing.discharge import discharge_record
from dosing.lifecycle import medicine_session_observe, medicine_session_start
from dosing.record import dose_record, predose_override, predose_record, side_effect_record, vitals_record
from dosing.tests.factories import lot, predose_values, ready_couple, sign
from jobs.models import SessionSummary
from sessions import services
from sessions.choices import Phase, Place
from sessions.tests.helpers import history

from .helpers import pdf_text

pytestmark = pytest.mark.django_db


def _local(days: int, hour: int = 10) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def held_medicine_session(therapist, prescriber, couple, run):
    """A dual psycholytic session in which partner A is held at baseline, overridden, dosed, held again by a further
    rise, settles, gets a booster, feels sick, and goes home with a friend; partner B is not dosed."""
    ready_couple(couple, prescriber)
    sign(couple, prescriber, Approach.DUAL_PSYCHOLYTIC)
    history(couple, therapist, [(Phase.ASSESSMENT, _local(-20)), (Phase.PREPARATION, _local(-13))])
    history(couple, therapist, [(Phase.PREPARATION, _local(-6))])
    session = services.session_schedule(
        by=therapist, couple=couple, therapist=therapist, phase=Phase.MEDICINE, start=_local(2), place=Place.TELEHEALTH
    ).session
    stock = lot(prescriber, number="K-7731")
    a = couple.partners.get(label="A")

    def at(minutes):
        return session.start + datetime.timedelta(minutes=minutes)

    with time_machine.travel(at(5), tick=False) as clock:
        medicine_session_start(by=therapist, session=session)
        check = predose_record(
            by=therapist,
            session=session,
            partner=a,
            values=predose_values(sober_partner_present=None, systolic=165, diastolic=102, heart_rate=84),
        )
        predose_override(by=prescriber, check=check, reason="White-coat pattern, home readings 130s")
        clock.move_to(at(10))
        dose_record(by=therapist, session=session, partner=a, at=timezone.now(), mg=Decimal("50"), lot=stock)
        clock.move_to(at(50))
        vitals_record(
            by=therapist, session=session, partner=a, at=timezone.now(), systolic=171, diastolic=104, heart_rate=92
        )
        clock.move_to(at(65))
        vitals_record(
            by=therapist, session=session, partner=a, at=timezone.now(), systolic=142, diastolic=88, heart_rate=80
        )
        clock.move_to(at(66))
        dose_record(
            by=therapist, session=session, partner=a, at=timezone.now(), mg=Decimal("20"), lot=stock, is_booster=True
        )
        clock.move_to(at(80))
        side_effect_record(
            by=therapist,
            session=session,
            partner=a,
            at=timezone.now(),
            kind="nausea",
            severity="mild",
            description="Queasy after the booster",
            intervention="Ondansetron 4 mg, ginger tea",
        )
        medicine_session_observe(by=therapist, session=session)
        clock.move_to(at(190))
        vitals_record(
            by=therapist, session=session, partner=a, at=timezone.now(), systolic=124, diastolic=80, heart_rate=72
        )
        discharge_record(
            by=therapist,
            session=session,
            partner=a,
            at=timezone.now(),
            alert_and_oriented=True,
            released_to_name="Sam Rivera",
            released_to_relationship="friend",
            no_driving_acknowledged=True,
        )
        clock.move_to(at(195))
        with run():
            services.session_complete(by=therapist, session=session)
    return session


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _hm(session, minutes):
    return timezone.localtime(session.start + datetime.timedelta(minutes=minutes)).strftime("%H:%M")


def test_the_medicine_session_pdf_shows_the_whole_record(therapist, prescriber, couple, run, tmp_path):
    session = held_medicine_session(therapist, prescriber, couple, run)
    summary = SessionSummary.objects.get(session=session)
    layout = pdf_text(summary.file.read(), tmp_path)
    text = " ".join(layout.split())

    def row(*cells):  # a table row: one line of the laid-out text holds every cell
        return any(all(c in line for c in cells) for line in layout.splitlines())

    a = couple.partners.get(label="A")
    # Pre-dose checks, with the baseline's level
    assert "Pre-dose checks" in text
    assert "Fasting confirmed yes" in text and "Ride home arranged yes" in text
    assert "No new contraindication yes" in text
    assert "165/102 mmHg (HOLD), heart rate 84 bpm, SpO2 98 %" in text
    # Each dose with its lot, the weight used for mg/kg and who gave it
    assert row(_hm(session, 10), "IM", "50.00", "0.71", "K-7731", "first", therapist.first_name)
    assert row(_hm(session, 66), "IM", "20.00", "0.29", "K-7731", "booster", therapist.first_name)
    assert "Total 70.00 mg of an approved maximum of 70.00 mg. Weight used for mg/kg: 70.0 kg." in text
    # Every reading, with its level against the thresholds
    assert row(_hm(session, 50), "171/104 mmHg", "HOLD (at or above", "92 bpm", therapist.first_name)
    assert row(_hm(session, 65), "142/88 mmHg", "flag (at or above", "80 bpm")
    assert row(_hm(session, 190), "124/80 mmHg", "within thresholds", "72 bpm")
    # Holds and overrides: who, when and why
    assert (
        f"Baseline at {_hm(session, 5)}: 165/102 mmHg, at or above the hold threshold 160/100: dosing held; "
        f"overridden by {prescriber} at {_hm(session, 5)}: White-coat pattern, home readings 130s." in text
    )
    assert (
        f"Reading at {_hm(session, 50)}: 171/104 mmHg, at or above the hold threshold 160/100: dosing held; "
        "not overridden." in text
    )
    # Side effects and interventions
    assert row(_hm(session, 80), "Nausea", "Mild", "Queasy after the")
    assert "Ondansetron 4 mg" in text
    # The discharge, and partner B who was not dosed
    assert f"{_hm(session, 190)}: alert and oriented, released to Sam Rivera (friend)" in text
    assert f"Discharged by {therapist}" in text
    assert "Not dosed: no discharge needed." in text
    # The chart's axes, units and threshold lines
    assert "mmHg" in text and "bpm" in text and "clinic time" in text
    assert "hold sys 160 mmHg" in text and "flag dia 90 mmHg" in text
    assert a.full_name in text


def test_the_medicine_record_page_shows_the_same_record(therapist, prescriber, couple, run, client_for):
    session = held_medicine_session(therapist, prescriber, couple, run)
    html = client_for(therapist).get(reverse("dosing:medicine_record", args=[session.uuid])).content.decode()
    assert "K-7731" in html
    assert (
        f"Baseline at {_hm(session, 5)}: 165/102 mmHg held dosing (hold at 160/100); overridden by {prescriber} at "
        f"{_hm(session, 5)}: White-coat pattern, home readings 130s." in html
    )
    assert f"Reading at {_hm(session, 50)}: 171/104 mmHg held dosing (hold at 160/100); not overridden." in html
    assert "171/104" in html and "142/88" in html
    assert "Ondansetron 4 mg, ginger tea" in html
    assert f"Discharged {_hm(session, 190)} by {therapist}: alert and oriented, released to Sam Rivera" in html
    assert "hold sys 160 mmHg" in html  # the chart's threshold labels
