"""The calendar pages (the therapist's week and day, the clinic's week): one selector, one frozen dataclass."""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from accounts.models import User
from cases import policy
from pages.medicine import MedicineNote, medicine_notes
from sessions import selectors as sessions_selectors


@dataclass(frozen=True)
class CalendarPage:
    days: list[sessions_selectors.CalendarDay]
    first: datetime.date
    last: datetime.date
    previous: datetime.date
    next: datetime.date
    today: datetime.date
    is_week: bool
    clinic_wide: bool
    can_book: bool
    medicine_notes: dict[int, MedicineNote]  # by session id: medicine sessions the gate shut ("Blocked: ...")


def calendar_page(
    *,
    user: User,
    day: datetime.date | None,
    days: int,
    clinic_wide: bool,
    therapist_id: int | None = None,
    room_id: int | None = None,
) -> CalendarPage:
    """The user's sessions (or, for an admin's clinic view, everyone's) day by day from the week of `day` (or the
    day itself), with what each blocked medicine session says, in a number of queries that does not grow with the
    sessions."""
    today = timezone.localdate()
    day = day or today
    first = day - datetime.timedelta(days=day.weekday()) if days == 7 else day
    calendar_days = sessions_selectors.calendar(
        user=user, first_day=first, days=days, clinic_wide=clinic_wide, therapist_id=therapist_id, room_id=room_id
    )
    step = datetime.timedelta(days=days)
    return CalendarPage(
        days=calendar_days,
        first=first,
        last=first + step - datetime.timedelta(days=1),
        previous=first - step,
        next=first + step,
        today=today,
        is_week=days == 7,
        clinic_wide=clinic_wide,
        can_book=bool(policy.may_book_sessions(user)),
        medicine_notes=medicine_notes(s for d in calendar_days for s in d.sessions),
    )
