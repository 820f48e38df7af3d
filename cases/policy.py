"""Who may act: the one rule book. Every `may_*` is a small predicate returning a Verdict (true when allowed,
with the rule and the reason when not); every `require_*` raises a ValidationError naming the rule and why.

Services call the `require_*` functions with the acting user, so a task, a management command or the shell meets
the same rule as the page; views may keep `role_required` as a coarse entry filter and ask `may_*` for what a page
shows, but the decision is made here. The predicates take plain facts (a user, a CareTeam, a session's
therapist_id), so they are tested without a database; `care_team()` builds the facts from the rows.

Why ValidationError and not PermissionDenied: a refusal is shown next to the form the user acted on (the forms'
add_service_errors), and a task or script gets the same message; a view that wants a 403 for a request no page
offers raises PermissionDenied itself after asking `may_*`. Objects outside the caseload are 404s (couple_for_user).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import cached_property

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from audit.choices import AuditAction
from audit.services import audit_record
from cases.models import Couple, CoveringPrescriber
from clinic.services import clinic_settings_get

# The rules, by name: a refusal's code, the rows of docs/clinical-rules.md, and the audit summary of a flagged act.
ACTIVE_USER = "active-user"
CLINIC_ADMIN = "clinic-admin"
CARE_TEAM_THERAPIST = "care-team-therapist"
SESSION_MANAGER = "session-manager"
SESSION_THERAPIST = "session-therapist"
CARE_TEAM = "care-team"
COUPLE_PRESCRIBER = "couple-prescriber"
REQUESTER_NOT_APPROVER = "requester-not-approver"
DUAL_ROLE = "dual-role"
STOCK_LOG = "stock-log-role"
OPEN_CASE = "open-case"

# The rules about the acting person (as opposed to the facts of the case): a whole act one of them refuses is a 403
# on the page, for someone who may see the object but not do this to it (see forbid_refused).
WHO_MAY_ACT_RULES = frozenset(
    {
        ACTIVE_USER,
        CLINIC_ADMIN,
        CARE_TEAM_THERAPIST,
        SESSION_MANAGER,
        SESSION_THERAPIST,
        CARE_TEAM,
        COUPLE_PRESCRIBER,
        REQUESTER_NOT_APPROVER,
        DUAL_ROLE,
        STOCK_LOG,
    }
)


@dataclass(frozen=True)
class Verdict:
    """An answer of the rule book: allowed or not, which rule decided and why. `flagged` marks an act allowed only
    by the clinic's dual-role setting: the service records it on the audit trail."""

    allowed: bool
    rule: str = ""
    reason: str = ""
    flagged: bool = False

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Verdict(True)


def _no(rule: str, reason: str) -> Verdict:
    return Verdict(False, rule, reason)


