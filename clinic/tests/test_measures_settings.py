"""The measures schedule, questionnaire-link expiry and follow-up intervals: clinic settings with defaults,
parsed strictly, changed on the settings page and audited."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clinic.forms import ClinicSettingsForm
from clinic.models import ClinicSettingChange, parse_follow_up_weeks
from clinic.services import clinic_settings_get, clinic_settings_update

pytestmark = pytest.mark.django_db


def test_defaults_give_every_questionnaire_at_every_point_and_links_for_seven_days():
    s = clinic_settings_get()
    for point in ("baseline", "pre_medicine", "post_integration", "follow_up"):
        assert s.measures_at(point) == ["PHQ9", "GAD7", "PCL5", "CSI4"]
    assert s.questionnaire_link_days == 7
    assert s.follow_up_week_list == [4, 12, 26]
    assert "CLINICAL.md gives no intervals" in type(s)._meta.get_field("follow_up_weeks").help_text


@pytest.mark.parametrize("text, weeks", [("4,12,26", [4, 12, 26]), (" 2, 6 ", [2, 6]), ("", [])])
def test_follow_up_weeks_parse(text, weeks):
    assert parse_follow_up_weeks(text) == weeks


@pytest.mark.parametrize(
    "text, message",
    [
        ("4;12", "whole numbers"),
        ("4,x", "whole numbers"),
        ("12,4", "earliest to the latest"),
        ("4,4", "each once"),
        ("0,4", "between 1 and 104"),
        ("200", "between 1 and 104"),
        ("1,2,3,4,5,6,7,8,9", "At most 8"),
    ],
)
def test_follow_up_weeks_are_refused_unless_rising_whole_weeks(clinic_admin, text, message):
    with pytest.raises(ValidationError, match=message):
        clinic_settings_update(by=clinic_admin, values={"follow_up_weeks": text})
    assert clinic_settings_get().follow_up_weeks == "4,12,26"


def test_an_unknown_questionnaire_in_the_schedule_is_refused(clinic_admin):
    with pytest.raises(ValidationError, match="Unknown questionnaires: BDI"):
        clinic_settings_update(by=clinic_admin, values={"measures_baseline": "PHQ9,BDI"})


def test_the_settings_page_ticks_questionnaires_per_point_and_audits_the_change(clinic_admin, client_for):
    form = ClinicSettingsForm(instance=clinic_settings_get())
    data = {name: form[name].value() for name in form.fields}
    data.update({"measures_follow_up": ["CSI4", "PHQ9"], "questionnaire_link_days": 3, "follow_up_weeks": "6,24"})
    data = {k: v for k, v in data.items() if v is not None}
    response = client_for(clinic_admin).post(reverse("clinic:settings"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    s = clinic_settings_get()
    assert (s.measures_follow_up, s.questionnaire_link_days, s.follow_up_weeks) == ("PHQ9,CSI4", 3, "6,24")
    assert set(ClinicSettingChange.objects.values_list("field", flat=True)) == {
        "measures_follow_up",
        "questionnaire_link_days",
        "follow_up_weeks",
    }
