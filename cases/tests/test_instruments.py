"""Scores and bands against hand-computed examples, at every band edge."""

import pytest
from django.core.exceptions import ValidationError

from cases.instruments import CSI4, GAD7, PCL5, PHQ9, SUICIDE_RISK_FLAG


def answers_totalling(instrument, total, *, keep_zero=()):
    """Spread a total over the items from the first, skipping the items named in keep_zero."""
    answers = [0] * len(instrument.items)
    for index, item in enumerate(instrument.items):
        if index in keep_zero:
            continue
        answers[index] = min(item.max_value, total - sum(answers))
    assert sum(answers) == total
    return answers


@pytest.mark.parametrize(
    "total, band",
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_bands_at_their_edges(total, band):
    result = PHQ9.score(answers_totalling(PHQ9, total, keep_zero=(8,) if total <= 24 else ()))
    assert (result.score, result.band.label) == (total, band)


def test_phq9_hand_computed_example_with_item_9_flag():
    # 2+2+1+1+1+0+0+0+1 = 8: mild, and item 9 above 0 flags suicide risk.
    result = PHQ9.score([2, 2, 1, 1, 1, 0, 0, 0, 1])
    assert result.score == 8
    assert result.band.label == "mild"
    assert result.flags == (SUICIDE_RISK_FLAG,)


def test_phq9_item_9_at_zero_raises_no_flag():
    assert PHQ9.score([3, 3, 3, 3, 3, 3, 3, 3, 0]).flags == ()


@pytest.mark.parametrize(
    "total, band",
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_cut_points_5_10_15(total, band):
    assert GAD7.score(answers_totalling(GAD7, total)).band.label == band


@pytest.mark.parametrize(
    "total, cutoff, band",
    [
        (32, 33, "below the probable-PTSD cut point"),
        (33, 33, "probable PTSD"),
        (30, 31, "below the probable-PTSD cut point"),
        (31, 31, "probable PTSD"),
        (80, 33, "probable PTSD"),
        (0, 33, "below the probable-PTSD cut point"),
    ],
)
def test_pcl5_cut_point_is_the_clinic_setting(total, cutoff, band):
    result = PCL5.score(answers_totalling(PCL5, total), cutoff=cutoff)
    assert (result.score, result.band.label) == (total, band)


def test_csi4_hand_computed_example_below_13_5_is_dissatisfied():
    # 3 (happy) + 3 (mostly true) + 4 (almost completely) + 3 (mostly) = 13 < 13.5
    result = CSI4.score([3, 3, 4, 3])
    assert result.score == 13
    assert result.band.label == "notable relationship dissatisfaction"
    assert CSI4.score([3, 3, 4, 4]).band.label == "above the dissatisfaction cut point"
    assert CSI4.max_score == 21
    assert CSI4.score([6, 5, 5, 5]).score == 21


def test_answer_outside_an_items_range_is_refused_by_item():
    with pytest.raises(ValidationError) as exc:
        PHQ9.score([4, 0, 0, 0, 0, 0, 0, 0, 0])
    assert exc.value.message_dict == {"item_1": ["Answers to this item run from 0 to 3; 4 is not one."]}
    with pytest.raises(ValidationError) as exc:
        CSI4.score([7, 0, 0, 0])
    assert "item_1" in exc.value.message_dict


def test_missing_items_are_refused():
    with pytest.raises(ValidationError) as exc:
        GAD7.score([1, 1, 1, None, 1, 1, 1])
    assert exc.value.message_dict == {"item_4": ["Answer this item."]}
    with pytest.raises(ValidationError):
        GAD7.score([1, 1, 1])


# -- scoring refuses anything that is not a whole number in the item's range (issue 17, item 9) ----------------


@pytest.mark.parametrize("value", [2.7, 2.0, True, False, "1", None, [1], -1, 4])
def test_an_answer_that_is_not_a_whole_number_in_range_is_refused_naming_the_item(value):
    answers = [0] * 9
    answers[2] = value
    with pytest.raises(ValidationError) as exc:
        PHQ9.score(answers)
    assert list(exc.value.message_dict) == ["item_3"]
    if value not in (None, -1, 4):
        assert exc.value.message_dict["item_3"][0].startswith("Item 3: an answer is a whole number from 0 to 3;")


def test_whole_numbers_at_each_end_of_the_range_are_accepted():
    assert PHQ9.score([0, 3, 0, 3, 0, 3, 0, 3, 0]).score == 12


# -- PCL-5: the DSM-5 provisional diagnosis by the cluster rule (issue 17, item 3) ------------------------------
# Source: Weathers, Litz, Keane, Palmieri, Marx & Schnurr (2013), The PTSD Checklist for DSM-5 (PCL-5), National
# Center for PTSD, scoring instructions: "treating each item rated as 2 = 'Moderately' or higher as a symptom
# endorsed, then following the DSM-5 diagnostic rule which requires at least: 1 B item (questions 1-5), 1 C item
# (questions 6-7), 2 D items (questions 8-14), 2 E items (questions 15-20)."

from cases.instruments import pcl5_provisional  # noqa: E402


def pcl5(b=(), c=(), d=(), e=(), rating=2, rest=0):
    """PCL-5 answers with the given item numbers rated `rating` and every other item `rest`."""
    answers = [rest] * 20
    for n in (*b, *c, *d, *e):
        answers[n - 1] = rating
    return answers


JUST_MET = {"b": (5,), "c": (7,), "d": (8, 14), "e": (15, 20)}


def test_every_cluster_just_met_is_a_provisional_diagnosis():
    result = PCL5.score(pcl5(**JUST_MET))
    assert result.provisional.met
    assert result.provisional.clusters == (("B", 1, 1), ("C", 1, 1), ("D", 2, 2), ("E", 2, 2))
    assert result.score == 12  # the total is far below the cut point: the two readings are shown side by side
    assert result.band.label == "below the probable-PTSD cut point"


@pytest.mark.parametrize(
    "cluster, short",
    [
        ("b", ()),
        ("c", ()),
        ("d", (8,)),
        ("e", (20,)),
    ],
)
def test_each_cluster_just_missed_is_no_provisional_diagnosis(cluster, short):
    vector = {**JUST_MET, cluster: short}
    result = pcl5_provisional(pcl5(**vector))
    assert not result.met
    letter = cluster.upper()
    assert f"{letter} {len(short)} of" in result.label


def test_a_rating_of_1_is_not_a_symptom_endorsed():
    assert not pcl5_provisional(pcl5(**JUST_MET, rating=1)).met
    assert pcl5_provisional(pcl5(**JUST_MET, rating=4)).met
    high_total = pcl5(rating=1, rest=1)  # every item "a little bit": total 20, nothing endorsed
    assert not pcl5_provisional(high_total).met


def test_only_the_pcl5_has_a_provisional_diagnosis():
    assert PHQ9.score([0] * 9).provisional is None
    assert PHQ9.provisional_for([0] * 9) is None
    assert PCL5.provisional_for(pcl5(**JUST_MET)).met
