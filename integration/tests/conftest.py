"""Fixtures of the integration tests: a clinic in New York time, frozen on Monday 4 March 2030, 08:00, and a
couple part-way through a course."""

import pytest

from dosing.tests.factories import approval_on_file
from sessions.tests.conftest import _clinic_time_zone, frozen  # noqa: F401  (the same clinic clock)
from sessions.tests.helpers import A, I, M, P, at, history


@pytest.fixture
def active_couple(couple, prescriber):
    """The therapist's couple, cleared, in active treatment, with a dosing approval on file."""
    approval_on_file(couple, prescriber)
    return couple


@pytest.fixture
def one_cycle(frozen, active_couple, therapist):
    """Assessment on 1 Feb, preparations 5 and 7 Feb, medicine 10 Feb, integration 11 Feb (all held)."""
    sessions = history(
        active_couple,
        therapist,
        [
            (A, at(1, month=2)),
            (P, at(5, month=2)),
            (P, at(7, month=2)),
            (M, at(10, month=2)),
            (I, at(11, month=2)),
        ],
    )
    return dict(zip(["assessment", "prep1", "prep2", "medicine", "integration"], sessions, strict=True))


@pytest.fixture
def partners(couple):
    return {p.label: p for p in couple.partners.order_by("label")}
