from django import forms

from clinic.models import ClinicSettings
from clinic.services import EDITABLE_FIELDS


class ClinicSettingsForm(forms.ModelForm):
    class Meta:
        model = ClinicSettings
        fields = EDITABLE_FIELDS
