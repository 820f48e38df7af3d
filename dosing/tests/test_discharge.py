"""Discharge of a dosed partner, tried from the service and a crafted POST: the observation time, never in the
future, vitals back within the thresholds, and a responsible adult who is not a partner dosed in this session -
decided from the couple's records by identity, never from a box the user ticks."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import formats, timezone

from dosing.choices import Approach
from dosing.discharge import discharge_record, names_partner
from dosing.models import Discharge
from dosing.record import dose_record, predose_record, vitals_record
from dosing.tests.factories import lot, ready_couple, sign
from dosing.tests.test_medicine_session import book_medicine, prepared, scheduled, start_dosing  # noqa: F401

pytestmark = pytest.mark.django_db


def _name(couple):
    a, b = couple.partners.order_by("label")
    a.first_name, a.last_name = "Dana", "Reyes"
    b.first_name, b.last_name = "Léa", "O'Connor-Smith"
    a.save(update_fields=["first_name", "last_name"])
    b.save(update_fields=["first_name", "last_name"])
    return a, b


def _discharge(session, therapist, partner, **overrides):
    values = {
        "at": timezone.now(),
        "alert_and_oriented": True,
        "released_to_name": "Sam Rivera",
        "released_to_relationship": "friend",
        "no_driving_acknowledged": True,
    }
    values.update(overrides)
    return discharge_record(by=therapist, session=session, partner=partner, **values)


def _refusal(session, therapist, partner, **overrides) -> dict:
    with pytest.raises(ValidationError) as exc:
        _discharge(session, therapist, partner, **overrides)
    return exc.value.message_dict


def _dosed_and_observed(session, therapist, stock, partners, *, minutes=130):
    """Both partners dosed at the start (plus 5 minutes), then the clock at `minutes` with vitals in range."""
    for partner in partners:
        start_dosing(session, therapist, partner)
        dose_record(by=therapist, session=session, partner=partner, at=timezone.now(), mg=Decimal("50"), lot=stock)


def test_a_name_designates_a_partner_whatever_its_spelling():
    class P:
        first_name, last_name = "Léa", "O'Connor-Smith"

    for written in (
        "Léa O'Connor-Smith",
        "  lea  oconnor smith ",
        "O'CONNOR-SMITH, Léa",
        "Ms. Lea Marie O Connor Smith",
        "L. O'Connor-Smith",
        "Lea",
    ):
        assert names_partner(written, P), written
    for written in ("Sam Rivera", "Marie O'Connor-Smith", "O'Connor-Smith", "Leandra Rivera", ""):
        assert not names_partner(written, P), written


def test_the_other_dosed_partner_is_refused_as_the_responsible_adult_however_written(therapist, scheduled):
    session, stock = scheduled["session"], scheduled["lot"]
    a, b = _name(scheduled["couple"])
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False) as clock:
        _dosed_and_observed(session, therapist, stock, (a, b))
        clock.move_to(session.start + datetime.timedelta(minutes=130))
        vitals_record(
            by=therapist, session=session, partner=a, at=timezone.now(), systolic=124, diastolic=80, heart_rate=72
        )
        for written in ("Léa O'Connor-Smith", "lea oconnor-smith", "O'Connor-Smith, Lea", "L. O'Connor-Smith", "Léa"):
            errors = _refusal(session, therapist, a, released_to_name=written, released_to_relationship="sister")
            assert errors["released_to_name"] == [
                "Léa O'Connor-Smith is a partner dosed in this session and cannot be the responsible adult; "
                "release to an adult who took no ketamine today."
            ], written
        # Described rather than named: "my husband" while the husband took ketamine too.
        errors = _refusal(session, therapist, a, released_to_name="Chris", released_to_relationship="Husband")
        assert (
            "The other partner, Léa O'Connor-Smith, is dosed in this session" in errors["released_to_relationship"][0]
        )
        errors = _refusal(session, therapist, a, released_to_name="D. Reyes")
        assert errors["released_to_name"] == ["Partner A (Dana) cannot be released to themself; name another adult."]
        assert not Discharge.objects.exists()

        discharge = _discharge(session, therapist, a, released_to_name="Sam Rivera")
        assert discharge.released_to_other_partner is False
        assert discharge.released_to_name == "Sam Rivera"


def test_a_partner_approved_to_dose_is_refused_before_their_own_dose(therapist, scheduled):
    """The check is made at every discharge: B, not yet dosed but a dosing partner of the approval, cannot take A
    home (B's dose would follow)."""
    session, stock = scheduled["session"], scheduled["lot"]
    a, b = _name(scheduled["couple"])
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False) as clock:
        _dosed_and_observed(session, therapist, stock, (a,))
        clock.move_to(session.start + datetime.timedelta(minutes=130))
        vitals_record(
            by=therapist, session=session, partner=a, at=timezone.now(), systolic=124, diastolic=80, heart_rate=72
        )
        errors = _refusal(session, therapist, a, released_to_name="Lea O'Connor-Smith")
    assert "is a partner dosed in this session" in errors["released_to_name"][0]


