"""Who may act, tried against the services, the pages, a crafted POST, the Django admin and a task: a deactivated
user, a prescriber of another couple, a therapist outside the care team, a covering prescriber inside and outside
their period, a dual-role user clearing a partner of a couple whose sessions they run."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.choices import AuditAction
from audit.models import AuditEvent
from cases import services
from cases.choices import CoupleStatus, ScreeningOutcome
from cases.models import CaseEvent, CoveringPrescriber, Screening
from clinic.services import clinic_settings_update
from conftest import PASSWORD
from jobs import exports
from jobs.choices import ExportStatus
from sessions import services as session_services
from sessions.choices import Phase, Place
from tests.factories import CoupleFactory, UserFactory, make_screening_complete

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 4)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 12, 4, 9, tzinfo=datetime.UTC), tick=False):
        yield


def deactivate(user):
    user.is_active = False
    user.save()
    return user


def screening_of(couple, label="A") -> Screening:
    return make_screening_complete(couple.partners.get(label=label).screening)


def cover(couple, prescriber, admin, *, starts_on=TODAY, days=6) -> CoveringPrescriber:
    return services.covering_prescriber_assign(by=admin, couple=couple, prescriber=prescriber, starts_on=starts_on,
                                               ends_on=starts_on + datetime.timedelta(days=days),
                                               reason="Own prescriber on leave")


# -- a deactivated user ------------------------------------------------------------------------------------


SERVICE_CALLS = {
    "couple_update": lambda by, couple: services.couple_update(by=by, couple=couple, values={"treatment_goals": "x"}),
    "couple_transition": lambda by, couple: services.couple_transition(by=by, couple=couple,
                                                                       to_status=CoupleStatus.SCREENING),
    "screening_update": lambda by, couple: services.screening_update(
        by=by, screening=couple.partners.get(label="A").screening, values={"allergies": "latex"}),
    "screening_decide": lambda by, couple: services.screening_decide(
        by=by, screening=screening_of(couple), outcome=ScreeningOutcome.CLEARED),
    "session_schedule": lambda by, couple: session_services.session_schedule(
        by=by, couple=couple, therapist=couple.therapists.first(), phase=Phase.ASSESSMENT,
        start=timezone.now() + datetime.timedelta(days=2), place=Place.TELEHEALTH),
}


@pytest.mark.parametrize("call", SERVICE_CALLS.values(), ids=SERVICE_CALLS.keys())
def test_a_deactivated_user_is_refused_by_every_service(call, couple, therapist, prescriber):
    for user in (therapist, prescriber):
        deactivate(user)
    # The same refusal whichever of the couple's care team it is.
    for user in (therapist, prescriber):
        with pytest.raises(ValidationError, match="deactivated: a deactivated user can do nothing"):
            call(user, couple)
    assert not CaseEvent.objects.filter(couple=couple).exists()


def test_a_deactivated_admin_cannot_change_the_settings_or_export(clinic_admin, couple):
    deactivate(clinic_admin)
    with pytest.raises(ValidationError, match="active clinic admin"):
        clinic_settings_update(by=clinic_admin, values={"allow_dual_role_acts": True})
    with pytest.raises(ValidationError, match="deactivated"):
        exports.export_start(by=clinic_admin, filters={})


def test_an_export_queued_by_an_admin_deactivated_since_is_not_built(clinic_admin, couple):
    job = exports.export_start(by=clinic_admin, filters={})
    deactivate(clinic_admin)
    assert exports.export_build(job.pk, worker="test") == ExportStatus.FAILED
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert "deactivated" in job.error
    assert not job.reports_zip


# -- outside the care team ------------------------------------------------------------------------------------


def test_a_therapist_outside_the_care_team_is_refused_by_the_case_services(couple, other_therapist):
    with pytest.raises(ValidationError, match="Only the couple's care team or a clinic admin"):
        services.screening_update(by=other_therapist, screening=couple.partners.get(label="A").screening,
                                  values={"allergies": "latex"})
    with pytest.raises(ValidationError, match="Only the couple's care team or a clinic admin"):
        services.couple_transition(by=other_therapist, couple=couple, to_status=CoupleStatus.SCREENING)


def test_a_prescriber_of_another_couple_cannot_clear_its_partner(couple, other_prescriber):
    screening = screening_of(couple)
    with pytest.raises(ValidationError) as caught:
        services.screening_decide(by=other_prescriber, screening=screening, outcome=ScreeningOutcome.CLEARED)
    assert "Only the couple's care team" in caught.value.message_dict["outcome"][0]
    screening.refresh_from_db()
    assert screening.outcome == ScreeningOutcome.PENDING


def test_the_prescriber_role_alone_does_not_clear_a_partner_even_for_a_team_member(couple, therapist):
    # A therapist on the team who is also a prescriber, but not this couple's prescriber.
    therapist.is_prescriber = True
    therapist.save()
    with pytest.raises(ValidationError) as caught:
        services.screening_decide(by=therapist, screening=screening_of(couple), outcome=ScreeningOutcome.CLEARED)
    assert "this couple's own prescriber" in caught.value.message_dict["outcome"][0]


def test_a_crafted_post_from_a_prescriber_of_another_couple_finds_nothing(client_for, couple, other_prescriber):
    partner = couple.partners.get(label="A")
    screening_of(couple)
    url = reverse("cases:screening_decide", kwargs={"couple_uuid": couple.uuid, "partner_uuid": partner.uuid})
    assert client_for(other_prescriber).post(url, {"outcome": "cleared"}).status_code == 404
    assert Screening.objects.get(partner=partner).outcome == ScreeningOutcome.PENDING


# -- a covering prescriber ----------------------------------------------------------------------------------


def test_a_covering_prescriber_clears_a_partner_inside_the_period(couple, other_prescriber, clinic_admin):
    cover(couple, other_prescriber, clinic_admin)
    screening = services.screening_decide(by=other_prescriber, screening=screening_of(couple),
                                          outcome=ScreeningOutcome.CLEARED)
    assert screening.outcome == ScreeningOutcome.CLEARED
    assert screening.outcome_by == other_prescriber


def test_a_covering_prescriber_has_no_powers_before_or_after_the_period(couple, other_prescriber, clinic_admin):
    cover(couple, other_prescriber, clinic_admin, starts_on=TODAY + datetime.timedelta(days=1), days=2)
    # Outside the period the covering prescriber is not on the care team at all.
    with pytest.raises(ValidationError, match="Only the couple's care team"):
        services.screening_decide(by=other_prescriber, screening=screening_of(couple),
                                  outcome=ScreeningOutcome.CLEARED)
    with time_machine.travel(datetime.datetime(2026, 12, 8, 9, tzinfo=datetime.UTC), tick=False):
        with pytest.raises(ValidationError, match="Only the couple's care team"):
            services.screening_decide(by=other_prescriber, screening=screening_of(couple),
                                      outcome=ScreeningOutcome.CLEARED)


def test_a_covering_prescriber_sees_the_couple_only_during_the_period(client_for, couple, other_prescriber,
                                                                       clinic_admin):
    url = reverse("cases:couple_detail", kwargs={"couple_uuid": couple.uuid})
    cover(couple, other_prescriber, clinic_admin, starts_on=TODAY + datetime.timedelta(days=1), days=2)
    assert client_for(other_prescriber).get(url).status_code == 404
    with time_machine.travel(datetime.datetime(2026, 12, 6, 9, tzinfo=datetime.UTC), tick=False):
        assert client_for(other_prescriber).get(url).status_code == 200
    with time_machine.travel(datetime.datetime(2026, 12, 8, 9, tzinfo=datetime.UTC), tick=False):
        assert client_for(other_prescriber).get(url).status_code == 404


def test_the_covering_prescriber_page_post_clears_a_partner(client_for, couple, other_prescriber, clinic_admin):
    cover(couple, other_prescriber, clinic_admin)
    partner = couple.partners.get(label="A")
    screening_of(couple)
    url = reverse("cases:screening_decide", kwargs={"couple_uuid": couple.uuid, "partner_uuid": partner.uuid})
    assert client_for(other_prescriber).post(url, {"outcome": "cleared"}).status_code == 302
    assert Screening.objects.get(partner=partner).outcome == ScreeningOutcome.CLEARED


def test_only_a_clinic_admin_names_a_cover_and_only_a_prescriber_can_cover(couple, therapist, other_prescriber,
                                                                            clinic_admin, other_therapist):
    with pytest.raises(ValidationError, match="Only a clinic admin can change who is on the care team"):
        cover(couple, other_prescriber, therapist)
    with pytest.raises(ValidationError) as caught:
        cover(couple, other_therapist, clinic_admin)
    assert caught.value.message_dict == {"prescriber": ["Omar Other is not an active prescriber."]}
    with pytest.raises(ValidationError) as caught:
        services.covering_prescriber_assign(by=clinic_admin, couple=couple, prescriber=other_prescriber,
                                            starts_on=TODAY, ends_on=TODAY - datetime.timedelta(days=1), reason="")
    assert set(caught.value.message_dict) == {"ends_on", "reason"}
    assert not CoveringPrescriber.objects.exists()


def test_a_cover_period_is_backed_by_the_database(couple, other_prescriber, clinic_admin):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        CoveringPrescriber.objects.create(couple=couple, prescriber=other_prescriber, starts_on=TODAY,
                                          ends_on=TODAY - datetime.timedelta(days=1), reason="x",
                                          assigned_by=clinic_admin)
    with pytest.raises(IntegrityError), transaction.atomic():
        CoveringPrescriber.objects.create(couple=couple, prescriber=other_prescriber, starts_on=TODAY,
                                          ends_on=TODAY, reason="", assigned_by=clinic_admin)


def test_a_clinic_admin_names_a_cover_in_the_django_admin(client_for, couple, other_prescriber, clinic_admin):
    url = reverse("admin:cases_coveringprescriber_add")
    data = {"couple": couple.pk, "prescriber": other_prescriber.pk, "starts_on": "2026-12-04",
            "ends_on": "2026-12-10", "reason": "Dr Prescriber on leave"}
    response = client_for(clinic_admin).post(url, data)
    assert response.status_code == 302
    made = CoveringPrescriber.objects.get()
    assert (made.prescriber, made.assigned_by, made.ends_on) == (other_prescriber, clinic_admin,
                                                                 datetime.date(2026, 12, 10))
    assert CaseEvent.objects.filter(couple=couple, summary__contains="covers as prescriber").exists()


def test_the_django_admin_shows_a_refused_cover_next_to_the_field(client_for, couple, prescriber, clinic_admin):
    url = reverse("admin:cases_coveringprescriber_add")
    data = {"couple": couple.pk, "prescriber": prescriber.pk, "starts_on": "2026-12-04", "ends_on": "2026-12-10",
            "reason": "x"}
    response = client_for(clinic_admin).post(url, data)
    assert response.status_code == 200
    assert "is already this couple&#x27;s prescriber." in response.content.decode()
    assert not CoveringPrescriber.objects.exists()


def test_a_therapist_cannot_reach_the_cover_admin(client_for, therapist):
    response = client_for(therapist).get(reverse("admin:cases_coveringprescriber_add"))
    assert response.status_code in (302, 403)
    assert not CoveringPrescriber.objects.exists()


# -- separation of duties: a dual-role user ----------------------------------------------------------------


@pytest.fixture
def dual():
    return UserFactory(username="dana", first_name="Dana", last_name="Dual", is_therapist=True, is_prescriber=True,
                       password=PASSWORD)


@pytest.fixture
def dual_couple(dual):
    """A couple whose therapist and prescriber are the same person."""
    return CoupleFactory(therapists=[dual], prescriber=dual)


def test_a_dual_role_prescriber_does_not_clear_a_partner_of_a_couple_whose_sessions_they_run(dual, dual_couple):
    with pytest.raises(ValidationError) as caught:
        services.screening_decide(by=dual, screening=screening_of(dual_couple), outcome=ScreeningOutcome.CLEARED)
    assert "separation of duties" in caught.value.message_dict["outcome"][0]
    assert not AuditEvent.objects.filter(action=AuditAction.DUAL_ROLE_ACT).exists()


def test_the_clinic_setting_allows_the_dual_role_clearance_and_flags_it_in_the_audit(dual, dual_couple,
                                                                                     clinic_admin):
    clinic_settings_update(by=clinic_admin, values={"allow_dual_role_acts": True})
    screening = services.screening_decide(by=dual, screening=screening_of(dual_couple),
                                          outcome=ScreeningOutcome.CLEARED)
    assert screening.outcome == ScreeningOutcome.CLEARED
    flag = AuditEvent.objects.get(action=AuditAction.DUAL_ROLE_ACT)
    assert (flag.actor, flag.couple_id) == (dual, dual_couple.pk)
    assert "dual-role" in flag.summary


def test_a_crafted_post_by_a_dual_role_user_is_refused_on_the_form(client_for, dual, dual_couple):
    partner = dual_couple.partners.get(label="A")
    screening_of(dual_couple)
    url = reverse("cases:screening_decide", kwargs={"couple_uuid": dual_couple.uuid, "partner_uuid": partner.uuid})
    response = client_for(dual).post(url, {"outcome": "cleared"})
    assert response.status_code == 400
    assert "separation of duties" in response.content.decode()
    assert Screening.objects.get(partner=partner).outcome == ScreeningOutcome.PENDING


def test_the_couples_a_user_may_book_for_follow_may_manage_sessions(couple, other_couple, therapist, prescriber,
                                                                    clinic_admin):
    from cases import policy

    assert list(policy.manageable_couples(therapist)) == [couple]
    assert not policy.manageable_couples(prescriber).exists()
    assert set(policy.manageable_couples(clinic_admin)) == {couple, other_couple}
    deactivate(therapist)
    assert not policy.manageable_couples(therapist).exists()
