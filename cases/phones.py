"""Phone numbers: parsed for the clinic's region (CLINIC_PHONE_REGION), stored in E.164, shown the clinic's way.

Where the numbering plan tells a landline from a mobile (most of Europe, for instance) a landline is refused for
text reminders; where it cannot (the US and Canada share one plan for both), the number is accepted and the SMS
provider's refusal, if any, is shown on the reminder.
"""

import re

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

E164_REGEX = r"^\+[1-9][0-9]{6,14}$"
NOT_A_NUMBER = (
    "Enter a phone number the clinic can call, e.g. {example} (with the country code, such as +44, "
    "if it is not a {region} number)."
)


def _example() -> str:
    example = phonenumbers.example_number_for_type(settings.CLINIC_PHONE_REGION, PhoneNumberType.MOBILE)
    return phonenumbers.format_number(example, PhoneNumberFormat.NATIONAL) if example else "+1 202 555 0143"


def _parse(raw: str) -> phonenumbers.PhoneNumber:
    try:
        number = phonenumbers.parse(raw, settings.CLINIC_PHONE_REGION)
    except NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            NOT_A_NUMBER.format(example=_example(), region=settings.CLINIC_PHONE_REGION), code="invalid_phone"
        )
    return number


def phone_normalize(raw: str) -> str:
    """The number in E.164 ('+12025550143'), or "" for an empty entry; ValidationError if it is not a number."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    return phonenumbers.format_number(_parse(raw), PhoneNumberFormat.E164)


def phone_sms_problem(raw: str) -> str:
    """Why texts cannot reach this number, when its numbering plan says so (a landline, a pager...), else ""."""
    if not raw:
        return ""
    kind = phonenumbers.number_type(_parse(raw))
    if kind == PhoneNumberType.FIXED_LINE:
        return "This is a landline number; it cannot receive text messages. Enter a mobile number or choose e-mail."
    if kind in (
        PhoneNumberType.PAGER,
        PhoneNumberType.TOLL_FREE,
        PhoneNumberType.PREMIUM_RATE,
        PhoneNumberType.SHARED_COST,
        PhoneNumberType.UAN,
        PhoneNumberType.VOICEMAIL,
    ):
        return "This kind of number cannot receive text messages. Enter a mobile number or choose e-mail."
    return ""


def phone_display(e164: str) -> str:
    """A stored number as the clinic writes it: national format at home, international for other countries."""
    if not e164:
        return ""
    if not re.match(E164_REGEX, e164):
        return e164  # an old number that could not be read: shown as typed
    try:
        number = phonenumbers.parse(e164, settings.CLINIC_PHONE_REGION)
    except NumberParseException:
        return e164
    home = phonenumbers.region_code_for_number(number) == settings.CLINIC_PHONE_REGION
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL if home else PhoneNumberFormat.INTERNATIONAL)
