from clinic.models import ClinicSettings
from clinic.services import EDITABLE_FIELDS
from kapcouples.forms import ModelForm


class ClinicSettingsForm(ModelForm):
    class Meta:
        model = ClinicSettings
        fields = EDITABLE_FIELDS
