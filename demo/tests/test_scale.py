"""The benchmark's data generator (demo/scale.py) writes data every constraint and check of the product accepts."""

import datetime
from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models import Sum

from cases.choices import CoupleStatus
from cases.models import Couple, Partner, QuestionnaireResponse
from demo.scale import PREFIX, scale_generate
from dosing.models import Administration, Approval, VitalReading
from sessions.choices import NoteStatus, Phase, SessionStatus
from sessions.models import SessionNote, TherapySession

pytestmark = pytest.mark.django_db

COUPLES = 20


@pytest.fixture
def generated():
    call_command("generate_scale_data", couples=COUPLES, stdout=open("/dev/null", "w"))
    return list(Couple.objects.filter(case_number__startswith=f"{PREFIX}-").order_by("case_number"))


def test_generates_the_couples_asked_for_each_with_two_screened_partners(generated):
    assert len(generated) == COUPLES
    per_couple = Counter(Partner.objects.values_list("couple_id", flat=True))
    assert all(per_couple[c.pk] == 2 for c in generated)
    assert Partner.objects.filter(screening__isnull=True).count() == 0
    assert all(c.therapists.exists() and c.prescriber_id for c in generated)


def test_growing_adds_only_the_missing_couples_and_keeps_the_first_ones(generated):
    first = {c.case_number: (c.uuid, c.status) for c in generated}
    assert scale_generate(couples=COUPLES) == 0
    assert scale_generate(couples=COUPLES + 3) == 3
    again = {c.case_number: (c.uuid, c.status) for c in Couple.objects.filter(case_number__in=first)}
    assert again == first


def test_sessions_end_after_their_duration_and_medicine_sessions_stand_on_the_couples_approval(generated):
    sessions = list(TherapySession.objects.select_related("approval"))
    assert len(sessions) > COUPLES  # courses, not just assessments
    for s in sessions:
        assert s.end == s.start + datetime.timedelta(minutes=s.duration_minutes)
        if s.phase == Phase.MEDICINE:
            assert s.approval is not None and s.approval.couple_id == s.couple_id
        else:
            assert s.approval_id is None


def test_signed_notes_and_approvals_verify_against_their_hashes(generated):
    notes = list(SessionNote.objects.select_related("session"))
    assert notes
    assert all(n.matches_signature for n in notes if n.status == NoteStatus.SIGNED)
    assert all(n.session.status == SessionStatus.COMPLETED for n in notes)
    for approval in Approval.objects.prefetch_related("doses__partner").select_related("couple"):
        assert approval.compute_hash(list(approval.doses.all())) == approval.content_hash


def test_doses_stay_within_the_approved_maximum_and_vitals_are_recorded(generated):
    given = Administration.objects.values("session_id", "approved_dose_id", "approved_dose__max_total_mg").annotate(
        total=Sum("mg")
    )
    assert given
    assert all(row["total"] <= row["approved_dose__max_total_mg"] for row in given)
    assert VitalReading.objects.count() == 7 * Administration.objects.count()


def test_only_treated_couples_have_courses_and_scores_fit_their_instruments(generated):
    untreated = [c for c in generated if c.status in (CoupleStatus.REFERRED, CoupleStatus.DECLINED)]
    assert not TherapySession.objects.filter(couple__in=untreated).exists()
    for response in QuestionnaireResponse.objects.all():
        assert response.score == sum(response.answers)
        assert response.score <= response.definition.max_score
