"""The clinic's clock: every date and time the product prints or counts days by is the clinic's local one."""

import datetime

from django.utils import formats, timezone


def local_date(moment: datetime.datetime) -> datetime.date:
    """The clinic's calendar day of an instant."""
    return timezone.localtime(moment).date()


def day_label(moment: datetime.datetime) -> str:
    """'5 Mar 2030': the clinic's day of an instant."""
    return formats.date_format(timezone.localtime(moment), "j M Y")


def moment_label(moment: datetime.datetime) -> str:
    """'5 Mar 2030, 10:00': the clinic's wall-clock time of an instant."""
    return formats.date_format(timezone.localtime(moment), "j M Y, H:i")
