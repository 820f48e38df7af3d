"""Pure rules of the repeated measures: whether a questionnaire was answered in its window, and how a score moved
from baseline. The windows themselves are the course's (sessions.course.measure_window, follow_up_schedule).

No database here: selectors load the sessions and responses once and ask these functions, so the rules are
tested with plain values and pages keep a fixed number of queries.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from cases.instruments import CSI4_CODE, INSTRUMENTS
from sessions.course import Window

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


def answered(window: Window, responses: Sequence, partner_id, instrument: str) -> bool:
    """Whether this partner has a response of this instrument and the window's context inside the window."""
    return any(r.partner_id == partner_id and r.instrument == instrument and r.context == window.context
               and window.holds(r.administered_on) for r in responses)


def instrument_order(codes) -> list[str]:
    return [code for code in INSTRUMENTS if code in set(codes)]
