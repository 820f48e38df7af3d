"""Forms of the case pages. They parse and show input; the rules live in cases.services."""

import copy

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from cases.choices import (
    Condition,
    Contraindication,
    CoupleStatus,
    InteractingMedication,
    Item9Decision,
    ScreeningOutcome,
)
from cases.instruments import Instrument
from cases.models import Couple, Partner, Screening
from cases.phones import phone_display
from kapcouples.forms import Form, ModelForm, submit_token_field


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def detached(instance):
    """A copy for a ModelForm to validate into: is_valid() writes the input into its instance, and the
    service must still see the stored values to know what changed."""
    return copy.copy(instance)


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: next to the field it names, else at the top."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def split_partner_errors(exc: ValidationError, couple_form: forms.Form, partner_forms: dict[str, forms.Form]) -> None:
    """Route couple_create's errors: partner_a-email goes to partner A's e-mail field, and so on."""
    if not hasattr(exc, "error_dict"):
        couple_form.add_error(None, exc)
        return
    for key, errors in exc.error_dict.items():
        prefix, _, field = key.partition("-")
        if prefix in partner_forms:
            target = partner_forms[prefix]
            target.add_error(field if field in target.fields else None, errors)
        else:
            couple_form.add_error(key if key in couple_form.fields else None, errors)


class CareTeamFieldsMixin:
    def _limit_care_team(self):
        self.fields["therapists"].queryset = User.objects.filter(is_active=True, is_therapist=True)
        self.fields["prescriber"].queryset = User.objects.filter(is_active=True, is_prescriber=True)


