"""Each refusal of the case services (`cases/services.py`), called as a task, a management command or the shell
would call them: the message names the field and the rule, and nothing is written."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases import services
from cases.choices import QuestionnaireContext, ScreeningOutcome
from cases.models import CaseEvent, Couple, CoveringPrescriber, Partner, QuestionnaireResponse
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def refusal(call) -> ValidationError:
    events = CaseEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        call()
    assert CaseEvent.objects.count() == events
    return exc.value


def new_partner(label: str, email: str) -> Partner:
    return Partner(
        label=label,
        first_name="Sam",
        last_name="Park",
        date_of_birth=datetime.date(1985, 5, 1),
        email=email,
        phone="+12025550111",
    )


# -- opening and changing a case --------------------------------------------------------------------------


def test_a_case_is_exactly_two_partners(clinic_admin, therapist):
    error = refusal(
        lambda: services.couple_create(
            by=clinic_admin,
            couple=Couple(case_number="KAP-0900"),
            therapists=[therapist],
            partners=[new_partner("A", "a@mail.example")],
        )
    )
    assert error.messages == ["A couple is exactly two partners."]
    assert not Couple.objects.filter(case_number="KAP-0900").exists()


def test_the_care_team_is_active_therapists_and_an_active_prescriber(clinic_admin, therapist, prescriber, couple):
    gone = UserFactory(username="gone", is_therapist=True, is_active=False)
    couple_admin = UserFactory(username="cora", is_clinic_admin=True)
    error = refusal(lambda: services.couple_update(by=clinic_admin, couple=couple, values={}, therapists=[]))
    assert error.message_dict == {"therapists": ["Assign at least one therapist."]}
    error = refusal(lambda: services.couple_update(by=clinic_admin, couple=couple, values={}, therapists=[gone]))
    assert error.message_dict["therapists"] == [f"Not an active therapist: {gone}."]
    error = refusal(
        lambda: services.couple_update(
            by=clinic_admin, couple=couple, values={"prescriber": couple_admin}, therapists=[therapist]
        )
    )
    assert error.message_dict == {"prescriber": [f"{couple_admin} is not an active prescriber."]}
    couple.refresh_from_db()
    assert (list(couple.therapists.all()), couple.prescriber) == ([therapist], prescriber)


def test_only_the_case_fields_change_and_each_is_validated(therapist, couple):
    error = refusal(lambda: services.couple_update(by=therapist, couple=couple, values={"status": "closed"}))
    assert error.messages == ["status cannot be changed here."]
    error = refusal(lambda: services.couple_update(by=therapist, couple=couple, values={"case_number": "not a case"}))
    assert "case_number" in error.message_dict
    couple.refresh_from_db()
    assert couple.case_number.startswith("KAP-")


def test_a_partners_label_and_couple_are_not_details(therapist, couple):
    partner = couple.partners.get(label="A")
    for field in ("label", "couple", "uuid"):
        error = refusal(lambda field=field: services.partner_update(by=therapist, partner=partner, values={field: 1}))
        assert error.messages == [f"{field} cannot be changed here."]
    assert Partner.objects.get(pk=partner.pk).label == "A"


def test_nothing_changed_writes_nothing(therapist, couple):
    partner = couple.partners.get(label="A")
    events = CaseEvent.objects.count()
    services.partner_update(by=therapist, partner=partner, values={"first_name": partner.first_name})
    services.screening_update(by=therapist, screening=partner.screening, values={})
    assert CaseEvent.objects.count() == events


# -- screening --------------------------------------------------------------------------------------------


def test_the_outcome_is_not_set_through_the_screening_details(therapist, couple):
    screening = couple.partners.get(label="A").screening
    error = refusal(lambda: services.screening_update(by=therapist, screening=screening, values={"outcome": "cleared"}))
    assert error.messages == ["outcome cannot be changed here; the outcome is decided separately."]
    screening.refresh_from_db()
    assert screening.outcome == ScreeningOutcome.PENDING


def test_the_outcome_is_one_of_three(prescriber, couple):
    screening = couple.partners.get(label="A").screening
    error = refusal(lambda: services.screening_decide(by=prescriber, screening=screening, outcome="pending"))
    assert error.message_dict == {"outcome": ["Choose cleared, needs prescriber review or not eligible."]}


def test_every_checklist_item_is_answered_yes_or_no(therapist, couple):
    from cases.choices import Contraindication

    screening = couple.partners.get(label="A").screening
    findings = dict.fromkeys(Contraindication.values, (False, ""))
    some = dict(list(findings.items())[:-1])
    error = refusal(lambda: services.contraindications_record(by=therapist, screening=screening, findings=some))
    assert error.messages == ["Answer every item of the checklist yes or no."]
    error = refusal(
        lambda: services.contraindications_record(
            by=therapist, screening=screening, findings={**findings, "unicorns": (False, "")}
        )
    )
    assert error.messages == ["Unknown checklist item."]
    first = Contraindication.values[0]
    error = refusal(
        lambda: services.contraindications_record(
            by=therapist, screening=screening, findings={**findings, first: ("maybe", "")}
        )
    )
    assert error.message_dict == {first: ["Answer yes or no."]}
    assert not screening.contraindications.exists()


def test_a_questionnaire_is_known_dated_today_or_before_and_in_a_known_context(therapist, couple):
    partner = couple.partners.get(label="A")

    def record(**kwargs):
        values = {"instrument": "GAD7", "answers": [0] * 7, "context": QuestionnaireContext.SCREENING} | kwargs
        return lambda: services.questionnaire_record(by=therapist, partner=partner, **values)

    assert refusal(record(instrument="BDI2")).message_dict == {"instrument": ["Unknown questionnaire."]}
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert refusal(record(administered_on=tomorrow)).message_dict == {
        "administered_on": ["The questionnaire cannot be dated in the future."]
    }
    assert refusal(record(context="party")).message_dict == {"context": ["Unknown questionnaire context."]}
    before_birth = partner.date_of_birth - datetime.timedelta(days=1)
    assert refusal(record(administered_on=before_birth)).message_dict == {
        "administered_on": [f"The questionnaire cannot be dated before {partner.first_name} was born."]
    }
    assert refusal(record(administered_on=datetime.date(1, 1, 1))).message_dict["administered_on"]
    assert not QuestionnaireResponse.objects.exists()


# -- covering prescribers ---------------------------------------------------------------------------------


def test_a_cover_is_another_active_prescriber_for_a_period_not_yet_over_with_a_reason(
    clinic_admin, prescriber, other_prescriber, couple
):
    today = timezone.localdate()

    def assign(**kwargs):
        values = {
            "prescriber": other_prescriber,
            "starts_on": today,
            "ends_on": today + datetime.timedelta(days=3),
            "reason": "Annual leave",
        } | kwargs
        return lambda: services.covering_prescriber_assign(by=clinic_admin, couple=couple, **values)

    assert refusal(assign(prescriber=prescriber)).message_dict == {
        "prescriber": [f"{prescriber} is already this couple's prescriber."]
    }
    assert refusal(assign(ends_on=today - datetime.timedelta(days=1))).message_dict == {
        "ends_on": ["The cover cannot end before it starts."]
    }
    assert refusal(
        assign(starts_on=today - datetime.timedelta(days=9), ends_on=today - datetime.timedelta(days=2))
    ).message_dict == {"ends_on": ["A cover that has already ended would cover nothing."]}
    assert refusal(assign(reason="  ")).message_dict == {"reason": ["Say why the cover is needed."]}
    assert not CoveringPrescriber.objects.exists()


def test_what_stops_treatment_is_said_partner_by_partner(prescriber, couple):
    a, b = couple.partners.select_related("screening").order_by("label")
    a.screening.outcome, a.screening.outcome_by, a.screening.outcome_at = (
        ScreeningOutcome.REVIEW,
        prescriber,
        timezone.now(),
    )
    a.screening.save(update_fields=["outcome", "outcome_by", "outcome_at"])
    blockers = services.couple_activation_blockers(couple)
    assert f"Partner A ({a.first_name}) is waiting for prescriber review." in blockers
    assert f"Partner B ({b.first_name}) has no screening outcome yet." in blockers
    assert "Neither partner is cleared to take ketamine." in blockers