def test_the_sober_partner_of_a_solo_session_may_take_the_dosed_partner_home(therapist, prescriber, couple):
    ready_couple(couple, prescriber)
    a, b = _name(couple)
    sign(couple, prescriber, Approach.SOLO)
    prepared(couple, therapist)
    session = book_medicine(couple, therapist)
    stock = lot(prescriber)
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False) as clock:
        start_dosing(session, therapist, a)
        predose_record(by=therapist, session=session, partner=a, values={"sober_partner_present": True})
        dose_record(by=therapist, session=session, partner=a, at=timezone.now(), mg=Decimal("100"), lot=stock)
        clock.move_to(session.start + datetime.timedelta(minutes=130))
        vitals_record(
            by=therapist, session=session, partner=a, at=timezone.now(), systolic=124, diastolic=80, heart_rate=72
        )
        discharge = _discharge(
            session, therapist, a, released_to_name="lea o'connor-smith", released_to_relationship="partner"
        )
    assert discharge.released_to_other_partner is True


def test_discharge_is_never_in_the_future_nor_before_the_observation_time(therapist, scheduled):
    session, stock = scheduled["session"], scheduled["lot"]
    a, b = _name(scheduled["couple"])
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False) as clock:
        _dosed_and_observed(session, therapist, stock, (a,))
        clock.move_to(session.start + datetime.timedelta(minutes=60))
        vitals_record(
            by=therapist, session=session, partner=a, at=timezone.now(), systolic=124, diastolic=80, heart_rate=72
        )
        # Dated after the observation time, but that time has not come: the future is refused.
        later = session.start + datetime.timedelta(minutes=140)
        errors = _refusal(session, therapist, a, at=later)
        assert errors["at"] == [
            f"A discharge cannot be recorded in the future ({formats.time_format(timezone.localtime(later), 'H:i')} "
            "has not come yet)."
        ]
        errors = _refusal(session, therapist, a)
        assert "needs 120 minutes of observation after the last dose" in errors["at"][0]

        # A reading taken after the discharge time says nothing about the partner at discharge.
        clock.move_to(session.start + datetime.timedelta(minutes=150))
        vitals_record(
            by=therapist, session=session, partner=a, at=timezone.now(), systolic=150, diastolic=92, heart_rate=80
        )
        errors = _refusal(session, therapist, a)
        assert errors["__all__"] == [
            "Partner A (Dana): the latest blood pressure, 150/92 mmHg, is not back within the thresholds."
        ]
        vitals_record(
            by=therapist, session=session, partner=a, at=timezone.now(), systolic=128, diastolic=82, heart_rate=74
        )
        assert _discharge(session, therapist, a).partner == a
    assert Discharge.objects.count() == 1


def test_a_crafted_post_cannot_declare_the_dosed_partner_someone_else(client_for, therapist, scheduled):
    session, stock = scheduled["session"], scheduled["lot"]
    a, b = _name(scheduled["couple"])
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False) as clock:
        _dosed_and_observed(session, therapist, stock, (a, b))
        clock.move_to(session.start + datetime.timedelta(minutes=130))
        vitals_record(
            by=therapist, session=session, partner=a, at=timezone.now(), systolic=124, diastolic=80, heart_rate=72
        )
        response = client_for(therapist).post(
            reverse("dosing:discharge", args=[session.uuid, a.uuid]),
            {
                "discharge-A-at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
                "discharge-A-alert_and_oriented": "on",
                "discharge-A-released_to_name": "LEA O'CONNOR SMITH",
                "discharge-A-released_to_relationship": "friend",
                "discharge-A-released_to_other_partner": "",  # the old self-declared box, now ignored
                "discharge-A-no_driving_acknowledged": "on",
            },
        )
    assert response.status_code == 400
    assert "is a partner dosed in this session and cannot be the responsible adult" in response.content.decode()
    assert not Discharge.objects.exists()


def test_the_admin_site_records_no_discharge(client_for, clinic_admin, therapist, scheduled):
    session = scheduled["session"]
    a, b = _name(scheduled["couple"])
    response = client_for(clinic_admin).post(
        reverse("admin:dosing_discharge_add"),
        {
            "session": session.pk,
            "partner": a.pk,
            "at_0": "2030-01-01",
            "at_1": "12:00",
            "alert_and_oriented": "on",
            "released_to_name": b.full_name,
            "released_to_relationship": "partner",
            "no_driving_acknowledged": "on",
            "discharged_by": therapist.pk,
        },
    )
    assert response.status_code == 403
    assert not Discharge.objects.exists()
