"""The clinical time of a bedside record (CLINICAL.md, "The medicine session, moment by moment"): when the thing
happened, as against when it was entered. It lies inside the session - not in the future, not before the session
was started, and for what the approval stands behind (pre-dose checks, doses) not before the approval in force
began. Entering it later is normal: the record keeps both times and shows "entered late"."""

import datetime

from django.core.exceptions import ValidationError
from django.utils import formats, timezone

from clinic.services import clinic_settings_get
from dosing.models import Approval

# Clocks of the tablet at the bedside and the server differ a little; a time this far ahead of the server's
# "now" is still the present, not the future. A technical tolerance, not a clinical number.
CLOCK_SKEW = datetime.timedelta(minutes=2)

WORDS = {
    "predose": "The pre-dose checks",
    "dose": "A dose",
    "vitals": "A reading",
    "side_effect": "A side effect",
    "discharge": "A discharge",
}


def _minute(value: datetime.datetime) -> datetime.datetime:
    # Clinical times are entered to the minute: a reading at 09:05 belongs to a session started at 09:05:40.
    return value.replace(second=0, microsecond=0)


def _moment(value: datetime.datetime) -> str:
    return formats.date_format(timezone.localtime(value), "j M Y, H:i")


def approval_began(approval: Approval) -> datetime.datetime:
    """The moment an approval came into force: the start of its first day. (Its signature always precedes the
    session's start - the gate is checked at the start - and a later approval supersedes the session's, which
    dosing.gate.dose_gate refuses; so the first day is the bound a record can still cross.)"""
    return timezone.make_aware(datetime.datetime.combine(approval.valid_from, datetime.time.min))


def clinical_time_check(
    *,
    session,
    at: datetime.datetime | None,
    what: str,
    approval: Approval | None = None,
    now: datetime.datetime | None = None,
    field: str = "at",
) -> datetime.datetime:
    """Refuse a clinical time outside the session (a ValidationError on `field`, with a code naming the rule);
    return it otherwise. The session must have been started (dosing.lifecycle.require_bedside comes first)."""
    words = WORDS[what]
    if at is None:
        raise ValidationError({field: ValidationError(f"Give the time of {words.lower()}.", code="time_missing")})
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    now = now or timezone.now()
    if at > now + CLOCK_SKEW:
        raise ValidationError(
            {
                field: ValidationError(
                    f"{words} cannot be recorded in the future: {_moment(at)} is after now ({_moment(now)}).",
                    code="time_in_future",
                )
            }
        )
    if session.started_at is None or at < _minute(session.started_at):
        started = f"was started at {_moment(session.started_at)}" if session.started_at else "has not started"
        raise ValidationError(
            {
                field: ValidationError(
                    f"{words} lies within the session: {_moment(at)} is before it started (the session {started}).",
                    code="time_before_start",
                )
            }
        )
    if approval is not None and at < _minute(approval_began(approval)):
        raise ValidationError(
            {
                field: ValidationError(
                    f"{words} lies within the approval in force: {_moment(at)} is before it began "
                    f"({_moment(approval_began(approval))}).",
                    code="time_before_approval",
                )
            }
        )
    return at


def entered_late(at: datetime.datetime | None, recorded_at: datetime.datetime | None) -> bool:
    """Whether an entry was made later than the clinic's late-entry minutes after its clinical time."""
    if at is None or recorded_at is None:
        return False
    return recorded_at - at > datetime.timedelta(minutes=clinic_settings_get().late_entry_minutes)
