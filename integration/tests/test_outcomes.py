"""The couple page's outcomes (charts on the bands, change from baseline, a table) and the clinic-wide view."""

import datetime

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.choices import CoupleStatus
from cases.models import Couple
from cases.services import questionnaire_record
from dosing.choices import Approach
from dosing.tests.factories import approval_on_file
from integration import selectors
from integration.selectors import couple_outcomes
from sessions.tests.helpers import A, I, M, P, at, history
from tests.factories import CoupleFactory

pytestmark = pytest.mark.django_db

# Pinned: a change here is a change in how the section reads the database; look before raising it.
SECTION_QUERIES = 5  # settings, sessions, partners, responses, open commitments


def gad7(partner, day, total, context="post_integration"):
    answers = [3] * (total // 3) + ([total % 3] if total % 3 else [])
    answers += [0] * (7 - len(answers))
    return questionnaire_record(
        by=None, partner=partner, instrument="GAD7", answers=answers, administered_on=day, context=context
    )


def csi4(partner, day, answers, context="post_integration"):
    return questionnaire_record(
        by=None, partner=partner, instrument="CSI4", answers=answers, administered_on=day, context=context
    )


def test_change_from_baseline_per_partner(one_cycle, partners):
    gad7(partners["A"], datetime.date(2030, 1, 20), 14, "screening")  # baseline 14
    gad7(partners["A"], datetime.date(2030, 2, 12), 8)  # 8 - 14 = -6, better
    gad7(partners["B"], datetime.date(2030, 1, 21), 4, "screening")
    csi4(partners["B"], datetime.date(2030, 1, 21), [2, 2, 2, 2], "screening")  # 8
    csi4(partners["B"], datetime.date(2030, 2, 12), [3, 3, 3, 2])  # 11: +3, better
    outcomes = {o.code: o for o in couple_outcomes(couple=partners["A"].couple)}
    gad = {po.partner.label: po for po in outcomes["GAD7"].partners}
    assert str(gad["A"].change) == "-6 (better)"
    assert gad["B"].change is None and gad["B"].baseline.score == 4
    assert str(outcomes["CSI4"].partners[1].change) == "+3 (better)"
    assert [m.label for m in outcomes["GAD7"].chart.medicines] == ["M1"]


def test_the_couple_page_shows_chart_table_and_change(client_for, therapist, one_cycle, partners):
    gad7(partners["A"], datetime.date(2030, 1, 20), 14, "screening")
    gad7(partners["A"], datetime.date(2030, 2, 12), 8)
    page = client_for(therapist).get(reverse("cases:couple_detail", args=[partners["A"].couple.uuid])).content.decode()
    assert 'data-chart="GAD7"' in page and "<svg" in page and 'data-medicine="M1"' in page
    assert page.count("data-point") == 2
    assert '<tr data-partner="A" data-score="8">' in page
    assert 'change from baseline <span class="fw-semibold">-6 (better)</span>' in page
    assert "minimal" in page or "moderate" in page
    assert "style=" not in page.split('id="outcomes-heading"')[1]  # the CSP forbids inline styles


def grow(couple, therapist, prescriber, cycles):
    approval_on_file(couple, prescriber)
    history(couple, therapist, [(A, at(1, month=1))])
    day = 2
    partners = list(couple.partners.all())
    for _ in range(cycles):
        history(
            couple,
            therapist,
            [(P, at(day, month=1)), (P, at(day + 1, month=1)), (M, at(day + 2, month=1)), (I, at(day + 3, month=1))],
        )
        for partner in partners:
            gad7(partner, datetime.date(2030, 1, day + 3), 5)
            csi4(partner, datetime.date(2030, 1, day + 3), [3, 3, 3, 3])
        day += 7


def render_section(user, couple):
    """The couple page's outcomes section as the couple page renders it, from the integration selector's data."""
    return render_to_string(
        "integration/partials/couple_section.html",
        {"couple": couple, "is_clinic_admin": user.is_clinic_admin, **selectors.couple_section(couple=couple)},
    )


@pytest.mark.parametrize("cycles", [1, 3])
def test_outcomes_section_query_count_is_fixed(frozen, therapist, prescriber, django_assert_num_queries, cycles):
    couple = CoupleFactory(therapists=[therapist], prescriber=prescriber)
    grow(couple, therapist, prescriber, cycles)
    with django_assert_num_queries(SECTION_QUERIES):
        html = render_section(therapist, couple)
    assert html.count('data-medicine="M') == 2 * cycles  # GAD-7 and CSI-4 charts
    assert html.count("<tr data-partner=") == 4 * cycles


def test_couple_page_query_count_does_not_grow_with_the_scores(frozen, client_for, therapist, prescriber):
    client = client_for(therapist)
    counts = []
    for cycles in (1, 3):
        couple = CoupleFactory(therapists=[therapist], prescriber=prescriber)
        grow(couple, therapist, prescriber, cycles)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("cases:couple_detail", args=[couple.uuid])).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def complete(couple, prescriber, approach, scores):
    """A completed course with GAD-7 baseline and last scores per partner: scores = [(baseline, last), ...]."""
    approval_on_file(couple, prescriber, approach)
    Couple.objects.filter(pk=couple.pk).update(status=CoupleStatus.COMPLETED)
    for partner, (first, last) in zip(couple.partners.order_by("label"), scores, strict=True):
        gad7(partner, datetime.date(2030, 1, 5), first, "screening")
        if last is not None:
            gad7(partner, datetime.date(2030, 2, 5), last)


def test_clinic_outcomes_medians_by_approach(frozen, client_for, clinic_admin, prescriber, therapist):
    complete(CoupleFactory(prescriber=prescriber), prescriber, Approach.DUAL_PSYCHOLYTIC, [(12, 6), (9, 9)])
    complete(CoupleFactory(prescriber=prescriber), prescriber, Approach.SOLO, [(15, 5), (6, None)])
    open_couple = CoupleFactory(prescriber=prescriber)  # not completed: not counted
    gad7(open_couple.partners.first(), datetime.date(2030, 1, 5), 20, "screening")
    gad7(open_couple.partners.first(), datetime.date(2030, 2, 5), 0)
    client = client_for(clinic_admin)
    page = client.get(reverse("integration:clinic_outcomes")).content.decode()
    row = page.split('<tr data-instrument="GAD7">')[1].split("</tr>")[0]
    # Pairs (12, 6), (9, 9), (15, 5): baselines 9, 12, 15 -> 12; lasts 5, 6, 9 -> 6; changes -10, -6, 0 -> -6.
    assert [cell.strip() for cell in row.split("<td>")[1:]] == [
        "3</td>",
        "12</td>",
        "6</td>",
        "-6</td>",
        "2 / 0 / 1</td>",
    ]
    solo = client.get(reverse("integration:clinic_outcomes"), {"approach": "solo"}).content.decode()
    row = solo.split('<tr data-instrument="GAD7">')[1].split("</tr>")[0]
    assert "<td>1</td>" in row and "<td>-10</td>" in row
    assert "1</strong> completed course" in solo


def test_clinic_outcomes_are_for_clinic_admins_only(client_for, therapist, prescriber):
    for user in (therapist, prescriber):
        assert client_for(user).get(reverse("integration:clinic_outcomes")).status_code == 403
