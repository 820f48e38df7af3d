"""Fixtures of the session tests: a clinic in New York time, frozen on Monday 4 March 2030, 08:00."""

import datetime
import zoneinfo

import pytest
import time_machine

from dosing.tests.factories import approval_on_file

CLINIC_TZ = "America/New_York"
NOW = datetime.datetime(2030, 3, 4, 8, 0, tzinfo=zoneinfo.ZoneInfo(CLINIC_TZ))  # a Monday


@pytest.fixture(autouse=True)
def _clinic_time_zone(settings):
    settings.TIME_ZONE = CLINIC_TZ


@pytest.fixture
def frozen():
    """Time stands still at NOW; move it with frozen.move_to(...)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def active_couple(couple, prescriber):
    """The therapist's couple, cleared and in active treatment, with a dosing approval on file for 2026-2031
    so that the medicine gate is open and these tests see the phase rules."""
    approval_on_file(couple, prescriber)
    return couple


@pytest.fixture
def other_active_couple(other_couple, other_prescriber):
    approval_on_file(other_couple, other_prescriber)
    return other_couple