class CoupleCreateForm(CareTeamFieldsMixin, ModelForm):
    submit_token = submit_token_field()
    therapists = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="A therapist opening a case is always on its care team.",
    )

    class Meta:
        model = Couple
        fields = ["case_number", "prescriber", "therapists", "treatment_goals", "relationship_concerns"]
        widgets = {
            "treatment_goals": forms.Textarea(attrs={"rows": 3}),
            "relationship_concerns": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._limit_care_team()

    def clean_case_number(self):
        return self.cleaned_data["case_number"].strip().upper()


class CoupleEditForm(CareTeamFieldsMixin, ModelForm):
    therapists = forms.ModelMultipleChoiceField(queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Couple
        fields = ["case_number", "prescriber", "therapists", "treatment_goals", "relationship_concerns"]
        widgets = {
            "treatment_goals": forms.Textarea(attrs={"rows": 3}),
            "relationship_concerns": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, can_assign: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self._limit_care_team()
        self.fields["therapists"].initial = list(self.instance.therapists.all())
        if not can_assign:
            del self.fields["therapists"]
            del self.fields["prescriber"]

    def clean_case_number(self):
        return self.cleaned_data["case_number"].strip().upper()


class PartnerForm(ModelForm):
    class Meta:
        model = Partner
        fields = [
            "first_name",
            "last_name",
            "date_of_birth",
            "pronouns",
            "email",
            "phone",
            "reminder_channel",
            "emergency_contact_name",
            "emergency_contact_phone",
            "emergency_contact_relationship",
        ]
        widgets = {"date_of_birth": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.phone:
            self.initial["phone"] = phone_display(self.instance.phone)
        if self.instance.emergency_contact_phone:
            self.initial["emergency_contact_phone"] = phone_display(self.instance.emergency_contact_phone)
        if self.instance.phone_to_correct:
            self.fields["phone"].help_text = (
                f"On file from before numbers were checked, and not a valid number: "
                f"“{self.instance.phone_to_correct}”. Enter it correctly."
            )


class CoupleTransitionForm(Form):
    to_status = forms.ChoiceField(label="New status", choices=CoupleStatus.choices)
    note = forms.CharField(label="Reason or note", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ScreeningForm(ModelForm):
    conditions = forms.MultipleChoiceField(
        label="Conditions the partner seeks help with",
        choices=Condition.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    interacting_medications = forms.MultipleChoiceField(
        label="Interacting medications taken",
        choices=InteractingMedication.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Screening
        fields = [
            "medicine_candidate",
            "conditions",
            "military_or_veteran",
            "interacting_medications",
            "current_medications",
            "allergies",
            "medical_history",
            "systolic",
            "diastolic",
            "heart_rate",
            "weight_kg",
            "consent_signed_on",
            "consent_version",
        ]
        widgets = {
            "consent_signed_on": DateInput(),
            "current_medications": forms.Textarea(attrs={"rows": 2}),
            "allergies": forms.Textarea(attrs={"rows": 2}),
            "medical_history": forms.Textarea(attrs={"rows": 3}),
        }


class ContraindicationForm(Form):
    """The whole checklist: each item yes or no, with a note."""

    YES_NO = (("no", "No"), ("yes", "Yes"))

    def __init__(self, *args, findings=None, **kwargs):
        super().__init__(*args, **kwargs)
        findings = findings or {}
        for code, label in Contraindication.choices:
            finding = findings.get(code)
            self.fields[code] = forms.ChoiceField(
                label=label,
                choices=self.YES_NO,
                widget=forms.RadioSelect,
                initial=None if finding is None else ("yes" if finding.present else "no"),
                error_messages={"required": "Answer yes or no."},
            )
            self.fields[f"{code}_note"] = forms.CharField(
                label=f"Note on {label.lower()}",
                required=False,
                max_length=300,
                initial="" if finding is None else finding.note,
            )

    def findings(self) -> dict[str, tuple[bool, str]]:
        return {
            code: (self.cleaned_data[code] == "yes", self.cleaned_data[f"{code}_note"])
            for code in Contraindication.values
        }

    def item_rows(self):
        return [(self[code], self[f"{code}_note"]) for code in Contraindication.values]


class QuestionnaireForm(Form):
    """One questionnaire entered item by item, as the partner answered it."""

    administered_on = forms.DateField(label="Answered on", widget=DateInput(), initial=timezone.localdate)

    def __init__(self, *args, instrument: Instrument, **kwargs):
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for number, item in enumerate(instrument.items, start=1):
            self.fields[f"item_{number}"] = forms.TypedChoiceField(
                label=f"{number}. {item.text}",
                choices=[(v, f"{v} \u2013 {t}") for v, t in item.choices],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={
                    "required": "Answer this item.",
                    "invalid_choice": f"Answers to this item run from 0 to {item.max_value}.",
                },
            )

    def answers(self) -> list[int]:
        return [self.cleaned_data[f"item_{n}"] for n in range(1, len(self.instrument.items) + 1)]

    def item_fields(self):
        return [self[f"item_{n}"] for n in range(1, len(self.instrument.items) + 1)]


class OutcomeForm(Form):
    outcome = forms.ChoiceField(
        choices=[c for c in ScreeningOutcome.choices if c[0] != ScreeningOutcome.PENDING], widget=forms.RadioSelect
    )
    note = forms.CharField(label="Reason or note", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class Item9DecisionForm(Form):
    decision = forms.ChoiceField(choices=Item9Decision.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label="What the review found",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="e.g. passive thoughts, no plan or intent; safety plan reviewed with the therapist.",
    )


class CoupleFilterForm(Form):
    # Styled here and laid out by hand in the template (no crispy): the couple list is the page therapists
    # open most, and crispy's per-field templates were a fifth of its server time (docs/benchmarks.md).
    q = forms.CharField(
        label="Search",
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": "Case number or partner name", "type": "search", "class": "form-control"}
        ),
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *CoupleStatus.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    therapist = forms.ModelChoiceField(
        label="Therapist",
        required=False,
        queryset=User.objects.none(),
        empty_label="Any therapist",
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["therapist"].queryset = User.objects.filter(is_therapist=True, is_active=True)
