"""Reliable change and the PCL-5 provisional diagnosis where clinicians read them: the couple page (screening
scores, outcomes, charts) and the case report. Norms and sources: integration.measures.CHANGE_NORMS."""

import datetime

import pytest
from django.urls import reverse

from cases.services import questionnaire_record
from jobs import exports

pytestmark = pytest.mark.django_db

JUST_MET = [0, 0, 0, 0, 2, 0, 2, 2, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 2]  # B5, C7, D8+D14, E15+E20 rated 2


def record(partner, instrument, answers, day, context):
    return questionnaire_record(
        by=None,
        partner=partner,
        instrument=instrument,
        answers=answers,
        administered_on=datetime.date(2030, *day),
        context=context,
    )


@pytest.fixture
def scores(one_cycle, partners):
    record(partners["A"], "PHQ9", [3, 3, 3, 3, 3, 0, 0, 0, 0], (1, 20), "screening")  # 15: moderately severe
    record(partners["A"], "PHQ9", [3, 3, 3, 0, 0, 0, 0, 0, 0], (2, 12), "post_integration")  # 9: recovered
    record(partners["B"], "PHQ9", [3, 3, 3, 3, 0, 0, 0, 0, 0], (1, 20), "screening")  # 12
    record(partners["B"], "PHQ9", [3, 3, 3, 1, 0, 0, 0, 0, 0], (2, 12), "post_integration")  # 10: -2
    record(partners["B"], "PCL5", JUST_MET, (1, 21), "screening")
    return partners


def test_the_couple_page_shows_reliable_change_per_partner_and_the_pcl5_cluster_rule(client_for, therapist, scores):
    page = client_for(therapist).get(reverse("cases:couple_detail", args=[scores["A"].couple.uuid])).content.decode()
    assert "RCI -1.96, recovered (reliable and clinically significant)" in page  # partner A, 6 points, below 10
    assert "RCI -0.65, no reliable change" in page  # partner B, 2 points
    assert 'data-chart-change="A"' in page and 'data-chart-change="B"' in page  # labelled on the chart too
    assert "DSM-5 provisional PTSD diagnosis: every cluster met" in page  # screening table and outcomes table
    assert "NHS Talking Therapies" in page  # the source of the norms is on the page


def test_the_case_report_shows_the_couple_side_by_side(clinic_admin, scores):
    couple = next(iter(exports._couple_chunks({})))[0]
    html = exports.case_report_html(couple, clinic="Clinic", filters={})
    assert "Reliable change from baseline" in html
    assert "15 \u2192 9: RCI -1.96, recovered (reliable and clinically significant)" in html
    assert "12 \u2192 10: RCI -0.65, no reliable change" in html
    assert "DSM-5 provisional PTSD diagnosis: every cluster met" in html
