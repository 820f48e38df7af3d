"""The rule book for who may act, without a database: unsaved users, plain care teams and stand-in sessions.

Each rule is tried from the side that should be refused: a deactivated user, a prescriber of another couple, a
therapist outside the care team, the requester approving, a dual-role user in a session they run, a covering
prescriber outside their period."""

import datetime
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from accounts.models import User
from cases import policy
from cases.policy import CareTeam, Cover

DAY = datetime.date(2026, 12, 4)

THERAPIST = User(pk=1, username="tara", is_therapist=True)
OUTSIDER_THERAPIST = User(pk=2, username="omar", is_therapist=True)
PRESCRIBER = User(pk=3, username="priya", is_prescriber=True)
OTHER_PRESCRIBER = User(pk=4, username="paul", is_prescriber=True)
ADMIN = User(pk=5, username="ada", is_clinic_admin=True)
DUAL = User(pk=6, username="dana", is_therapist=True, is_prescriber=True)
GONE = User(pk=7, username="gone", is_therapist=True, is_prescriber=True, is_clinic_admin=True, is_active=False)

TEAM = CareTeam(couple_id=10, therapist_ids=frozenset({1, 6, 7}), prescriber_id=3)
DUAL_TEAM = CareTeam(couple_id=11, therapist_ids=frozenset({6}), prescriber_id=6)
COVERED = CareTeam(
    couple_id=12,
    therapist_ids=frozenset({1}),
    prescriber_id=3,
    covers=(Cover(prescriber_id=4, starts_on=DAY, ends_on=DAY + datetime.timedelta(days=6)),),
)


def session(therapist_id: int) -> SimpleNamespace:
    return SimpleNamespace(therapist_id=therapist_id, therapist=f"user {therapist_id}")


def refusal(call) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value


# -- active users only ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "verdict",
    [
        lambda: policy.may_act(GONE),
        lambda: policy.may_manage_sessions(GONE, TEAM),
        lambda: policy.may_request_dosing(GONE, TEAM),
        lambda: policy.may_act_as_prescriber(GONE, CareTeam(couple_id=1, prescriber_id=7), on=DAY),
        lambda: policy.may_document(GONE, session(7), team=TEAM, on=DAY),
        lambda: policy.may_run_session(GONE, session(7), team=TEAM),
        lambda: policy.may_override_hold(
            GONE, session(1), team=CareTeam(couple_id=1, prescriber_id=7), on=DAY, allow_dual_role=True
        ),
        lambda: policy.may_keep_stock_log(GONE),
        lambda: policy.may_administer_clinic(GONE),
        lambda: policy.may_write_note(GONE, session(7)),
        lambda: policy.may_see_couple(GONE, TEAM),
    ],
    ids=["act", "sessions", "request", "prescribe", "document", "run", "override", "stock", "clinic", "note", "see"],
)
def test_a_deactivated_user_can_do_nothing_whatever_roles_they_hold(verdict):
    result = verdict()
    assert not result
    assert result.rule == policy.ACTIVE_USER
    assert "deactivated" in result.reason


def test_require_names_the_rule_and_ties_it_to_the_field():
    error = refusal(lambda: policy.require_active(GONE, field="outcome"))
    assert error.message_dict == {"outcome": ["gone's account is deactivated: a deactivated user can do nothing."]}
    assert error.error_dict["outcome"][0].code == policy.ACTIVE_USER


def test_nobody_signed_in_is_refused():
    from django.contrib.auth.models import AnonymousUser

    assert policy.may_act(AnonymousUser()).rule == policy.ACTIVE_USER
    assert policy.may_act(None).rule == policy.ACTIVE_USER


# -- the care team ------------------------------------------------------------------------------------------


def test_sessions_are_managed_by_the_couples_therapists_and_clinic_admins_only():
    assert policy.may_manage_sessions(THERAPIST, TEAM)
    assert policy.may_manage_sessions(ADMIN, TEAM)
    refused = policy.may_manage_sessions(OUTSIDER_THERAPIST, TEAM)
    assert refused.rule == policy.SESSION_MANAGER
    assert not policy.may_manage_sessions(PRESCRIBER, TEAM)  # the prescriber documents, but does not book


