"""How dosing words its numbers, days and people in messages a clinician reads."""

import datetime
from decimal import Decimal

from django.utils import formats

from cases.models import Partner


def day_label(value: datetime.date) -> str:
    """A day as the clinic writes it: 5 March 2030."""
    return formats.date_format(value, "j F Y")


def fmt_mg(value) -> str:
    """A dose as a clinician writes it: 75 mg, 12.5 mg."""
    text = f"{Decimal(value):f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + " mg"


def partner_name(partner: Partner) -> str:
    """A partner named by label and first name: Partner A (Dana)."""
    return f"{partner.get_label_display()} ({partner.first_name})"
