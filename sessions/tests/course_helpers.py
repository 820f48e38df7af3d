"""Courses written as plain values for the database-free tests of sessions.course."""

import datetime
import itertools
import zoneinfo

from sessions.choices import Phase, SessionStatus
from sessions.course import CourseState, Limits, Step

TZ = zoneinfo.ZoneInfo("America/New_York")
A, P, M, I, F = Phase.ASSESSMENT, Phase.PREPARATION, Phase.MEDICINE, Phase.INTEGRATION, Phase.FOLLOW_UP
HELD, BOOKED = SessionStatus.COMPLETED, SessionStatus.SCHEDULED
_pks = itertools.count(1)


def at(day: int, hour: int = 10, minute: int = 0, month: int = 3, year: int = 2030) -> datetime.datetime:
    """An instant on the clinic's (New York) wall clock; 10 March 2030 is the spring change, 3 November the fall."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=TZ)


def step(phase: str, start: datetime.datetime, status: str = BOOKED, *, dosed: bool = False) -> Step:
    return Step(pk=next(_pks), phase=phase, start=start, status=status, dosed=dosed)


def state(*steps: Step, status: str = "active", allowed: int | None = None, **limits) -> CourseState:
    return CourseState(
        steps=steps, limits=Limits(**limits), tz=TZ, couple_status=status, medicine_sessions_allowed=allowed
    )


def plan(*phases_and_days, status: str = BOOKED, month: int = 2) -> list[Step]:
    """Steps of these (phase, day of `month`) pairs, all in one status."""
    return [step(phase, at(day, month=month), status) for phase, day in phases_and_days]


def cycle_one(status: str = BOOKED) -> list[Step]:
    """An assessment, two preparations, a medicine session (10 Feb) and an integration, in February."""
    return plan((A, 1), (P, 3), (P, 6), (M, 10), (I, 11), status=status)