def test_a_therapist_outside_the_care_team_cannot_request_or_withdraw_dosing():
    assert policy.may_request_dosing(THERAPIST, TEAM)
    assert policy.may_request_dosing(OUTSIDER_THERAPIST, TEAM).rule == policy.CARE_TEAM_THERAPIST
    assert policy.may_withdraw_request(OUTSIDER_THERAPIST, TEAM).rule == policy.CARE_TEAM_THERAPIST
    # A clinic admin is not a therapist of the couple: requests are clinical work.
    assert not policy.may_request_dosing(ADMIN, TEAM)


def test_a_user_on_the_team_list_without_the_therapist_role_is_not_its_therapist():
    former = User(pk=1, username="tara", is_therapist=False, is_prescriber=True)
    assert not policy.may_request_dosing(former, TEAM)


def test_couple_visibility_follows_the_care_team_and_the_cover_period():
    assert policy.may_see_couple(THERAPIST, TEAM)
    assert policy.may_see_couple(PRESCRIBER, TEAM)
    assert policy.may_see_couple(ADMIN, TEAM)
    assert not policy.may_see_couple(OUTSIDER_THERAPIST, TEAM)
    assert not policy.may_see_couple(OTHER_PRESCRIBER, TEAM)
    assert policy.may_see_couple(OTHER_PRESCRIBER, COVERED, on=DAY)
    assert not policy.may_see_couple(OTHER_PRESCRIBER, COVERED, on=DAY + datetime.timedelta(days=7))


def test_only_the_sessions_own_therapist_writes_its_note():
    assert policy.may_write_note(THERAPIST, session(1))
    assert policy.may_write_note(OUTSIDER_THERAPIST, session(1)).rule == policy.SESSION_THERAPIST


# -- prescriber powers --------------------------------------------------------------------------------------


def test_prescriber_powers_belong_to_this_couples_prescriber_not_to_the_role():
    assert policy.may_act_as_prescriber(PRESCRIBER, TEAM, on=DAY)
    other = policy.may_act_as_prescriber(OTHER_PRESCRIBER, TEAM, on=DAY)
    assert other.rule == policy.COUPLE_PRESCRIBER
    assert "this couple's own prescriber" in other.reason
    assert policy.may_act_as_prescriber(THERAPIST, TEAM, on=DAY).reason.startswith("Only a prescriber")
    assert not policy.may_act_as_prescriber(ADMIN, TEAM, on=DAY)


def test_the_assigned_prescriber_who_lost_the_prescriber_role_has_no_prescriber_powers():
    former = User(pk=3, username="priya", is_prescriber=False, is_therapist=True)
    assert not policy.may_decide_dosing(former, TEAM, on=DAY)


@pytest.mark.parametrize("offset, allowed", [(-1, False), (0, True), (6, True), (7, False)])
def test_a_covering_prescriber_has_the_powers_inside_the_period_only(offset, allowed):
    day = DAY + datetime.timedelta(days=offset)
    assert bool(policy.may_decide_dosing(OTHER_PRESCRIBER, COVERED, on=day)) is allowed
    assert bool(policy.may_approve(OTHER_PRESCRIBER, COVERED, on=day)) is allowed
    assert bool(policy.may_clear_partner(OTHER_PRESCRIBER, COVERED, on=day, allow_dual_role=False)) is allowed
    assert (
        bool(policy.may_override_hold(OTHER_PRESCRIBER, session(1), team=COVERED, on=day, allow_dual_role=False))
        is allowed
    )
    # The couple's own prescriber keeps the powers during a cover.
    assert policy.may_decide_dosing(PRESCRIBER, COVERED, on=day)


def test_a_cover_names_a_prescriber_the_role_still_counts():
    lapsed = User(pk=4, username="paul", is_prescriber=False)
    assert not policy.may_decide_dosing(lapsed, COVERED, on=DAY)


# -- separation of duties --------------------------------------------------------------------------------


def test_the_person_who_requested_an_approach_does_not_approve_it():
    assert policy.may_approve(PRESCRIBER, TEAM, requested_by_id=THERAPIST.pk, on=DAY)
    own = policy.may_approve(DUAL, DUAL_TEAM, requested_by_id=DUAL.pk, on=DAY)
    assert own.rule == policy.REQUESTER_NOT_APPROVER
    error = refusal(lambda: policy.require_may_approve(DUAL, DUAL_TEAM, requested_by_id=DUAL.pk, on=DAY))
    assert "does not approve it" in error.messages[0]


