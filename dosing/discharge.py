"""Discharge from a medicine session (CLINICAL.md, "The medicine session, moment by moment"): per dosing partner,
not before the observation time after their last dose and not in the future, vitals back within the thresholds,
alert and oriented, released to a named responsible adult who is not a partner dosed in this session - checked
against the couple's partners by identity at every discharge, never by a self-declared box."""

import datetime
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone

from accounts.models import User
from cases import policy
from cases.models import Partner
from clinic.services import clinic_settings_get
from dosing.clinical_time import CLOCK_SKEW
from dosing.lifecycle import require_bedside
from dosing.models import ApprovalDose, Discharge, VitalReading
from dosing.vitals import bp_level
from dosing.wording import partner_name

# Titles a person may put before a name; they say nothing about who the person is.
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam"})
# Words a clinician writes for the couple's own partner in "relationship to the patient".
_PARTNER_WORDS = frozenset(
    {"partner", "spouse", "husband", "wife", "boyfriend", "girlfriend", "fiance", "fiancee", "other partner"}
)


def name_tokens(text: str) -> list[str]:
    """A person's name reduced to what identifies it: case, accents, apostrophes, punctuation, titles and spacing
    dropped ("O'Connor-Smith" -> ["oconnor", "smith"])."""
    folded = unicodedata.normalize("NFKD", (text or "").casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c) and c not in "'\u2019`")
    return [t for t in re.findall(r"[^\W_]+", folded) if t not in _TITLES]


def _run_of(tokens: list[str], target: str) -> tuple[int, int] | None:
    """Where consecutive tokens spell `target` ("o connor smith" spells "oconnorsmith")."""
    for i in range(len(tokens)):
        spelled = ""
        for j in range(i, len(tokens)):
            spelled += tokens[j]
            if spelled == target:
                return i, j + 1
            if len(spelled) >= len(target):
                break
    return None


def names_partner(text: str, partner: Partner) -> bool:
    """Whether a written name designates this partner: their first and last name in any order and spacing (a
    middle name may be added), their first name alone, or their initial and last name ("D. Reyes")."""
    named = name_tokens(text)
    first, last = name_tokens(partner.first_name), "".join(name_tokens(partner.last_name))
    if not named or not first:
        return False
    if "".join(named) == "".join(first):
        return True
    run = _run_of(named, last) if last else None
    if run is None:
        return False
    rest = named[: run[0]] + named[run[1] :]
    if not rest:
        return False  # a family name alone may be a relative's
    if set(first) <= set(rest) or _run_of(rest, "".join(first)):
        return True
    return all(t == first[0][: len(t)] for t in rest)


def _dosing_partners(session) -> dict:
    """The partners dosed in this session, or to be dosed under its approval: none of them can take another home."""
    partners = {a.partner_id: a.partner for a in session.administrations.select_related("partner")}
    if session.approval_id:
        for dose in ApprovalDose.objects.filter(approval_id=session.approval_id).select_related("partner"):
            partners.setdefault(dose.partner_id, dose.partner)
    return partners


def _last_dose(session, partner: Partner):
    return session.administrations.filter(partner=partner).order_by("-at", "-id").first()


def discharge_time_problems(*, session, partner: Partner, at: datetime.datetime, last=None) -> list[str]:
    """Why this dosed partner cannot be discharged at this time: in the future, before the session started, or
    before the observation time since their last dose (`last`, if the caller has it)."""
    last = last or _last_dose(session, partner)
    if last is None:
        return []
    reasons = []
    if at > timezone.now() + CLOCK_SKEW:
        reasons.append(
            f"A discharge cannot be recorded in the future ({formats.time_format(timezone.localtime(at), 'H:i')} "
            "has not come yet)."
        )
    if session.started_at is not None and at < session.started_at:
        reasons.append(
            "A discharge lies within the session: it started at "
            f"{formats.time_format(timezone.localtime(session.started_at), 'H:i')}."
        )
    minimum = clinic_settings_get().discharge_observation_minutes
    ready_at = last.at + datetime.timedelta(minutes=minimum)
    if at < ready_at:
        reasons.append(
            f"{partner_name(partner)} needs {minimum} minutes of observation after the last dose "
            f"(at {formats.time_format(timezone.localtime(last.at), 'H:i')}); discharge from "
            f"{formats.time_format(timezone.localtime(ready_at), 'H:i')}."
        )
    return reasons


