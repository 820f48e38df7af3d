"""The clinic's own settings: every number CLINICAL.md marks *default*, editable and audited."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from cases.instruments import INSTRUMENT_CHOICES, INSTRUMENTS

ALL_INSTRUMENTS = ",".join(INSTRUMENTS)
MAX_FOLLOW_UP_WEEKS = 104
MAX_FOLLOW_UPS = 8


def _bounded(default: int, low: int, high: int, verbose_name: str, help_text: str = "") -> models.PositiveIntegerField:
    return models.PositiveIntegerField(
        verbose_name,
        default=default,
        validators=[MinValueValidator(low), MaxValueValidator(high)],
        help_text=help_text,
    )


def parse_instrument_set(value: str) -> list[str]:
    """The instrument codes of a stored set ("PHQ9,GAD7"), in the instruments' own order."""
    codes = {c.strip() for c in (value or "").split(",") if c.strip()}
    return [code for code in INSTRUMENTS if code in codes]


def validate_instrument_set(value: str) -> None:
    unknown = {c.strip() for c in (value or "").split(",") if c.strip()} - set(INSTRUMENTS)
    if unknown:
        raise ValidationError(f"Unknown questionnaires: {', '.join(sorted(unknown))}.")


class InstrumentSetFormField(forms.MultipleChoiceField):
    """Ticks one box per questionnaire; cleans to the stored form, codes in a fixed order joined by commas."""

    widget = forms.CheckboxSelectMultiple

    def prepare_value(self, value):
        return parse_instrument_set(value) if isinstance(value, str) else value

    def clean(self, value):
        chosen = set(super().clean(value))
        return ",".join(code for code in INSTRUMENTS if code in chosen)


class InstrumentSetField(models.CharField):
    """Which standard questionnaires are given at one measurement point, stored as "PHQ9,GAD7,..."."""

    default_validators = [validate_instrument_set]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_length") == 40:
            del kwargs["max_length"]
        if kwargs.get("blank") is True:
            del kwargs["blank"]
        return name, path, args, kwargs

    def formfield(self, **kwargs):
        return InstrumentSetFormField(
            label=self.verbose_name[:1].upper() + self.verbose_name[1:],
            help_text=self.help_text,
            required=False,
            choices=INSTRUMENT_CHOICES,
        )


def parse_follow_up_weeks(value: str) -> list[int]:
    """ "4,12,26" -> [4, 12, 26]; raises ValidationError on anything but rising whole weeks."""
    text = (value or "").replace(" ", "")
    if not text:
        return []
    parts = text.split(",")
    if not all(p.isdigit() for p in parts):
        raise ValidationError("Write whole numbers of weeks separated by commas, e.g. 4,12,26.")
    weeks = [int(p) for p in parts]
    if any(not 1 <= w <= MAX_FOLLOW_UP_WEEKS for w in weeks):
        raise ValidationError(f"Each interval is between 1 and {MAX_FOLLOW_UP_WEEKS} weeks.")
    if any(b <= a for a, b in zip(weeks, weeks[1:], strict=False)):
        raise ValidationError("List the intervals from the earliest to the latest, each once.")
    if len(weeks) > MAX_FOLLOW_UPS:
        raise ValidationError(f"At most {MAX_FOLLOW_UPS} follow-ups.")
    return weeks


def validate_follow_up_weeks(value: str) -> None:
    parse_follow_up_weeks(value)


class ClinicSettings(models.Model):
    """The one row of clinic settings (id 1); read with clinic.services.clinic_settings_get()."""

    clinic_name = models.CharField(max_length=120, default="KAP Couples Clinic")

    # The phased protocol
    preparation_min = _bounded(2, 1, 10, "preparation sessions per cycle, minimum")
    preparation_max = _bounded(3, 1, 10, "preparation sessions per cycle, maximum")
    integration_min = _bounded(1, 1, 10, "integration sessions per cycle, minimum")
    medicine_sessions_min = _bounded(2, 1, 20, "medicine sessions per course, planned minimum")
    medicine_sessions_max = _bounded(
        8, 1, 20, "medicine sessions per course, maximum", "Past this a new prescriber approval is needed."
    )
    days_between_medicine = _bounded(7, 0, 90, "days between two medicine sessions, minimum")

    # Typical session lengths, used as the default duration when booking
    assessment_minutes = _bounded(90, 15, 480, "assessment length (minutes)")
    preparation_minutes = _bounded(60, 15, 480, "preparation length (minutes)")
    medicine_minutes = _bounded(180, 30, 600, "medicine session length (minutes)")
    integration_minutes = _bounded(75, 15, 480, "integration length (minutes)")
    follow_up_minutes = _bounded(
        60, 15, 480, "follow-up length (minutes)", "CLINICAL.md gives no typical length; set what your clinic uses."
    )

    # Screening
    pcl5_cutoff = _bounded(
        33, 0, 80, "PCL-5 probable-PTSD cut point", "Published cut points are about 31-33; scores at or above flag."
    )

    # The medicine session
    bp_flag_systolic = _bounded(140, 90, 250, "flag at systolic (mmHg)")
    bp_flag_diastolic = _bounded(90, 50, 150, "flag at diastolic (mmHg)")
    bp_hold_systolic = _bounded(160, 90, 250, "hold dosing at systolic (mmHg)")
    bp_hold_diastolic = _bounded(100, 50, 150, "hold dosing at diastolic (mmHg)")
    vitals_interval_minutes = _bounded(15, 5, 60, "vitals every (minutes) during a medicine session")
    discharge_observation_minutes = _bounded(120, 30, 600, "observation after the last dose before discharge (minutes)")
    medicine_start_early_minutes = _bounded(
        15,
        0,
        120,
        "a medicine session may start this early (minutes)",
        "Its therapist may start a medicine session this many minutes before its booked start, not earlier.",
    )
    late_entry_minutes = _bounded(
        10,
        1,
        240,
        "entered late after (minutes)",
        "A bedside entry made this long after its clinical time is shown as entered late, with both times. "
        "CLINICAL.md gives no number; set what your clinic considers late.",
    )
    dose_fraction_tolerance_percent = _bounded(
        25,
        5,
        100,
        "dose fraction tolerance (%)",
        "A dose further than this from the approach's fraction of the partner's full dose needs a stated reason. "
        "CLINICAL.md gives no number; set what your prescribers agree.",
    )
    approval_weight_difference_percent = _bounded(
        10,
        1,
        50,
        "weight difference from screening to confirm (%)",
        "An approval whose weight used differs from the partner's screening weight by more than this is signed "
        "only once the prescriber confirms the weight. CLINICAL.md gives no number; 10% is a placeholder.",
    )
    approval_expiry_warning_days = _bounded(
        14, 1, 90, "warn about approvals ending within (days)", "Shown on the prescriber's home page."
    )

    # Repeated measures (CLINICAL.md, Integration and outcomes): which questionnaires at which point.
    measures_baseline = InstrumentSetField(
        "questionnaires at baseline (assessment)",
        default=ALL_INSTRUMENTS,
        help_text="Given to each partner before the first medicine session.",
    )
    measures_pre_medicine = InstrumentSetField(
        "questionnaires before each medicine session",
        default=ALL_INSTRUMENTS,
        help_text="Given to each partner in the weeks before each medicine session.",
    )
    measures_post_integration = InstrumentSetField(
        "questionnaires after integration",
        default=ALL_INSTRUMENTS,
        help_text="Given to each partner after each medicine session, at its integration.",
    )
    measures_follow_up = InstrumentSetField(
        "questionnaires at follow-up",
        default=ALL_INSTRUMENTS,
        help_text="Given to each partner at each follow-up after the last integration.",
    )
    questionnaire_link_days = _bounded(
        7,
        1,
        60,
        "questionnaire links expire after (days)",
        "A partner can fill in an e-mailed questionnaire without signing in until then; the link works once.",
    )
    follow_up_weeks = models.CharField(
        "follow-ups after the last integration (weeks)",
        max_length=60,
        blank=True,
        default="4,12,26",
        validators=[validate_follow_up_weeks],
        help_text="Weeks after the last integration session, separated by commas; empty for none. CLINICAL.md "
        "gives no intervals: 4, 12 and 26 weeks are placeholders, set what your clinic uses.",
    )

    # What reminders say (jobs/reminders.py, jobs/notices.py)
    reminder_detail = models.CharField(
        "what partners' reminders say",
        max_length=8,
        default="basic",
        choices=[
            ("basic", "First name, date, time and place only"),
            ("full", "Also the kind of session, the therapist and medicine-session preparation"),
        ],
        help_text="A text or e-mail can be read by others on a phone or a shared inbox. The default names no "
        "treatment: a medicine session's reminder then asks the partner to follow their care team's "
        "instructions instead of spelling them out.",
    )

    # How far ahead the calendar reaches (issue 18: a session booked in year 9999 answered 500 and planned six
    # reminders).
    booking_horizon_days = _bounded(
        365,
        7,
        3650,
        "sessions may be booked up to (days ahead)",
        "CLINICAL.md gives no booking horizon: 365 days is a placeholder, set what your clinic uses.",
    )

    # A session entered after the fact (held or missed) is at most this old (issue 20: a missed session could not be
    # entered at all).
    past_entry_days = _bounded(
        30,
        1,
        365,
        "past sessions may be entered up to (days ago)",
        "A session that already took place, held or missed, is entered with a reason within this many days. "
        "CLINICAL.md gives no number: 30 days is a placeholder, set what your clinic uses.",
    )

    # Who may act
    allow_dual_role_acts = models.BooleanField(
        "allow dual-role acts",
        default=False,
        help_text="A person who is both prescriber and therapist may override a blood-pressure hold in a session "
        "they run, or clear a partner of a couple whose sessions they run. Off by default (separation of "
        "duties); when on, each such act is flagged in the audit trail.",
    )

    # Sign-in security
    idle_logoff_minutes = _bounded(
        15,
        2,
        120,
        "sign out after (minutes without activity)",
        "A warning shows 2 minutes before. Applies to sign-ins after a change; the 12-hour limit is a rule.",
    )

    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "clinic settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(reminder_detail__in=["basic", "full"]), name="clinic_settings_reminder_detail_known"
            ),
            # A singleton: every reader gets the same row.
            models.CheckConstraint(condition=Q(id=1), name="clinic_settings_singleton"),
            # A cycle's limits must leave at least one valid count.
            models.CheckConstraint(
                condition=Q(preparation_min__lte=F("preparation_max")), name="clinic_settings_preparation_range"
            ),
            models.CheckConstraint(
                condition=Q(medicine_sessions_min__lte=F("medicine_sessions_max")),
                name="clinic_settings_medicine_range",
            ),
            # Holding must never trigger below flagging.
            models.CheckConstraint(
                condition=Q(bp_flag_systolic__lte=F("bp_hold_systolic"), bp_flag_diastolic__lte=F("bp_hold_diastolic")),
                name="clinic_settings_bp_flag_below_hold",
            ),
        ]

    def __str__(self) -> str:
        return f"Settings of {self.clinic_name}"

    def measures_at(self, point: str) -> list[str]:
        """The instrument codes given at a measurement point: baseline, pre_medicine, post_integration, follow_up."""
        return parse_instrument_set(getattr(self, f"measures_{point}"))

    @property
    def follow_up_week_list(self) -> list[int]:
        return parse_follow_up_weeks(self.follow_up_weeks)


class ClinicSettingChange(models.Model):
    """One audited change of one clinic setting: who, when, from what to what."""

    field = models.CharField(max_length=64)
    label = models.CharField(max_length=200)
    old_value = models.CharField(max_length=200)
    new_value = models.CharField(max_length=200)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.label}: {self.old_value} -> {self.new_value}"