def test_a_dual_role_user_does_not_override_a_hold_in_a_session_they_run():
    refused = policy.may_override_hold(DUAL, session(DUAL.pk), team=DUAL_TEAM, on=DAY, allow_dual_role=False)
    assert refused.rule == policy.DUAL_ROLE
    assert "separation of duties" in refused.reason
    # In a session another therapist runs, the same person overrides as the couple's prescriber, unflagged.
    other_runs_it = policy.may_override_hold(DUAL, session(THERAPIST.pk), team=DUAL_TEAM, on=DAY, allow_dual_role=False)
    assert other_runs_it and not other_runs_it.flagged


def test_the_clinic_setting_allows_the_dual_role_override_and_flags_it():
    allowed = policy.may_override_hold(DUAL, session(DUAL.pk), team=DUAL_TEAM, on=DAY, allow_dual_role=True)
    assert allowed and allowed.flagged and allowed.rule == policy.DUAL_ROLE


def test_a_dual_role_user_does_not_clear_a_partner_of_a_couple_whose_sessions_they_run():
    assert policy.may_clear_partner(DUAL, DUAL_TEAM, on=DAY, allow_dual_role=False).rule == policy.DUAL_ROLE
    allowed = policy.may_clear_partner(DUAL, DUAL_TEAM, on=DAY, allow_dual_role=True)
    assert allowed.flagged
    plain = policy.may_clear_partner(PRESCRIBER, TEAM, on=DAY, allow_dual_role=False)
    assert plain and not plain.flagged


def test_the_dual_role_setting_never_lends_prescriber_powers():
    assert (
        policy.may_override_hold(THERAPIST, session(THERAPIST.pk), team=TEAM, on=DAY, allow_dual_role=True).rule
        == policy.COUPLE_PRESCRIBER
    )
    assert (
        policy.may_clear_partner(OTHER_PRESCRIBER, TEAM, on=DAY, allow_dual_role=True).rule == policy.COUPLE_PRESCRIBER
    )


# -- the medicine session ----------------------------------------------------------------------------------


def test_a_medicine_session_is_documented_by_the_care_team_only():
    assert policy.may_document(THERAPIST, session(1), team=TEAM, on=DAY)
    assert policy.may_document(PRESCRIBER, session(1), team=TEAM, on=DAY)
    assert policy.may_document(OTHER_PRESCRIBER, session(1), team=COVERED, on=DAY)
    assert policy.may_document(OUTSIDER_THERAPIST, session(1), team=TEAM, on=DAY).rule == policy.CARE_TEAM
    assert policy.may_document(OTHER_PRESCRIBER, session(1), team=TEAM, on=DAY).rule == policy.CARE_TEAM
    assert not policy.may_document(ADMIN, session(1), team=TEAM, on=DAY)


def test_a_session_is_run_by_a_therapist_of_the_couple():
    assert policy.may_run_session(THERAPIST, session(1), team=TEAM)
    assert policy.may_run_session(OUTSIDER_THERAPIST, session(2), team=TEAM).rule == policy.CARE_TEAM_THERAPIST
    assert not policy.may_run_session(PRESCRIBER, session(1), team=TEAM)


# -- clinic-wide roles --------------------------------------------------------------------------------------


def test_the_stock_log_is_kept_by_prescribers_and_clinic_admins():
    assert policy.may_keep_stock_log(PRESCRIBER)
    assert policy.may_keep_stock_log(ADMIN)
    assert policy.may_keep_stock_log(THERAPIST).rule == policy.STOCK_LOG


def test_clinic_admin_work_is_for_clinic_admins():
    assert policy.may_administer_clinic(ADMIN)
    assert policy.may_assign_care_team(ADMIN)
    assert policy.may_create_couple(THERAPIST)
    assert not policy.may_create_couple(PRESCRIBER)
    error = refusal(lambda: policy.require_clinic_admin(THERAPIST, what="export case reports"))
    assert error.messages == ["Only a clinic admin can export case reports."]


def test_a_cover_period_includes_both_ends():
    cover = Cover(prescriber_id=4, starts_on=DAY, ends_on=DAY)
    assert cover.covers(DAY)
    assert not cover.covers(DAY + datetime.timedelta(days=1))
    assert COVERED.prescriber_ids_on(DAY) == frozenset({3, 4})
