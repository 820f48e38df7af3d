"""Blood-pressure holds (CLINICAL.md, "The medicine session, moment by moment"): a reading at or above the hold
threshold holds dosing for that partner; the couple's prescriber may override that one reading with a reason, and
any later reading at or above the threshold holds again. A booster needs a reading taken after the previous dose
that is below the hold threshold or overridden. Readings are ordered by clinical time, never by entry time.

The baseline of the pre-dose checks is the first reading (its override is kept on the check); vitals readings
follow (their overrides are HoldOverride rows, one per reading)."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone

from accounts.models import User
from cases import policy
from cases.models import Partner
from dosing.lifecycle import require_bedside
from dosing.models import HoldOverride, PreDoseCheck, VitalReading
from dosing.vitals import bp_level, bp_thresholds
from dosing.wording import partner_name


@dataclass(frozen=True)
class Reading:
    """One blood pressure of a partner at a clinical time, with its level and whether a prescriber overrode it."""

    at: datetime.datetime
    systolic: int
    diastolic: int
    level: str
    overridden: bool
    baseline: bool
    pk: int

    @property
    def holds(self) -> bool:
        return self.level == "hold" and not self.overridden


def partner_readings(
    *, session, partner: Partner, check: PreDoseCheck | None = None, vitals=None, overridden_ids=None
) -> list[Reading]:
    """The partner's readings in clinical-time order (the baseline first at equal times). The record page passes
    what it already loaded; a service call reads them."""
    if check is None:
        check = PreDoseCheck.objects.filter(session=session, partner=partner).first()
    if vitals is None:
        vitals = list(VitalReading.objects.filter(session=session, partner=partner))
    if overridden_ids is None:
        overridden_ids = set(
            HoldOverride.objects.filter(reading__in=[v.pk for v in vitals]).values_list("reading_id", flat=True)
        )
    readings = []
    if check is not None:
        readings.append(
            Reading(
                check.at,
                check.systolic,
                check.diastolic,
                bp_level(check.systolic, check.diastolic),
                bool(check.override_by_id),
                True,
                check.pk,
            )
        )
    for v in vitals:
        readings.append(
            Reading(
                v.at, v.systolic, v.diastolic, bp_level(v.systolic, v.diastolic), v.pk in overridden_ids, False, v.pk
            )
        )
    return sorted(readings, key=lambda r: (r.at, not r.baseline, r.pk))


def _time(value: datetime.datetime) -> str:
    return formats.time_format(timezone.localtime(value), "H:i")


def hold_blockers(
    *, session, partner: Partner, at: datetime.datetime, previous_dose_at: datetime.datetime | None, readings=None
) -> list[str]:
    """Why this partner may not be dosed at this clinical time because of blood pressure (empty when they may)."""
    if readings is None:
        readings = partner_readings(session=session, partner=partner)
    before = [r for r in readings if r.at <= at]
    name = partner_name(partner)
    (_, _), (hold_s, hold_d) = bp_thresholds()
    reasons = []
    if previous_dose_at is not None and not any(r.at > previous_dose_at for r in before):
        reasons.append(
            f"{name}: a booster needs a blood pressure reading taken after the previous dose "
            f"(given at {_time(previous_dose_at)}); record one first."
        )
    latest = before[-1] if before else None
    if latest is not None and latest.holds:
        reasons.append(
            f"Dosing is held: blood pressure {latest.systolic}/{latest.diastolic} mmHg is at or above "
            f"{hold_s}/{hold_d} (the reading at {_time(latest.at)}). The couple's prescriber must override that "
            "reading, with a reason, before a dose."
        )
    return reasons


def hold_override(*, by: User, reading: VitalReading, reason: str) -> HoldOverride:
    """The couple's (or covering) prescriber allows dosing despite this one hold-level reading, with a reason.
    Not the therapist running the session unless the clinic allows dual-role acts (then audited)."""
    session = reading.session
    require_bedside(session, "override")
    verdict = policy.require_may_override_hold(by, session, field="reason")
    if bp_level(reading.systolic, reading.diastolic) != "hold":
        raise ValidationError(
            {
                "reason": ValidationError(
                    f"{reading.systolic}/{reading.diastolic} mmHg is below the hold threshold: nothing to override.",
                    code="override_not_a_hold",
                )
            }
        )
    if not (reason or "").strip():
        raise ValidationError(
            {"reason": ValidationError("State the reason for the override.", code="override_needs_reason")}
        )
    with transaction.atomic():
        VitalReading.objects.select_for_update().filter(pk=reading.pk).first()  # one override per reading
        if HoldOverride.objects.filter(reading=reading).exists():
            raise ValidationError(
                {"reason": ValidationError("This reading is already overridden.", code="override_exists")}
            )
        override = HoldOverride.objects.create(reading=reading, by=by, reason=reason.strip())
        policy.audit_if_flagged(
            verdict,
            actor=by,
            obj=override,
            couple=session.couple,
            what=f"reading {reading.pk}: hold overridden by the therapist running the session",
        )
    return override
