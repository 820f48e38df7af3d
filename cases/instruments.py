"""The standard questionnaires: items, answer scales, scoring and published bands.

Pure functions of the answers, so that screening, repeated measures and exports score alike.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

FREQUENCY_2_WEEKS = ((0, "Not at all"), (1, "Several days"), (2, "More than half the days"), (3, "Nearly every day"))
BOTHER_PAST_MONTH = ((0, "Not at all"), (1, "A little bit"), (2, "Moderately"), (3, "Quite a bit"), (4, "Extremely"))
CSI_HAPPINESS = (
    (0, "Extremely unhappy"),
    (1, "Fairly unhappy"),
    (2, "A little unhappy"),
    (3, "Happy"),
    (4, "Very happy"),
    (5, "Extremely happy"),
    (6, "Perfect"),
)
CSI_TRUE = (
    (0, "Not at all true"),
    (1, "A little true"),
    (2, "Somewhat true"),
    (3, "Mostly true"),
    (4, "Almost completely true"),
    (5, "Completely true"),
)
CSI_AMOUNT = (
    (0, "Not at all"),
    (1, "A little"),
    (2, "Somewhat"),
    (3, "Mostly"),
    (4, "Almost completely"),
    (5, "Completely"),
)


@dataclass(frozen=True)
class Item:
    text: str
    choices: tuple[tuple[int, str], ...]

    @property
    def max_value(self) -> int:
        return self.choices[-1][0]


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    label: str
    severity: int  # 0 = none, 1 = mild ... 4 = severe; drives the colour shown


@dataclass(frozen=True)
class Result:
    """A scored questionnaire: the total, its band, any clinical flags and, for the PCL-5, the DSM-5
    provisional diagnosis by the cluster rule (None for the other instruments)."""

    score: int
    band: Band
    flags: tuple[str, ...] = field(default_factory=tuple)
    provisional: "ClusterResult | None" = None


# PCL-5 DSM-5 provisional diagnosis (Weathers et al., 2013, "The PTSD Checklist for DSM-5 (PCL-5)", National Center
# for PTSD; Blevins et al., 2015, J Trauma Stress 28:489-498): an item rated 2 ("Moderately") or higher is a symptom
# endorsed; the diagnosis needs at least 1 of cluster B (items 1-5), 1 of C (6-7), 2 of D (8-14) and 2 of E (15-20).
PCL5_SYMPTOM_THRESHOLD = 2
PCL5_CLUSTERS = (
    ("B", "intrusion", range(1, 6), 1),
    ("C", "avoidance", range(6, 8), 1),
    ("D", "negative alterations in cognition and mood", range(8, 15), 2),
    ("E", "alterations in arousal and reactivity", range(15, 21), 2),
)


@dataclass(frozen=True)
class ClusterResult:
    """The DSM-5 cluster rule applied to PCL-5 answers: per cluster (letter, endorsed, needed), and whether all
    four are met."""

    clusters: tuple[tuple[str, int, int], ...]

    @property
    def met(self) -> bool:
        return all(endorsed >= needed for _, endorsed, needed in self.clusters)

    @property
    def label(self) -> str:
        if self.met:
            return "DSM-5 provisional PTSD diagnosis: every cluster met"
        missing = ", ".join(
            f"{letter} {endorsed} of {needed}" for letter, endorsed, needed in self.clusters if endorsed < needed
        )
        return f"DSM-5 cluster rule not met ({missing})"


def pcl5_provisional(values) -> ClusterResult:
    """The DSM-5 cluster rule on the 20 PCL-5 answers (validated ints)."""
    return ClusterResult(
        tuple(
            (letter, sum(1 for n in items if values[n - 1] >= PCL5_SYMPTOM_THRESHOLD), needed)
            for letter, _, items, needed in PCL5_CLUSTERS
        )
    )


@dataclass(frozen=True)
class Instrument:
    code: str
    name: str
    stem: str
    items: tuple[Item, ...]
    bands: tuple[Band, ...]

    @property
    def max_score(self) -> int:
        return sum(item.max_value for item in self.items)

    def validate(self, answers: list) -> list[int]:
        """Return the answers as ints, or raise ValidationError keyed by item (item_1 ...)."""
        if not isinstance(answers, (list, tuple)) or len(answers) != len(self.items):
            raise ValidationError(f"{self.name} has {len(self.items)} items; every item needs an answer.")
        errors = {}
        cleaned = []
        for number, (item, value) in enumerate(zip(self.items, answers, strict=True), start=1):
            if value is None or value == "":
                errors[f"item_{number}"] = "Answer this item."
                continue
            # Only a whole number is an answer: 2.7 is not rounded, True is not 1, "1" is text (the forms coerce).
            if isinstance(value, bool) or not isinstance(value, int):
                errors[f"item_{number}"] = (
                    f"Item {number}: an answer is a whole number from 0 to {item.max_value}; {value!r} is not one."
                )
                continue
            if not 0 <= value <= item.max_value:
                errors[f"item_{number}"] = f"Answers to this item run from 0 to {item.max_value}; {value} is not one."
                continue
            cleaned.append(value)
        if errors:
            raise ValidationError(errors)
        return cleaned

    def band_for(self, score: int, *, cutoff: int | None = None) -> Band:
        bands = self.bands
        if self.code == PCL5_CODE and cutoff is not None:
            bands = _pcl5_bands(cutoff)
        for band in bands:
            if band.low <= score <= band.high:
                return band
        raise ValueError(f"{self.name} score {score} is outside 0-{self.max_score}")

    def score(self, answers: list, *, cutoff: int | None = None) -> Result:
        values = self.validate(answers)
        total = sum(values)
        return Result(
            score=total,
            band=self.band_for(total, cutoff=cutoff),
            flags=self.flags_for(values),
            provisional=self.provisional_for(values),
        )

    def provisional_for(self, values) -> ClusterResult | None:
        """The PCL-5's DSM-5 provisional diagnosis of stored answers; None for other instruments."""
        if self.code != PCL5_CODE or values is None or len(values) != len(self.items):
            return None
        return pcl5_provisional([int(v) for v in values])

    def flags_for(self, values: list[int]) -> tuple[str, ...]:
        if self.code == PHQ9_CODE and values[8] > 0:
            return (SUICIDE_RISK_FLAG,)
        return ()


