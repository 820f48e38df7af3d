"""Outcome charts drawn on the server as SVG: no script, no style attribute, nothing fetched from elsewhere.

The same drawing can go into a PDF. Colours are presentation attributes, which the page's CSP allows.
"""

import datetime
from dataclasses import dataclass, field

WIDTH, HEIGHT = 600, 240
LEFT, RIGHT, TOP, BOTTOM = 40, 16, 20, 34
SEVERITY_FILL = {0: "#d1e7dd", 1: "#fff3cd", 2: "#ffe5b4", 3: "#f8d7da", 4: "#f1aeb5"}
PARTNER_STYLE = {
    "A": {"stroke": "#2f4858", "dash": "", "marker": "circle"},
    "B": {"stroke": "#a34700", "dash": "6 4", "marker": "square"},
}
MEDICINE_STROKE = "#6f42c1"


@dataclass
class Shape:
    """One drawn thing; the template writes its attributes as they are."""

    x: float = 0
    y: float = 0
    width: float = 0
    height: float = 0
    fill: str = ""
    label: str = ""

    @property
    def box_x(self) -> float:
        """Left edge of a 7-unit square marker centred on the point."""
        return round(self.x - 3.5, 1)

    @property
    def box_y(self) -> float:
        return round(self.y - 3.5, 1)


@dataclass
class Line:
    label: str
    points: str
    stroke: str
    dash: str
    marker: str
    markers: list = field(default_factory=list)


@dataclass
class Chart:
    width: int
    height: int
    bands: list
    band_labels: list
    lines: list
    medicines: list
    x_ticks: list
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int


def _scale(value: float, low: float, high: float, out_low: float, out_high: float) -> float:
    if high == low:
        return (out_low + out_high) / 2
    return round(out_low + (value - low) * (out_high - out_low) / (high - low), 1)


def band_spans(definition, cutoff: int | None) -> list[tuple[int, int, str, int]]:
    """The instrument's bands as (low, high, label, severity), read through band_for so cut points set by the
    clinic (PCL-5) are the ones drawn."""
    spans: list[list] = []
    for score in range(definition.max_score + 1):
        band = definition.band_for(score, cutoff=cutoff)
        if spans and spans[-1][2] == band.label:
            spans[-1][1] = score
        else:
            spans.append([score, score, band.label, band.severity])
    return [tuple(s) for s in spans]


def outcome_chart(
    *,
    definition,
    cutoff: int | None,
    series: dict[str, list[tuple[datetime.date, int]]],
    names: dict[str, str],
    medicine_days: list[datetime.date],
) -> Chart | None:
    """Both partners' scores of one instrument over time, on its shaded bands, with medicine sessions marked."""
    days = [d for points in series.values() for d, _ in points]
    if not days:
        return None
    first, last = min(days + medicine_days), max(days + medicine_days)
    if first == last:
        first, last = first - datetime.timedelta(days=7), last + datetime.timedelta(days=7)
    x0, x1, y0, y1 = LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM, TOP
    top = definition.max_score

    def x(day):
        return _scale((day - first).days, 0, (last - first).days, x0, x1)

    def y(score):
        return _scale(score, 0, top, y0, y1)

    bands, band_labels = [], []
    for low, high, label, severity in band_spans(definition, cutoff):
        upper = min(high + 1, top)
        bands.append(
            Shape(
                x=x0,
                y=y(upper),
                width=x1 - x0,
                height=round(y(low) - y(upper), 1),
                fill=SEVERITY_FILL.get(severity, "#e9ecef"),
                label=f"{label}: {low}-{high}",
            )
        )
        band_labels.append(Shape(x=x0 - 4, y=y(low) - 2, label=str(low)))
    band_labels.append(Shape(x=x0 - 4, y=y(top) + 8, label=str(top)))
    lines = []
    for label, points in series.items():
        style = PARTNER_STYLE.get(label, PARTNER_STYLE["A"])
        ordered = sorted(points)
        markers = [Shape(x=x(d), y=y(s), label=f"{d:%d %b %Y}: {s}") for d, s in ordered]
        lines.append(
            Line(
                label=names.get(label, label),
                points=" ".join(f"{m.x},{m.y}" for m in markers),
                stroke=style["stroke"],
                dash=style["dash"],
                marker=style["marker"],
                markers=markers,
            )
        )
    medicines = [Shape(x=x(d), y=y1, label=f"M{n}") for n, d in enumerate(sorted(medicine_days), start=1)]
    x_ticks = [Shape(x=x0, y=y0 + 16, label=f"{first:%d %b %Y}"), Shape(x=x1, y=y0 + 16, label=f"{last:%d %b %Y}")]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        bands=bands,
        band_labels=band_labels,
        lines=lines,
        medicines=medicines,
        x_ticks=x_ticks,
        plot_left=x0,
        plot_right=x1,
        plot_top=y1,
        plot_bottom=y0,
    )
