"""Building a couple's history directly, for tests that need past sessions as they would have been left."""

import datetime
import zoneinfo

from sessions.choices import Phase, Place, SessionStatus
from sessions.models import TherapySession

TZ = zoneinfo.ZoneInfo("America/New_York")


def at(day: int, hour: int = 10, minute: int = 0, month: int = 3, year: int = 2030) -> datetime.datetime:
    """An instant in the clinic's time zone (New York): at(5, 10) is 5 March 2030, 10:00."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=TZ)


def held(
    couple,
    therapist,
    phase: str,
    start: datetime.datetime,
    *,
    status: str = SessionStatus.COMPLETED,
    minutes: int = 60,
    place: str = Place.TELEHEALTH,
    room=None,
) -> TherapySession:
    """A session as it stands in the database, written straight in (for history before the test begins)."""
    approval = None
    if phase == Phase.MEDICINE:
        from dosing.approvals import approval_current

        approval = approval_current(couple=couple)
        assert approval is not None, "A medicine session needs an approval on file: use the active_couple fixture."
    session = TherapySession(
        couple=couple,
        therapist=therapist,
        phase=phase,
        start=start,
        duration_minutes=minutes,
        place=place,
        room=room,
        status=status,
        created_by=therapist,
        approval=approval,
    )
    session.save()
    if phase in (Phase.MEDICINE, Phase.INTEGRATION):
        from integration.services import integration_links_sync

        # What the outbox's delivery does after a booking commits: the integration links follow the calendar.
        integration_links_sync(couple_id=couple.pk)
    return session


def history(couple, therapist, phases: list[tuple[str, datetime.datetime]], **kwargs) -> list[TherapySession]:
    return [held(couple, therapist, phase, start, **kwargs) for phase, start in phases]


A, P, M, I, F = Phase.ASSESSMENT, Phase.PREPARATION, Phase.MEDICINE, Phase.INTEGRATION, Phase.FOLLOW_UP
