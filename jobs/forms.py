"""The export filter form."""

from django import forms

from accounts.models import User
from cases.choices import CoupleStatus
from dosing.choices import Approach
from kapcouples.forms import Form


class ExportFilterForm(Form):
    date_from = forms.DateField(label="Sessions from", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(
        label="Sessions to",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Both days included. Leave both empty for every session.",
    )
    status = forms.ChoiceField(
        label="Couple status", required=False, choices=[("", "Any status"), *CoupleStatus.choices]
    )
    therapist = forms.ModelChoiceField(
        label="Therapist",
        required=False,
        empty_label="Any therapist",
        queryset=User.objects.filter(is_therapist=True, is_active=True),
    )
    approach = forms.ChoiceField(
        label="Dosing approach",
        required=False,
        choices=[("", "Any approach"), *Approach.choices],
        help_text="Couples with an approval of this approach.",
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date: swap them or change one.")
        return data

    def filters(self) -> dict:
        """The filters as the JSON an ExportJob keeps."""
        data = self.cleaned_data
        return {
            "date_from": data["date_from"].isoformat() if data.get("date_from") else "",
            "date_to": data["date_to"].isoformat() if data.get("date_to") else "",
            "status": data.get("status") or "",
            "therapist": data["therapist"].pk if data.get("therapist") else None,
            "approach": data.get("approach") or "",
        }