def discharge_vitals_problems(*, session, partner: Partner, at: datetime.datetime, last=None) -> list[str]:
    """Why the vitals do not allow this discharge: none taken since the last dose (and by the discharge time), or
    the latest not back within the thresholds."""
    last = last or _last_dose(session, partner)
    if last is None:
        return [f"{partner_name(partner)} was not dosed in this session; only dosed partners are discharged."]
    reading = (
        VitalReading.objects.filter(session=session, partner=partner, at__gte=last.at, at__lte=max(at, last.at))
        .order_by("-at", "-id")
        .first()
    )
    if reading is None:
        return [f"{partner_name(partner)}: record vitals taken after the last dose, before the discharge."]
    if bp_level(reading.systolic, reading.diastolic) != "ok":
        return [
            f"{partner_name(partner)}: the latest blood pressure, {reading.systolic}/{reading.diastolic} mmHg, is "
            "not back within the thresholds."
        ]
    return []


def discharge_blockers(*, session, partner: Partner, at: datetime.datetime) -> list[str]:
    """Everything that stops this dosed partner's discharge at this time (the page lists them)."""
    last = _last_dose(session, partner)
    return discharge_time_problems(session=session, partner=partner, at=at, last=last) + discharge_vitals_problems(
        session=session, partner=partner, at=at, last=last
    )


def responsible_adult_problems(*, session, partner: Partner, name: str, relationship: str) -> dict[str, str]:
    """Why the named person cannot take this partner home: nobody named, the partner themself, or a partner
    dosed (or to be dosed) in this session - decided from the couple's records, never from a declaration."""
    if not name_tokens(name):
        return {"released_to_name": "Name the responsible adult."}
    if names_partner(name, partner):
        return {"released_to_name": f"{partner_name(partner)} cannot be released to themself; name another adult."}
    dosing = _dosing_partners(session)
    for other in session.couple.partners.exclude(pk=partner.pk):
        if other.pk in dosing and names_partner(name, other):
            return {
                "released_to_name": f"{other.full_name} is a partner dosed in this session and cannot be the "
                "responsible adult; release to an adult who took no ketamine today."
            }
        words = " ".join(name_tokens(relationship))
        if other.pk in dosing and words in _PARTNER_WORDS:
            return {
                "released_to_relationship": f"The other partner, {other.full_name}, is dosed in this session and "
                f'cannot be the responsible adult; a "{relationship.strip()}" here would be them. Name another adult.'
            }
    return {}


@transaction.atomic  # the record and its audit row (the audit receiver) stand or fall together
def discharge_record(
    *,
    by: User,
    session,
    partner: Partner,
    at: datetime.datetime,
    alert_and_oriented: bool,
    released_to_name: str,
    released_to_relationship: str,
    no_driving_acknowledged: bool,
) -> Discharge:
    """Discharge a dosed partner after the observation time, alert and oriented, with vitals back within the
    thresholds, to a named responsible adult who is not a partner dosed in this session (checked by identity
    against the couple's partners at every discharge)."""
    require_bedside(session, "discharge")
    policy.require_may_document(by, session)
    session.refresh_from_db(fields=["approval"])
    errors: dict = {}
    last = _last_dose(session, partner)
    timing = discharge_time_problems(session=session, partner=partner, at=at, last=last)
    if timing:
        errors["at"] = timing  # next to the discharge time the user can change
    reasons = discharge_vitals_problems(session=session, partner=partner, at=at, last=last)
    if not alert_and_oriented:
        errors["alert_and_oriented"] = "Discharge only a partner who is alert and oriented."
    if not no_driving_acknowledged:
        errors["no_driving_acknowledged"] = "Tell the partner not to drive until the next day after sleep."
    if not (released_to_relationship or "").strip():
        errors["released_to_relationship"] = "Say how the responsible adult is related to the partner."
    errors.update(
        responsible_adult_problems(
            session=session, partner=partner, name=released_to_name or "", relationship=released_to_relationship or ""
        )
    )
    if Discharge.objects.filter(session=session, partner=partner).exists():
        reasons.append(f"{partner_name(partner)} is already discharged.")
    if reasons:
        errors["__all__"] = reasons
    if errors:
        raise ValidationError(errors)
    other = session.couple.partners.exclude(pk=partner.pk).first()
    return Discharge.objects.create(
        session=session,
        partner=partner,
        at=at,
        alert_and_oriented=True,
        released_to_name=released_to_name.strip(),
        released_to_relationship=released_to_relationship.strip(),
        # Decided from the records: the sober partner of a solo session may take the dosed one home.
        released_to_other_partner=other is not None and names_partner(released_to_name, other),
        no_driving_acknowledged=True,
        discharged_by=by,
    )
