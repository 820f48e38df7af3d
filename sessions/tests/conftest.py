"""Fixtures of the session tests: a clinic in New York time, frozen on Monday 4 March 2030, 08:00."""

import datetime
import zoneinfo

import pytest
import time_machine

from cases.choices import CoupleStatus
from sessions import protocol

CLINIC_TZ = "America/New_York"
NOW = datetime.datetime(2030, 3, 4, 8, 0, tzinfo=zoneinfo.ZoneInfo(CLINIC_TZ))  # a Monday


@pytest.fixture(autouse=True)
def _clinic_time_zone(settings):
    settings.TIME_ZONE = CLINIC_TZ


@pytest.fixture(autouse=True)
def _phase_rules_only(monkeypatch):
    """These tests are about the phase order; checks other apps plug into the medicine gate (the dosing
    approval) are tested by those apps. test_medicine_refused_when_the_gate_says_no registers its own."""
    monkeypatch.setattr(protocol, "MEDICINE_CHECKS", [])


@pytest.fixture
def frozen():
    """Time stands still at NOW; move it with frozen.move_to(...)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def active_couple(couple):
    """The therapist's couple, screened and in active treatment."""
    couple.status = CoupleStatus.ACTIVE
    couple.save(update_fields=["status"])
    return couple


@pytest.fixture
def other_active_couple(other_couple):
    other_couple.status = CoupleStatus.ACTIVE
    other_couple.save(update_fields=["status"])
    return other_couple
