"""Scores and change from baseline, against examples worked out by hand."""

import datetime

import pytest

from cases.choices import QuestionnaireContext
from cases.instruments import INSTRUMENTS
from cases.services import questionnaire_record
from integration import measures
from integration.charts import band_spans
from sessions import course

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "instrument, answers, score, band",
    [
        # GAD-7: 3+2+2+1+1+0+0 = 9 -> mild (5-9)
        ("GAD7", [3, 2, 2, 1, 1, 0, 0], 9, "mild"),
        # GAD-7: 3+3+2+2+2+2+1 = 15 -> severe (15-21)
        ("GAD7", [3, 3, 2, 2, 2, 2, 1], 15, "severe"),
        # PHQ-9: 2+2+2+2+2+2+2+1+0 = 15 -> moderately severe (15-19)
        ("PHQ9", [2, 2, 2, 2, 2, 2, 2, 1, 0], 15, "moderately severe"),
        # CSI-4: 3+3+3+4 = 13 -> below the 13.5 cut point
        ("CSI4", [3, 3, 3, 4], 13, "notable relationship dissatisfaction"),
        # CSI-4: 4+4+3+3 = 14 -> above it
        ("CSI4", [4, 4, 3, 3], 14, "above the dissatisfaction cut point"),
        # PCL-5: twenty items of 2 = 40 -> at or above the clinic's cut point of 33
        ("PCL5", [2] * 20, 40, "probable PTSD"),
    ],
)
def test_questionnaire_scores_match_hand_computed_totals(couple, instrument, answers, score, band):
    partner = couple.partners.get(label="A")
    response = questionnaire_record(
        by=None, partner=partner, instrument=instrument, answers=answers, context=QuestionnaireContext.POST_INTEGRATION
    )
    assert response.score == score
    assert INSTRUMENTS[instrument].band_for(response.score, cutoff=33).label == band
    assert response.recorded_by is None and response.context == "post_integration"


@pytest.mark.parametrize(
    "instrument, baseline, latest, text",
    [
        ("PHQ9", 18, 7, "-11 (better)"),  # 7 - 18 = -11; fewer symptoms is better
        ("GAD7", 5, 9, "+4 (worse)"),  # 9 - 5 = +4; more anxiety is worse
        ("PCL5", 44, 44, "0 (no change)"),
        ("CSI4", 10, 16, "+6 (better)"),  # 16 - 10 = +6; more satisfaction is better
        ("CSI4", 15, 12, "-3 (worse)"),
    ],
)
def test_change_from_baseline_has_a_sign_and_a_direction(instrument, baseline, latest, text):
    assert str(measures.change_from_baseline(instrument, baseline, latest)) == text


def test_bands_drawn_are_the_published_ones_with_the_clinics_pcl5_cut_point():
    assert band_spans(INSTRUMENTS["GAD7"], None) == [
        (0, 4, "minimal", 0),
        (5, 9, "mild", 1),
        (10, 14, "moderate", 2),
        (15, 21, "severe", 4),
    ]
    assert band_spans(INSTRUMENTS["PCL5"], 31)[1][:2] == (31, 80)


def test_follow_up_windows_meet_halfway_between_due_dates():
    anchor = datetime.date(2030, 3, 1)
    due = course.follow_up_due_days(anchor, [4, 12])  # 29 March and 24 May
    assert due == [datetime.date(2030, 3, 29), datetime.date(2030, 5, 24)]
    spans = course.split_by_midpoints(due, after=datetime.date(2030, 2, 20))
    # 29 March to 24 May is 56 days: the first window ends 28 days after 29 March, on 26 April.
    assert spans == [(datetime.date(2030, 2, 21), datetime.date(2030, 4, 26)), (datetime.date(2030, 4, 27), None)]


# -- reliable and clinically significant change -----------------------------------------------------------------
# Jacobson & Truax (1991), J Consult Clin Psychol 59:12-19: RCI = (x2 - x1) / S_diff, reliable when |RCI| >= 1.96;
# clinically significant when reliable and across the cut point. Sizes and cut points as in
# integration.measures.CHANGE_NORMS: PHQ-9 6 points / caseness 10 and GAD-7 4 points / caseness 8 (NHS Talking
# Therapies manual, NHS England 2023), PCL-5 15 points / 28 or below (Marx et al. 2022, Psychol Assess 34:197-203),
# CSI-4 cut point 13.5 with no published reliable-change size (Funk & Rogge 2007, J Fam Psychol 21:572-583).


@pytest.mark.parametrize(
    "instrument, baseline, latest, verdict, rci",
    [
        ("PHQ9", 15, 9, "recovered (reliable and clinically significant)", -1.96),  # just inside, and across 10
        ("PHQ9", 15, 10, "no reliable change", -1.63),  # just outside: 5 points, and still at caseness
        ("PHQ9", 20, 14, "reliable improvement", -1.96),  # reliable, not across the cut point
        ("PHQ9", 9, 4, "no reliable change", -1.63),
        ("PHQ9", 5, 11, "reliable deterioration", 1.96),
        ("GAD7", 10, 6, "recovered (reliable and clinically significant)", -1.96),
        ("GAD7", 10, 7, "no reliable change", -1.47),
        ("GAD7", 11, 7, "recovered (reliable and clinically significant)", -1.96),  # 4 points, from 11 to below 8
        ("GAD7", 15, 11, "reliable improvement", -1.96),
        ("PCL5", 45, 30, "reliable improvement", -1.96),
        ("PCL5", 43, 28, "recovered (reliable and clinically significant)", -1.96),
        ("PCL5", 43, 29, "no reliable change", -1.83),
        ("CSI4", 10, 14, "crossed into the functional range (reliable change not established)", None),
        ("CSI4", 14, 13, "crossed into the dysfunctional range (reliable change not established)", None),
        ("CSI4", 14, 18, "reliable change not established", None),
    ],
)
def test_reliable_change_at_the_published_edges(instrument, baseline, latest, verdict, rci):
    change = measures.reliable_change(instrument, baseline, latest)
    assert change.verdict == verdict
    if rci is None:
        assert change.rci is None and change.reliable is None
    else:
        assert round(change.rci, 2) == rci


def test_every_instrument_has_its_norms_with_a_source():
    from cases.instruments import INSTRUMENTS

    for code in INSTRUMENTS:
        norms = measures.CHANGE_NORMS[code]
        assert 0 < norms.reliability < 1 and norms.source
