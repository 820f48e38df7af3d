"""The case rules, tried from the domain layer and against the database."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases import services
from cases.choices import Contraindication, CoupleStatus, EventKind, ScreeningOutcome
from cases.models import CaseEvent, Couple, Partner, QuestionnaireResponse, Screening
from tests.factories import PartnerFactory, clear_partner, make_screening_complete

pytestmark = pytest.mark.django_db


def new_partner(**overrides):
    values = {
        "first_name": "Ana",
        "last_name": "Lima",
        "date_of_birth": datetime.date(1988, 3, 4),
        "email": "ana@mail.example",
    }
    values.update(overrides)
    return Partner(**values)


def open_case(by, **overrides):
    partners = overrides.pop("partners", None) or [new_partner(), new_partner(first_name="Bo", email="bo@mail.example")]
    return services.couple_create(
        by=by,
        couple=Couple(case_number=overrides.pop("case_number", "KAP-0100"), **overrides),
        therapists=[],
        partners=partners,
    )


def test_therapist_opens_a_case_with_two_partners_and_is_on_its_care_team(therapist):
    couple = open_case(therapist)
    assert list(couple.partners.values_list("label", flat=True)) == ["A", "B"]
    assert list(couple.therapists.all()) == [therapist]
    assert Screening.objects.filter(partner__couple=couple).count() == 2
    event = couple.events.get()
    assert (event.kind, event.actor) == (EventKind.CREATED, therapist)


def test_a_prescriber_alone_cannot_open_a_case(prescriber):
    with pytest.raises(ValidationError):
        open_case(prescriber)


def test_case_number_clash_is_refused_on_the_field_and_nothing_saved(therapist, couple):
    with pytest.raises(ValidationError) as exc:
        open_case(therapist, case_number=couple.case_number)
    assert "case_number" in exc.value.message_dict
    assert Couple.objects.count() == 1


def test_email_already_used_by_another_partner_is_refused(therapist, couple):
    taken = couple.partners.first().email
    with pytest.raises(ValidationError) as exc:
        open_case(therapist, partners=[new_partner(email=taken.upper()), new_partner(email="x@mail.example")])
    assert "partner_a-email" in exc.value.message_dict
    assert Partner.objects.count() == 2


def test_both_partners_with_one_email_is_refused(therapist):
    with pytest.raises(ValidationError) as exc:
        open_case(therapist, partners=[new_partner(), new_partner(first_name="Bo")])
    assert exc.value.message_dict == {"partner_b-email": ["Each partner needs their own e-mail address."]}
    assert not Couple.objects.exists()


def test_future_date_of_birth_and_under_18_are_refused(therapist):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as exc:
        open_case(
            therapist,
            partners=[
                new_partner(date_of_birth=today + datetime.timedelta(days=1)),
                new_partner(email="b@mail.example", date_of_birth=today.replace(year=today.year - 17)),
            ],
        )
    assert exc.value.message_dict["partner_a-date_of_birth"] == ["The date of birth is in the future."]
    assert "18 or older" in exc.value.message_dict["partner_b-date_of_birth"][0]
    assert not Couple.objects.exists()


def test_eighteenth_birthday_today_is_accepted(therapist):
    today = timezone.localdate()
    birthday = (
        today.replace(year=today.year - 18)
        if (today.month, today.day) != (2, 29)
        else today.replace(year=today.year - 18, day=28)
    )
    couple = open_case(therapist, partners=[new_partner(date_of_birth=birthday), new_partner(email="b@mail.example")])
    assert couple.partners.count() == 2


def test_the_database_refuses_a_third_partner(couple):
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerFactory(couple=couple, label="A", email="third@mail.example")
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerFactory(couple=couple, label="C", email="fourth@mail.example")


def test_the_database_refuses_an_out_of_range_score(couple):
    partner = couple.partners.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionnaireResponse.objects.create(
            partner=partner, instrument="PHQ9", answers=[3] * 9, score=28, administered_on=timezone.localdate()
        )


def test_lifecycle_moves_are_recorded_with_who_and_when(therapist, couple):
    services.couple_transition(by=therapist, couple=couple, to_status=CoupleStatus.SCREENING)
    couple.refresh_from_db()
    assert couple.status == CoupleStatus.SCREENING
    event = CaseEvent.objects.get(couple=couple, kind=EventKind.STATUS)
    assert (event.from_status, event.to_status, event.actor) == ("referred", "screening", therapist)


def test_a_move_outside_the_lifecycle_is_refused(therapist, couple):
    with pytest.raises(ValidationError) as exc:
        services.couple_transition(by=therapist, couple=couple, to_status=CoupleStatus.COMPLETED)
    assert "cannot go from Referred to Completed" in exc.value.message_dict["to_status"][0]
    couple.refresh_from_db()
    assert couple.status == CoupleStatus.REFERRED


def test_closing_or_declining_needs_a_reason(therapist, couple):
    with pytest.raises(ValidationError) as exc:
        services.couple_transition(by=therapist, couple=couple, to_status=CoupleStatus.DECLINED)
    assert "note" in exc.value.message_dict
    services.couple_transition(
        by=therapist, couple=couple, to_status=CoupleStatus.DECLINED, note="Chose another clinic"
    )
    assert Couple.objects.get(pk=couple.pk).status == CoupleStatus.DECLINED


def test_treatment_starts_only_when_screening_is_decided_and_consented(therapist, prescriber, couple):
    services.couple_transition(by=therapist, couple=couple, to_status=CoupleStatus.SCREENING)
    with pytest.raises(ValidationError) as exc:
        services.couple_transition(by=therapist, couple=couple, to_status=CoupleStatus.ACTIVE)
    messages = exc.value.message_dict["to_status"]
    assert any("has not signed consent" in m for m in messages)
    assert "Neither partner is cleared to take ketamine." in messages
    a, b = couple.partners.order_by("label")
    clear_partner(a, prescriber)
    make_screening_complete(b.screening)
    services.screening_update(by=therapist, screening=b.screening, values={"medicine_candidate": False})
    services.screening_decide(by=therapist, screening=b.screening, outcome=ScreeningOutcome.CLEARED)
    services.couple_transition(by=therapist, couple=couple, to_status=CoupleStatus.ACTIVE)
    assert Couple.objects.get(pk=couple.pk).status == CoupleStatus.ACTIVE


def test_only_a_prescriber_clears_a_partner_who_will_take_ketamine(therapist, prescriber, couple):
    screening = make_screening_complete(couple.partners.first().screening)
    with pytest.raises(ValidationError) as exc:
        services.screening_decide(by=therapist, screening=screening, outcome=ScreeningOutcome.CLEARED)
    assert "Only a prescriber" in exc.value.message_dict["outcome"][0]
    assert Screening.objects.get(pk=screening.pk).outcome == ScreeningOutcome.PENDING
    services.screening_decide(by=prescriber, screening=screening, outcome=ScreeningOutcome.CLEARED)
    screening.refresh_from_db()
    assert (screening.outcome, screening.outcome_by) == (ScreeningOutcome.CLEARED, prescriber)
    assert screening.outcome_at is not None


def test_clearing_needs_consent_checklist_vitals_and_weight(prescriber, couple):
    screening = couple.partners.first().screening
    with pytest.raises(ValidationError) as exc:
        services.screening_decide(by=prescriber, screening=screening, outcome=ScreeningOutcome.CLEARED)
    assert exc.value.message_dict["outcome"] == [
        "This partner cannot be cleared yet:",
        "Signed consent is not recorded.",
        "The contraindication checklist is not complete.",
        "Baseline blood pressure and heart rate are not recorded.",
        "Weight is not recorded (doses are set in mg/kg).",
    ]


def test_a_sober_support_partner_needs_consent_but_not_medical_clearance(therapist, couple):
    screening = couple.partners.first().screening
    services.screening_update(by=therapist, screening=screening, values={"medicine_candidate": False})
    with pytest.raises(ValidationError):
        services.screening_decide(by=therapist, screening=screening, outcome=ScreeningOutcome.CLEARED)
    services.screening_update(
        by=therapist,
        screening=screening,
        values={"consent_signed_on": timezone.localdate(), "consent_version": "2026-1"},
    )
    services.screening_decide(by=therapist, screening=screening, outcome=ScreeningOutcome.CLEARED)
    assert Screening.objects.get(pk=screening.pk).outcome == ScreeningOutcome.CLEARED


def test_clearing_over_a_present_contraindication_needs_a_reason(therapist, prescriber, couple):
    screening = make_screening_complete(couple.partners.first().screening)
    findings = {c: (c == Contraindication.HYPERTENSION, "") for c in Contraindication.values}
    services.contraindications_record(by=therapist, screening=screening, findings=findings)
    with pytest.raises(ValidationError) as exc:
        services.screening_decide(by=prescriber, screening=screening, outcome=ScreeningOutcome.CLEARED)
    assert "note" in exc.value.message_dict
    services.screening_decide(
        by=prescriber,
        screening=screening,
        outcome=ScreeningOutcome.CLEARED,
        note="Hypertension now controlled on amlodipine; home readings 125/80.",
    )


def test_not_eligible_needs_a_reason(prescriber, couple):
    screening = couple.partners.first().screening
    with pytest.raises(ValidationError) as exc:
        services.screening_decide(by=prescriber, screening=screening, outcome=ScreeningOutcome.NOT_ELIGIBLE)
    assert "note" in exc.value.message_dict


def test_new_medical_facts_send_a_cleared_partner_back_to_review(therapist, prescriber, couple):
    screening = clear_partner(couple.partners.first(), prescriber)
    findings = {c: (c == Contraindication.PREGNANCY, "12 weeks") for c in Contraindication.values}
    services.contraindications_record(by=therapist, screening=screening, findings=findings)
    screening.refresh_from_db()
    assert screening.outcome == ScreeningOutcome.REVIEW
    assert "contraindication" in screening.outcome_note


def test_the_checklist_must_be_answered_in_full(therapist, couple):
    screening = couple.partners.first().screening
    with pytest.raises(ValidationError):
        services.contraindications_record(
            by=therapist, screening=screening, findings={Contraindication.LIVER: (False, "")}
        )
    assert not screening.contraindications.exists()


def test_questionnaire_is_scored_and_kept_with_its_flag(therapist, couple):
    partner = couple.partners.first()
    response = services.questionnaire_record(
        by=therapist, partner=partner, instrument="PHQ9", answers=[2, 2, 1, 1, 1, 0, 0, 0, 1]
    )
    assert (response.score, response.suicide_risk) == (8, True)
    assert "PHQ-9 8/27 (mild)" in couple.events.get(kind=EventKind.QUESTIONNAIRE).summary


def test_questionnaire_dated_in_the_future_is_refused(therapist, couple):
    with pytest.raises(ValidationError) as exc:
        services.questionnaire_record(
            by=therapist,
            partner=couple.partners.first(),
            instrument="GAD7",
            answers=[0] * 7,
            administered_on=timezone.localdate() + datetime.timedelta(days=1),
        )
    assert "administered_on" in exc.value.message_dict
    assert not QuestionnaireResponse.objects.exists()


def test_only_an_admin_changes_the_care_team(therapist, other_therapist, clinic_admin, couple):
    with pytest.raises(ValidationError):
        services.couple_update(by=therapist, couple=couple, values={}, therapists=[other_therapist])
    services.couple_update(by=clinic_admin, couple=couple, values={}, therapists=[other_therapist])
    assert list(couple.therapists.all()) == [other_therapist]
