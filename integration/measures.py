"""Pure rules of the repeated measures: when a questionnaire is due, and how a score moved from baseline.

No database here: selectors load the sessions and responses once and ask these functions, so the rules are
tested with plain values and pages keep a fixed number of queries.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from cases.instruments import CSI4_CODE, INSTRUMENTS
from integration.choices import POINT_CONTEXT, MeasurePoint
from sessions.choices import PLANNED_STATUSES, Phase
from sessions.protocol import local_date

# Instruments where a higher score is the better outcome (relationship satisfaction); on the others,
# symptom scales, lower is better.
HIGHER_IS_BETTER = frozenset({CSI4_CODE})


@dataclass(frozen=True)
class Change:
    """Latest minus baseline, and what that means for this instrument."""

    delta: int
    word: str  # "better", "worse" or "no change"

    @property
    def signed(self) -> str:
        return f"+{self.delta}" if self.delta > 0 else str(self.delta)

    def __str__(self) -> str:
        return f"{self.signed} ({self.word})" if self.delta else "0 (no change)"


def change_from_baseline(instrument: str, baseline: int, latest: int) -> Change:
    """latest - baseline, with "better"/"worse" by the instrument's direction (CSI-4: higher is better)."""
    delta = latest - baseline
    if delta == 0:
        return Change(0, "no change")
    improved = delta > 0 if instrument in HIGHER_IS_BETTER else delta < 0
    return Change(delta, "better" if improved else "worse")


@dataclass(frozen=True)
class Window:
    """A measurement point and the days (inclusive, None = open) in which a response of its context counts."""

    point: str
    first: datetime.date | None
    last: datetime.date | None
    label: str

    @property
    def context(self) -> str:
        return POINT_CONTEXT[self.point]

    def holds(self, day: datetime.date) -> bool:
        return (self.first is None or day >= self.first) and (self.last is None or day <= self.last)


def split_by_midpoints(days: Sequence[datetime.date], *, after: datetime.date | None) -> list[tuple]:
    """Cut the time after `after` into one span per day in `days` (rising), meeting halfway between two
    neighbours: each response belongs to exactly one follow-up, the one it is nearest."""
    spans = []
    for i, day in enumerate(days):
        if i == 0:
            first = after + datetime.timedelta(days=1) if after is not None else None
        else:
            first = days[i - 1] + (day - days[i - 1]) // 2 + datetime.timedelta(days=1)
        last = day + (days[i + 1] - day) // 2 if i + 1 < len(days) else None
        spans.append((first, last))
    return spans


def follow_up_due_days(anchor: datetime.date, weeks: Sequence[int]) -> list[datetime.date]:
    """The follow-up dates: the last integration's day plus each interval."""
    return [anchor + datetime.timedelta(weeks=w) for w in weeks]


def window_for(session, sessions: Sequence, *, follow_up_weeks: Sequence[int] = ()) -> Window | None:
    """The measurement point a session stands at, with its window; None for a session that has none.

    `sessions` are the couple's sessions (any status); only the plan (scheduled or completed) counts.
    """
    plan = sorted((s for s in sessions if s.status in PLANNED_STATUSES), key=lambda s: (s.start, s.pk or 0))
    medicines = [s for s in plan if s.phase == Phase.MEDICINE]
    med_days = [local_date(m.start) for m in medicines]
    before = [m for m in medicines if m.start < session.start]
    if session.phase == Phase.ASSESSMENT:
        return Window(MeasurePoint.BASELINE, None, med_days[0] if med_days else None,
                      "baseline, before the first medicine session")
    if session.phase in (Phase.PREPARATION, Phase.MEDICINE):
        k = len(before) + 1  # the medicine session this one prepares for (or is)
        first = med_days[k - 2] + datetime.timedelta(days=1) if k >= 2 else None
        last = med_days[k - 1] if len(med_days) >= k else None
        return Window(MeasurePoint.PRE_MEDICINE, first, last, f"before medicine session {k}")
    if session.phase == Phase.INTEGRATION:
        k = len(before)
        if k == 0:
            return None
        first = med_days[k - 1] + datetime.timedelta(days=1)
        last = med_days[k] if len(med_days) > k else None
        return Window(MeasurePoint.POST_INTEGRATION, first, last, f"after integration of medicine session {k}")
    if session.phase == Phase.FOLLOW_UP:
        after = med_days[-1] if med_days else None
        anchor = last_integration_day(plan)
        day = local_date(session.start)
        if anchor is not None and follow_up_weeks:
            due = follow_up_due_days(anchor, follow_up_weeks)
        else:
            due = [local_date(s.start) for s in plan if s.phase == Phase.FOLLOW_UP] or [day]
        for n, (first, last) in enumerate(split_by_midpoints(due, after=after), start=1):
            if (first is None or day >= first) and (last is None or day <= last):
                return Window(MeasurePoint.FOLLOW_UP, first, last, f"follow-up {n}")
        first, last = split_by_midpoints(due, after=after)[0]
        return Window(MeasurePoint.FOLLOW_UP, first, last, "follow-up 1")
    return None


def last_integration_day(plan: Sequence) -> datetime.date | None:
    """The day of the last integration session after the last medicine session of the plan, if there is one."""
    medicines = [s for s in plan if s.phase == Phase.MEDICINE]
    if not medicines:
        return None
    after = [s for s in plan if s.phase == Phase.INTEGRATION and s.start > medicines[-1].start]
    return local_date(after[-1].start) if after else None


def answered(window: Window, responses: Sequence, partner_id, instrument: str) -> bool:
    """Whether this partner has a response of this instrument and the window's context inside the window."""
    return any(r.partner_id == partner_id and r.instrument == instrument and r.context == window.context
               and window.holds(r.administered_on) for r in responses)


def instrument_order(codes) -> list[str]:
    return [code for code in INSTRUMENTS if code in set(codes)]