PHQ9_CODE, GAD7_CODE, PCL5_CODE, CSI4_CODE = "PHQ9", "GAD7", "PCL5", "CSI4"
SUICIDE_RISK_FLAG = "PHQ-9 item 9 answered above 0: suicide risk - review before the next session."


def _pcl5_bands(cutoff: int) -> tuple[Band, ...]:
    return (
        Band(0, cutoff - 1, "below the probable-PTSD cut point", 0),
        Band(cutoff, 80, "probable PTSD", 3),
    )


PHQ9 = Instrument(
    code=PHQ9_CODE,
    name="PHQ-9",
    stem="Over the last 2 weeks, how often have you been bothered by any of the following problems?",
    items=tuple(
        Item(text, FREQUENCY_2_WEEKS)
        for text in (
            "Little interest or pleasure in doing things",
            "Feeling down, depressed, or hopeless",
            "Trouble falling or staying asleep, or sleeping too much",
            "Feeling tired or having little energy",
            "Poor appetite or overeating",
            "Feeling bad about yourself - or that you are a failure or have let yourself or your family down",
            "Trouble concentrating on things, such as reading the newspaper or watching television",
            "Moving or speaking so slowly that other people could have noticed, or the opposite - "
            "being so fidgety or restless that you have been moving around a lot more than usual",
            "Thoughts that you would be better off dead, or of hurting yourself in some way",
        )
    ),
    bands=(
        Band(0, 4, "minimal", 0),
        Band(5, 9, "mild", 1),
        Band(10, 14, "moderate", 2),
        Band(15, 19, "moderately severe", 3),
        Band(20, 27, "severe", 4),
    ),
)

GAD7 = Instrument(
    code=GAD7_CODE,
    name="GAD-7",
    stem="Over the last 2 weeks, how often have you been bothered by the following problems?",
    items=tuple(
        Item(text, FREQUENCY_2_WEEKS)
        for text in (
            "Feeling nervous, anxious, or on edge",
            "Not being able to stop or control worrying",
            "Worrying too much about different things",
            "Trouble relaxing",
            "Being so restless that it is hard to sit still",
            "Becoming easily annoyed or irritable",
            "Feeling afraid, as if something awful might happen",
        )
    ),
    bands=(
        Band(0, 4, "minimal", 0),
        Band(5, 9, "mild", 1),
        Band(10, 14, "moderate", 2),
        Band(15, 21, "severe", 4),
    ),
)

PCL5 = Instrument(
    code=PCL5_CODE,
    name="PCL-5",
    stem="In the past month, how much were you bothered by:",
    items=tuple(
        Item(text, BOTHER_PAST_MONTH)
        for text in (
            "Repeated, disturbing, and unwanted memories of the stressful experience",
            "Repeated, disturbing dreams of the stressful experience",
            "Suddenly feeling or acting as if the stressful experience were actually happening again",
            "Feeling very upset when something reminded you of the stressful experience",
            "Having strong physical reactions when something reminded you of the stressful experience",
            "Avoiding memories, thoughts, or feelings related to the stressful experience",
            "Avoiding external reminders of the stressful experience",
            "Trouble remembering important parts of the stressful experience",
            "Having strong negative beliefs about yourself, other people, or the world",
            "Blaming yourself or someone else for the stressful experience or what happened after it",
            "Having strong negative feelings such as fear, horror, anger, guilt, or shame",
            "Loss of interest in activities that you used to enjoy",
            "Feeling distant or cut off from other people",
            "Trouble experiencing positive feelings",
            "Irritable behavior, angry outbursts, or acting aggressively",
            "Taking too many risks or doing things that could cause you harm",
            'Being "superalert" or watchful or on guard',
            "Feeling jumpy or easily startled",
            "Having difficulty concentrating",
            "Trouble falling or staying asleep",
        )
    ),
    bands=_pcl5_bands(33),
)

CSI4 = Instrument(
    code=CSI4_CODE,
    name="CSI-4",
    stem="About your relationship with your partner:",
    items=(
        Item("Please indicate the degree of happiness, all things considered, of your relationship.", CSI_HAPPINESS),
        Item("I have a warm and comfortable relationship with my partner.", CSI_TRUE),
        Item("How rewarding is your relationship with your partner?", CSI_AMOUNT),
        Item("In general, how satisfied are you with your relationship?", CSI_AMOUNT),
    ),
    # The published cut point is 13.5; totals are whole numbers, so 13 and below is below it.
    bands=(
        Band(0, 13, "notable relationship dissatisfaction", 3),
        Band(14, 21, "above the dissatisfaction cut point", 0),
    ),
)

INSTRUMENTS: dict[str, Instrument] = {i.code: i for i in (PHQ9, GAD7, PCL5, CSI4)}
INSTRUMENT_CHOICES = [(i.code, i.name) for i in INSTRUMENTS.values()]
