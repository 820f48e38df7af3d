from django import forms

from audit.choices import AuditAction
from kapcouples.forms import Form


class AuditFilterForm(Form):
    """Search the audit trail: every field optional, all given ones must match."""

    username = forms.CharField(
        required=False, max_length=150, label="Person", help_text="A username or a name, e.g. Maya Chen."
    )
    action = forms.ChoiceField(required=False, choices=[("", "Any action"), *AuditAction.choices])
    case_number = forms.CharField(
        required=False, max_length=80, label="Couple", help_text="A case number or a partner's last name."
    )
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_from"] > cleaned["date_to"]:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned
