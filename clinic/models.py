"""The clinic's own settings: every number CLINICAL.md marks *default*, editable and audited."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q


def _bounded(default: int, low: int, high: int, verbose_name: str, help_text: str = "") -> models.PositiveIntegerField:
    return models.PositiveIntegerField(
        verbose_name,
        default=default,
        validators=[MinValueValidator(low), MaxValueValidator(high)],
        help_text=help_text,
    )


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
    dose_fraction_tolerance_percent = _bounded(
        25, 5, 100, "dose fraction tolerance (%)",
        "A dose further than this from the approach's fraction of the partner's full dose needs a stated reason. "
        "CLINICAL.md gives no number; set what your prescribers agree.",
    )
    approval_expiry_warning_days = _bounded(
        14, 1, 90, "warn about approvals ending within (days)", "Shown on the prescriber's home page."
    )

    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "clinic settings"
        constraints = [
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
