"""System checks of the clinic's configuration, run by `manage.py check` (and `check --deploy`)."""

from django.conf import settings
from django.core.checks import Error, register


@register("clinic", deploy=True)
def clinic_time_zone_named(app_configs=None, **kwargs) -> list[Error]:
    """Production must name the clinic's time zone: on UTC by default the 7-day rule and every printed date would
    change near midnight without anyone choosing it."""
    if getattr(settings, "PRODUCTION", False) and not getattr(settings, "CLINIC_TIME_ZONE_SET", True):
        return [
            Error(
                "CLINIC_TIME_ZONE is not set: the clinic would run on UTC, so local dates (the days between medicine "
                "sessions, printed dates, reminder times) would be wrong.",
                hint="Set CLINIC_TIME_ZONE to the clinic's IANA time zone, e.g. CLINIC_TIME_ZONE=America/New_York.",
                id="clinic.E001",
            )
        ]
    return []
