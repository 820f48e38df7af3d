"""Pure rules of the repeated measures: whether a questionnaire was answered in its window, and how a score moved
from baseline. The windows themselves are the course's (sessions.course.measure_window, follow_up_schedule).

No database here: selectors load the sessions and responses once and ask these functions, so the rules are
tested with plain values and pages keep a fixed number of queries.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from cases.instruments import CSI4_CODE, GAD7_CODE, INSTRUMENTS, PCL5_CODE, PHQ9_CODE
from cases.scores import baseline_response, latest_response
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


# -- reliable and clinically significant change (Jacobson & Truax, 1991) ------------------------------------
#
# Jacobson, N. S. & Truax, P. (1991). Clinical significance: a statistical approach to defining meaningful change in
# psychotherapy research. J Consult Clin Psychol 59(1):12-19. The reliable change index is RCI = (x2 - x1) / S_diff,
# with S_diff = sqrt(2) * SE and SE = SD * sqrt(1 - r); a change is reliable when |RCI| >= 1.96 (p < .05). A change
# is clinically significant when it is reliable and the score moves from the dysfunctional to the functional side
# of the cut point c between the two populations.
#
# The reliable-change sizes below are the published 1.96 * S_diff of each instrument in points, so the RCI shown is
# (x2 - x1) * 1.96 / size; the reliability is the one the source reports. Where no source gives a size, none is
# invented: the product says reliable change is not established for that instrument.


@dataclass(frozen=True)
class ChangeNorms:
    reliability: float  # test-retest (PHQ-9, GAD-7, PCL-5) or internal consistency (CSI-4), as published
    reliable_change: int | None  # points: 1.96 * S_diff from the source; None when no source gives one
    functional_below: float | None  # symptom scales: a score below this is the functional side
    functional_above: float | None  # satisfaction scales: a score above this is the functional side
    source: str


CHANGE_NORMS: dict[str, ChangeNorms] = {
    PHQ9_CODE: ChangeNorms(
        0.84,
        6,
        10,
        None,
        "Reliability: Kroenke, Spitzer & Williams (2001), J Gen Intern Med 16:606-613 (48-hour test-retest r = .84). "
        "Reliable change 6 points and caseness 10 or above: NHS Talking Therapies for anxiety and depression manual "
        "(NHS England, 2023), reliable improvement and recovery.",
    ),
    GAD7_CODE: ChangeNorms(
        0.83,
        4,
        8,
        None,
        "Reliability: Spitzer, Kroenke, Williams & Lowe (2006), Arch Intern Med 166:1092-1097 (test-retest "
        "r = .83). Reliable change 4 points and caseness 8 or above: NHS Talking Therapies manual (NHS England, "
        "2023).",
    ),
    PCL5_CODE: ChangeNorms(
        0.82,
        15,
        28.5,
        None,
        "Reliability: Blevins, Weathers, Davis, Witte & Domino (2015), J Trauma Stress 28:489-498 (test-retest "
        "r = .82). Reliable change 15 points and clinically significant change to 28 or below (Jacobson & Truax "
        "criterion c): Marx et al. (2022), Psychol Assess 34(2):197-203, sample 1.",
    ),
    CSI4_CODE: ChangeNorms(
        0.94,
        None,
        None,
        13.5,
        "Reliability: Funk & Rogge (2007), J Fam Psychol 21(4):572-583 (alpha = .94); cut point 13.5 from the same "
        "source. No published reliable-change size for the CSI-4 is known to the product: reliable change is not "
        "established, only the crossing of the cut point is shown.",
    ),
}


@dataclass(frozen=True)
class ReliableChange:
    """Jacobson & Truax's verdict on a partner's change from baseline on one instrument."""

    instrument: str
    delta: int
    rci: float | None  # None when no reliable-change size is published
    reliable: bool | None  # None: not established
    improved: bool
    crossed: bool  # moved from the dysfunctional to the functional side of the cut point
    worsened_across: bool  # moved from the functional to the dysfunctional side

    @property
    def verdict(self) -> str:
        if self.reliable is None:
            if self.crossed:
                return "crossed into the functional range (reliable change not established)"
            if self.worsened_across:
                return "crossed into the dysfunctional range (reliable change not established)"
            return "reliable change not established"
        if not self.reliable:
            return "no reliable change"
        if not self.improved:
            return "reliable deterioration"
        return "recovered (reliable and clinically significant)" if self.crossed else "reliable improvement"

    @property
    def label(self) -> str:
        rci = f"RCI {self.rci:+.2f}, " if self.rci is not None else ""
        return f"{rci}{self.verdict}"


def _functional(norms: ChangeNorms, score: float) -> bool | None:
    if norms.functional_below is not None:
        return score < norms.functional_below
    if norms.functional_above is not None:
        return score > norms.functional_above
    return None


def reliable_change(instrument: str, baseline: int, latest: int) -> ReliableChange:
    """Jacobson & Truax (1991): the reliable change index of latest - baseline and whether the change is reliable
    and clinically significant, by the instrument's published norms (CHANGE_NORMS)."""
    norms = CHANGE_NORMS[instrument]
    delta = latest - baseline
    improved = delta > 0 if instrument in HIGHER_IS_BETTER else delta < 0
    if norms.reliable_change is None:
        rci, reliable = None, None
    else:
        rci = delta * 1.96 / norms.reliable_change
        reliable = abs(delta) >= norms.reliable_change  # |RCI| >= 1.96
    before, after = _functional(norms, baseline), _functional(norms, latest)
    return ReliableChange(
        instrument=instrument,
        delta=delta,
        rci=rci,
        reliable=reliable,
        improved=improved,
        crossed=before is False and after is True,
        worsened_across=before is True and after is False,
    )


@dataclass(frozen=True)
class ChangeCell:
    partner: object
    baseline: object  # the baseline response, or None
    latest: object  # the latest response when later than the baseline, else None
    change: ReliableChange | None

    @property
    def label(self) -> str:
        if self.baseline is None:
            return "not recorded"
        if self.change is None:
            return f"baseline {self.baseline.score}, no later score"
        return f"{self.baseline.score} \u2192 {self.latest.score}: {self.change.label}"


@dataclass(frozen=True)
class ChangeLine:
    instrument: str
    name: str
    cells: tuple[ChangeCell, ...]


def couple_changes(partners: Sequence, responses: Sequence) -> list[ChangeLine]:
    """Per instrument, each partner's baseline, latest and reliable change, side by side (instruments nobody
    answered are left out)."""
    lines = []
    for code, definition in INSTRUMENTS.items():
        cells = []
        for partner in partners:
            own = [r for r in responses if r.partner_id == partner.pk and r.instrument == code]
            base, last = baseline_response(own), latest_response(own)
            later = last if last is not None and base is not None and last.pk != base.pk else None
            change = reliable_change(code, base.score, later.score) if later is not None else None
            cells.append(ChangeCell(partner=partner, baseline=base, latest=later, change=change))
        if any(c.baseline is not None for c in cells):
            lines.append(ChangeLine(instrument=code, name=definition.name, cells=tuple(cells)))
    return lines


def answered(window: Window, responses: Sequence, partner_id, instrument: str) -> bool:
    """Whether this partner has a response of this instrument and the window's context inside the window."""
    return any(
        r.partner_id == partner_id
        and r.instrument == instrument
        and r.context == window.context
        and window.holds(r.administered_on)
        for r in responses
    )


def instrument_order(codes) -> list[str]:
    return [code for code in INSTRUMENTS if code in set(codes)]
