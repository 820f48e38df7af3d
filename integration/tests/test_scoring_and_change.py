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


@pytest.mark.parametrize("instrument, answers, score, band", [
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
])
def test_questionnaire_scores_match_hand_computed_totals(couple, instrument, answers, score, band):
    partner = couple.partners.get(label="A")
    response = questionnaire_record(by=None, partner=partner, instrument=instrument, answers=answers,
                                    context=QuestionnaireContext.POST_INTEGRATION)
    assert response.score == score
    assert INSTRUMENTS[instrument].band_for(response.score, cutoff=33).label == band
    assert response.recorded_by is None and response.context == "post_integration"


@pytest.mark.parametrize("instrument, baseline, latest, text", [
    ("PHQ9", 18, 7, "-11 (better)"),    # 7 - 18 = -11; fewer symptoms is better
    ("GAD7", 5, 9, "+4 (worse)"),       # 9 - 5 = +4; more anxiety is worse
    ("PCL5", 44, 44, "0 (no change)"),
    ("CSI4", 10, 16, "+6 (better)"),    # 16 - 10 = +6; more satisfaction is better
    ("CSI4", 15, 12, "-3 (worse)"),
])
def test_change_from_baseline_has_a_sign_and_a_direction(instrument, baseline, latest, text):
    assert str(measures.change_from_baseline(instrument, baseline, latest)) == text


def test_bands_drawn_are_the_published_ones_with_the_clinics_pcl5_cut_point():
    assert band_spans(INSTRUMENTS["GAD7"], None) == [
        (0, 4, "minimal", 0), (5, 9, "mild", 1), (10, 14, "moderate", 2), (15, 21, "severe", 4)]
    assert band_spans(INSTRUMENTS["PCL5"], 31)[1][:2] == (31, 80)


def test_follow_up_windows_meet_halfway_between_due_dates():
    anchor = datetime.date(2030, 3, 1)
    due = course.follow_up_due_days(anchor, [4, 12])  # 29 March and 24 May
    assert due == [datetime.date(2030, 3, 29), datetime.date(2030, 5, 24)]
    spans = course.split_by_midpoints(due, after=datetime.date(2030, 2, 20))
    # 29 March to 24 May is 56 days: the first window ends 28 days after 29 March, on 26 April.
    assert spans == [(datetime.date(2030, 2, 21), datetime.date(2030, 4, 26)), (datetime.date(2030, 4, 27), None)]