@dataclass(frozen=True)
class Cover:
    """A covering prescriber named by a clinic admin for a period of days (both ends included)."""

    prescriber_id: int
    starts_on: datetime.date
    ends_on: datetime.date

    def covers(self, day: datetime.date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class CareTeam:
    """The couple's care team as plain facts: its therapists, its prescriber and any covering prescribers."""

    couple_id: int | None
    therapist_ids: frozenset[int] = frozenset()
    prescriber_id: int | None = None
    covers: tuple[Cover, ...] = field(default=())

    def prescriber_ids_on(self, day: datetime.date) -> frozenset[int]:
        """The couple's prescriber and whoever covers on that day."""
        ids = {c.prescriber_id for c in self.covers if c.covers(day)}
        if self.prescriber_id is not None:
            ids.add(self.prescriber_id)
        return frozenset(ids)


class CoupleTeam:
    """The care team of a couple row, read lazily: each fact costs its query only when a rule asks for it (a
    therapist's page never reads the covers, the couple's own prescriber never needs them)."""

    def __init__(self, couple: Couple):
        self.couple_id = couple.pk
        self.prescriber_id = couple.prescriber_id

    @cached_property
    def therapist_ids(self) -> frozenset[int]:
        return frozenset(
            Couple.therapists.through.objects.filter(couple_id=self.couple_id).values_list("user_id", flat=True)
        )

    @cached_property
    def covers(self) -> tuple[Cover, ...]:
        return tuple(
            Cover(p, s, e)
            for p, s, e in CoveringPrescriber.objects.filter(couple_id=self.couple_id).values_list(
                "prescriber_id", "starts_on", "ends_on"
            )
        )

    def prescriber_ids_on(self, day: datetime.date) -> frozenset[int]:
        return CareTeam.prescriber_ids_on(self, day)


def care_team(couple: Couple | CareTeam | CoupleTeam) -> CareTeam | CoupleTeam:
    """The care team of a couple: a CareTeam passed in as it is, else read from the database as needed."""
    if isinstance(couple, CareTeam | CoupleTeam):
        return couple
    return CoupleTeam(couple)


def _today() -> datetime.date:
    return timezone.localdate()


def _name(user) -> str:
    return str(user) if user is not None else "Nobody"


def _dual_role_allowed() -> bool:
    return clinic_settings_get().allow_dual_role_acts


# -- raising -----------------------------------------------------------------------------------------------


def require(verdict: Verdict, *, field: str | None = None, hint: str = "") -> Verdict:
    """Raise the refusal of a verdict that does not allow the act (tied to a form field if given, with a hint of
    what to do instead); else return the verdict, which a service passes to audit_if_flagged."""
    if verdict.allowed:
        return verdict
    error = ValidationError(f"{verdict.reason} {hint}".strip(), code=verdict.rule)
    raise ValidationError({field: [error]}) if field else error


def forbid_refused(exc: ValidationError) -> None:
    """A view's `except ValidationError` asks this first: a service's refusal of the whole act by one of the rules
    about the acting person becomes a 403 that gives the rule's reason. A refusal tied to a field (one choice on a
    form the user may use, such as "cleared" for a therapist) stays next to that field, as do the case's facts."""
    if hasattr(exc, "error_dict"):
        return
    if any(error.code in WHO_MAY_ACT_RULES for error in exc.error_list):
        raise PermissionDenied(" ".join(exc.messages))


# -- who is who --------------------------------------------------------------------------------------------


def may_act(user) -> Verdict:
    """Anything at all: only a signed-in, active account acts (a deactivated user can do nothing, from any entry
    point, including work queued on their behalf before they were deactivated)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return _no(ACTIVE_USER, "Nobody is signed in to do this.")
    if not user.is_active:
        return _no(ACTIVE_USER, f"{_name(user)}'s account is deactivated: a deactivated user can do nothing.")
    return ALLOWED


def require_active(user, *, field: str | None = None) -> Verdict:
    return require(may_act(user), field=field)


def is_care_team_therapist(user, team: CareTeam) -> bool:
    return bool(user.is_therapist and user.pk in team.therapist_ids)


def is_couple_prescriber(user, team: CareTeam, *, on: datetime.date | None = None) -> bool:
    """This couple's prescriber, or a covering prescriber on that day (today by default)."""
    if not user.is_prescriber:
        return False
    return user.pk == team.prescriber_id or user.pk in team.prescriber_ids_on(on or _today())


def is_on_care_team(user, team: CareTeam, *, on: datetime.date | None = None) -> bool:
    return is_care_team_therapist(user, team) or is_couple_prescriber(user, team, on=on)


# -- reading ------------------------------------------------------------------------------------------------


def visible_couples(user: User) -> QuerySet[Couple]:
    """The couples a user may see: an admin all; a therapist or prescriber those assigned to them, and a covering
    prescriber those they cover today."""
    if not may_act(user):
        return Couple.objects.none()
    if user.is_clinic_admin:
        return Couple.objects.all()
    scope = Q(pk__in=[])
    if user.is_therapist:
        scope |= Q(pk__in=Couple.therapists.through.objects.filter(user_id=user.pk).values("couple_id"))
    if user.is_prescriber:
        today = _today()
        scope |= Q(prescriber_id=user.pk)
        scope |= Q(
            pk__in=CoveringPrescriber.objects.filter(
                prescriber_id=user.pk, starts_on__lte=today, ends_on__gte=today
            ).values("couple_id")
        )
    return Couple.objects.filter(scope)


def manageable_couples(user: User) -> QuerySet[Couple]:
    """The couples whose sessions the user may book and change (may_manage_sessions as a query): every couple for a
    clinic admin, their own caseload for a therapist, none for anyone else."""
    if not may_act(user):
        return Couple.objects.none()
    if user.is_clinic_admin:
        return Couple.objects.all()
    if user.is_therapist:
        return Couple.objects.filter(
            pk__in=Couple.therapists.through.objects.filter(user_id=user.pk).values("couple_id")
        )
    return Couple.objects.none()


def couple_for_user(user: User, couple_uuid) -> Couple:
    """The couple with this UUID if the user may see it; otherwise 404, as if it did not exist."""
    try:
        return visible_couples(user).select_related("prescriber").get(uuid=couple_uuid)
    except Couple.DoesNotExist:
        raise Http404("No such couple.") from None


def may_see_couple(user, team: CareTeam, *, on: datetime.date | None = None) -> Verdict:
    """The same rule as visible_couples, for one couple whose care team is known."""
    verdict = may_act(user)
    if not verdict:
        return verdict
    if user.is_clinic_admin or is_on_care_team(user, team, on=on):
        return ALLOWED
    return _no(CARE_TEAM, "Only the couple's care team and clinic admins see this couple.")


# -- the clinic ---------------------------------------------------------------------------------------------


def may_administer_clinic(user) -> Verdict:
    """Clinic admin work: users, clinic settings, exports of case reports, covering prescribers, the care team."""
    verdict = may_act(user)
    if not verdict:
        return verdict
    if not user.is_clinic_admin:
        return _no(CLINIC_ADMIN, "Only a clinic admin can do this.")
    return ALLOWED


def require_clinic_admin(user, *, what: str = "do this", field: str | None = None) -> Verdict:
    verdict = may_administer_clinic(user)
    if not verdict and verdict.rule == CLINIC_ADMIN:
        verdict = _no(CLINIC_ADMIN, f"Only a clinic admin can {what}.")
    return require(verdict, field=field)


def may_create_couple(user) -> Verdict:
    verdict = may_act(user)
    if verdict and not (user.is_therapist or user.is_clinic_admin):
        return _no(CLINIC_ADMIN, "Only a therapist or a clinic admin can open a case.")
    return verdict


def require_may_create_couple(user) -> Verdict:
    return require(may_create_couple(user))


def may_assign_care_team(user) -> Verdict:
    verdict = may_administer_clinic(user)
    if not verdict and verdict.rule == CLINIC_ADMIN:
        return _no(CLINIC_ADMIN, "Only a clinic admin can change who is on the care team.")
    return verdict


def require_may_assign_care_team(user, *, field: str | None = None) -> Verdict:
    return require(may_assign_care_team(user), field=field)


def may_keep_stock_log(user) -> Verdict:
    """The controlled-substance log is kept by prescribers and clinic admins (a clinic-wide record, no couple)."""
    verdict = may_act(user)
    if verdict and not (user.is_prescriber or user.is_clinic_admin):
        return _no(STOCK_LOG, "Only a prescriber or a clinic admin keeps the controlled-substance log.")
    return verdict


def require_may_keep_stock_log(user) -> Verdict:
    return require(may_keep_stock_log(user))


# -- the couple's care --------------------------------------------------------------------------------------


def may_manage_sessions(user, couple: Couple | CareTeam) -> Verdict:
    """Booking, moving, cancelling and completing a couple's sessions, and its integration work (commitments,
    questionnaire links): its therapists and clinic admins."""
    verdict = may_act(user)
    if not verdict:
        return verdict
    if user.is_clinic_admin or is_care_team_therapist(user, care_team(couple)):
        return ALLOWED
    return _no(SESSION_MANAGER, "Only the couple's therapists or a clinic admin can book and change its sessions.")


def require_may_manage_sessions(
    user, couple: Couple | CareTeam, *, what: str = "book and change its sessions", field: str | None = None
) -> Verdict:
    verdict = may_manage_sessions(user, couple)
    if not verdict and verdict.rule == SESSION_MANAGER:
        verdict = _no(SESSION_MANAGER, f"Only the couple's therapists or a clinic admin can {what}.")
    return require(verdict, field=field)


def may_work_as_therapist(user, couple: Couple | CareTeam) -> Verdict:
    """Therapist work on the couple (requesting a dosing approach, withdrawing it, amending a note): an active
    therapist on the couple's care team."""
    verdict = may_act(user)
    if verdict and not is_care_team_therapist(user, care_team(couple)):
        return _no(CARE_TEAM_THERAPIST, "Only a therapist on this couple's care team can do this.")
    return verdict


def require_care_team_therapist(
    user, couple: Couple | CareTeam, *, what: str = "do this", field: str | None = None
) -> Verdict:
    verdict = may_work_as_therapist(user, couple)
    if not verdict and verdict.rule == CARE_TEAM_THERAPIST:
        verdict = _no(CARE_TEAM_THERAPIST, f"Only a therapist on this couple's care team can {what}.")
    return require(verdict, field=field)


def may_request_dosing(user, couple: Couple | CareTeam) -> Verdict:
    verdict = may_work_as_therapist(user, couple)
    if not verdict and verdict.rule == CARE_TEAM_THERAPIST:
        return _no(CARE_TEAM_THERAPIST, "Only a therapist of this couple can request a dosing approach.")
    return verdict


def require_may_request_dosing(user, couple: Couple | CareTeam) -> Verdict:
    return require(may_request_dosing(user, couple))


def may_withdraw_request(user, couple: Couple | CareTeam) -> Verdict:
    verdict = may_work_as_therapist(user, couple)
    if not verdict and verdict.rule == CARE_TEAM_THERAPIST:
        return _no(CARE_TEAM_THERAPIST, "Only a therapist of this couple can withdraw its request.")
    return verdict


def require_may_withdraw_request(user, couple: Couple | CareTeam) -> Verdict:
    return require(may_withdraw_request(user, couple))


def may_write_note(user, session, *, what: str = "writes and signs its note") -> Verdict:
    """A session's note is written and signed by the session's own therapist (it is their record of it)."""
    verdict = may_act(user)
    if verdict and user.pk != session.therapist_id:
        return _no(SESSION_THERAPIST, f"Only the session's therapist ({_name(session.therapist)}) {what}.")
    return verdict


def require_may_write_note(user, session, *, what: str = "writes and signs its note") -> Verdict:
    return require(may_write_note(user, session, what=what))


def may_start_medicine_session(user, session) -> Verdict:
    """A medicine session is started by its own therapist, who runs it at the bedside."""
    verdict = may_act(user)
    if verdict and user.pk != session.therapist_id:
        return _no(SESSION_THERAPIST, f"Only its therapist, {_name(session.therapist)}, starts this medicine session.")
    return verdict


def may_book_sessions(user) -> Verdict:
    """A coarse filter for the booking pages: therapists book for their couples, clinic admins for any."""
    verdict = may_act(user)
    if verdict and not (user.is_therapist or user.is_clinic_admin):
        return _no(SESSION_MANAGER, "Only therapists and clinic admins book sessions.")
    return verdict


def may_work_on_case(user, couple: Couple | CareTeam, *, on: datetime.date | None = None) -> Verdict:
    """Recording a couple's case (details, screening, questionnaires, its status): its care team and clinic
    admins - the people who may see it. A decision reserved to a prescriber is checked on top of this."""
    verdict = may_see_couple(user, care_team(couple), on=on)
    if not verdict and verdict.rule == CARE_TEAM:
        return _no(CARE_TEAM, "Only the couple's care team or a clinic admin can change this case.")
    return verdict


def require_may_work_on_case(
    user, couple: Couple | CareTeam, *, on: datetime.date | None = None, field: str | None = None
) -> Verdict:
    return require(may_work_on_case(user, couple, on=on), field=field)


# -- prescriber powers ---------------------------------------------------------------------------------------


def may_act_as_prescriber(
    user, couple: Couple | CareTeam, *, on: datetime.date | None = None, what: str = "decide this"
) -> Verdict:
    """Prescriber powers (clearing a partner, approving, declining or revoking an approach, overriding a hold)
    belong to this couple's prescriber, or a covering prescriber on that day: holding the role is not enough."""
    verdict = may_act(user)
    if not verdict:
        return verdict
    if not user.is_prescriber:
        return _no(COUPLE_PRESCRIBER, f"Only a prescriber can {what}.")
    if not is_couple_prescriber(user, care_team(couple), on=on):
        return _no(
            COUPLE_PRESCRIBER,
            f"Only this couple's own prescriber, or a prescriber a clinic admin named to "
            f"cover for them on that day, can {what}.",
        )
    return ALLOWED


def may_decide_dosing(user, couple: Couple | CareTeam, *, on: datetime.date | None = None) -> Verdict:
    """Deciding on a couple's dosing (decline a request, revoke an approval)."""
    return may_act_as_prescriber(user, couple, on=on, what="approve, decline or revoke this couple's dosing")


def require_may_decide_dosing(
    user, couple: Couple | CareTeam, *, on: datetime.date | None = None, field: str | None = None
) -> Verdict:
    return require(may_decide_dosing(user, couple, on=on), field=field)


def may_approve(
    user, couple: Couple | CareTeam, *, requested_by_id: int | None = None, on: datetime.date | None = None
) -> Verdict:
    """Signing an approval: the couple's (or covering) prescriber who did not request the approach themselves."""
    verdict = may_decide_dosing(user, couple, on=on)
    if verdict and requested_by_id is not None and requested_by_id == user.pk:
        return _no(
            REQUESTER_NOT_APPROVER,
            "You requested this approach yourself: the person who requests a "
            "dosing approach does not approve it. Another prescriber must sign.",
        )
    return verdict


def require_may_approve(
    user,
    couple: Couple | CareTeam,
    *,
    requested_by_id: int | None = None,
    on: datetime.date | None = None,
    field: str | None = None,
) -> Verdict:
    return require(may_approve(user, couple, requested_by_id=requested_by_id, on=on), field=field)


def _dual_role(verdict: Verdict, *, runs_it: bool, allow_dual_role: bool | None, what: str) -> Verdict:
    if not verdict or not runs_it:
        return verdict
    if allow_dual_role is None:
        allow_dual_role = _dual_role_allowed()
    if allow_dual_role:
        return Verdict(True, DUAL_ROLE, f"dual-role act allowed by the clinic setting: {what}", flagged=True)
    return _no(
        DUAL_ROLE,
        f"You hold two roles here: a prescriber who also runs the couple's sessions does not "
        f"{what} themselves (separation of duties). Ask another prescriber, or a clinic admin to "
        "allow dual-role acts in the clinic settings.",
    )


def may_clear_partner(
    user, couple: Couple | CareTeam, *, on: datetime.date | None = None, allow_dual_role: bool | None = None
) -> Verdict:
    """Clearing a partner who will take ketamine: the couple's (or covering) prescriber, and not one who is also a
    therapist of this couple (who runs its sessions) unless the clinic allows dual-role acts (then flagged)."""
    team = care_team(couple)
    verdict = may_act_as_prescriber(user, team, on=on, what="clear a partner who will take ketamine")
    return _dual_role(
        verdict,
        runs_it=is_care_team_therapist(user, team),
        allow_dual_role=allow_dual_role,
        what="clear a partner of a couple whose sessions they run",
    )


# -- the medicine session ----------------------------------------------------------------------------------


def _session_team(session, team: CareTeam | None) -> CareTeam:
    return team if team is not None else care_team(session.couple)


def may_run_session(user, session, *, team: CareTeam | None = None) -> Verdict:
    """Starting and running a session (the medicine session's start, its end of observation, completion): a
    therapist on the couple's care team."""
    verdict = may_act(user)
    if verdict and not is_care_team_therapist(user, _session_team(session, team)):
        return _no(CARE_TEAM_THERAPIST, "Only a therapist on this couple's care team runs its sessions.")
    return verdict


def may_document(user, session, *, team: CareTeam | None = None, on: datetime.date | None = None) -> Verdict:
    """The bedside record of a medicine session (plan, pre-dose checks, doses, vitals, side effects, discharge):
    the couple's care team - its therapists, its prescriber or a covering prescriber. Not a clinic admin as such."""
    verdict = may_act(user)
    if verdict and not is_on_care_team(user, _session_team(session, team), on=on):
        return _no(
            CARE_TEAM, "Only the couple's care team (its therapists and its prescriber) documents a medicine session."
        )
    return verdict


def require_may_document(
    user, session, *, team: CareTeam | None = None, on: datetime.date | None = None, field: str | None = None
) -> Verdict:
    return require(may_document(user, session, team=team, on=on), field=field)


def may_override_hold(
    user, session, *, team: CareTeam | None = None, on: datetime.date | None = None, allow_dual_role: bool | None = None
) -> Verdict:
    """Overriding a blood-pressure hold: the couple's (or covering) prescriber, and not the therapist running this
    session unless the clinic allows dual-role acts (then flagged for the audit)."""
    verdict = may_act_as_prescriber(user, _session_team(session, team), on=on, what="override a blood-pressure hold")
    return _dual_role(
        verdict,
        runs_it=user.pk == session.therapist_id,
        allow_dual_role=allow_dual_role,
        what="override a hold in a session they run",
    )


def require_may_override_hold(
    user,
    session,
    *,
    team: CareTeam | None = None,
    on: datetime.date | None = None,
    allow_dual_role: bool | None = None,
    field: str | None = None,
) -> Verdict:
    return require(may_override_hold(user, session, team=team, on=on, allow_dual_role=allow_dual_role), field=field)


# -- the audit of flagged acts -------------------------------------------------------------------------------


def audit_if_flagged(verdict: Verdict, *, actor: User, obj=None, couple=None, request=None, what: str = "") -> None:
    """Write the audit row of an act allowed only by the clinic's dual-role setting; nothing for any other act.
    Called inside the service's transaction, so the act and its flag are kept or lost together."""
    if not verdict.flagged:
        return
    audit_record(
        action=AuditAction.DUAL_ROLE_ACT,
        actor=actor,
        obj=obj,
        couple=couple,
        request=request,
        summary=f"{DUAL_ROLE}: {what or verdict.reason}",
    )
