"""Dosing forms: they parse input; the dosing verbs (approvals, record, stock) hold the rules."""

from django import forms
from django.utils import timezone

from accounts.models import User
from cases.forms import DateInput
from dosing.choices import APPROACHES, Approach, Route, Setting, Severity, SideEffectKind
from dosing.doses import dose_amount_clean
from dosing.models import MAX_SESSIONS_PAST_MAXIMUM, StockLot
from kapcouples.forms import Form

MG_FIELD = {"max_digits": 7, "decimal_places": 2, "min_value": 0}


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def now_local():
    return timezone.localtime().replace(second=0, microsecond=0)


class RequestForm(Form):
    approach = forms.ChoiceField(choices=Approach.choices, widget=forms.RadioSelect)
    solo_partner = forms.ChoiceField(label="For solo administration: who takes ketamine", required=False)
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), help_text="Why this approach suits this couple now."
    )

    def __init__(self, *args, couple, **kwargs):
        super().__init__(*args, **kwargs)
        self.partners = {str(p.uuid): p for p in couple.partners.all()}
        self.fields["solo_partner"].choices = [("", "Not solo")] + [
            (uuid, f"{p.get_label_display()}: {p.full_name}") for uuid, p in self.partners.items()
        ]
        self.fields["approach"].choices = [
            (code, f"{info.name} - {info.who_doses}") for code, info in APPROACHES.items()
        ]

    def clean_solo_partner(self):
        value = self.cleaned_data.get("solo_partner")
        return self.partners.get(value) if value else None


class DoseForm(Form):
    """One partner's approved dose (the partner is fixed by the form's prefix)."""

    takes_ketamine = forms.BooleanField(label="Takes ketamine under this approval", required=False)
    route = forms.ChoiceField(choices=[("", "Choose...")] + list(Route.choices), required=False)
    full_dose_mg = forms.DecimalField(label="This partner's full dose (mg)", required=False, **MG_FIELD)
    dose_mg = forms.DecimalField(label="Approved dose (mg)", required=False, **MG_FIELD)
    weight_kg = forms.DecimalField(label="Weight used (kg)", required=False, max_digits=5, decimal_places=1)
    max_total_mg = forms.DecimalField(
        label="Maximum per session, including any booster (mg)", required=False, **MG_FIELD
    )
    fraction_reason = forms.CharField(
        label="Reason, if the dose is far from the approach's fraction",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, partner, **kwargs):
        super().__init__(*args, **kwargs)
        self.partner = partner

    def clean(self):
        data = super().clean()
        if data.get("takes_ketamine"):
            for field in ("route", "full_dose_mg", "dose_mg", "weight_kg", "max_total_mg"):
                if data.get(field) in (None, ""):
                    self.add_error(field, "Required for a partner who takes ketamine.")
            for field in ("full_dose_mg", "dose_mg", "max_total_mg"):
                if data.get(field) is not None and data[field] <= 0:
                    self.add_error(field, "Enter more than 0 mg.")
        return data

    def dose(self):
        if not self.cleaned_data.get("takes_ketamine"):
            return None
        return {
            "partner": self.partner,
            **{
                k: self.cleaned_data[k]
                for k in ("route", "full_dose_mg", "dose_mg", "weight_kg", "max_total_mg", "fraction_reason")
            },
        }


class ApprovalForm(Form):
    approach = forms.ChoiceField(choices=Approach.choices)
    valid_from = forms.DateField(label="In force from", widget=DateInput(), initial=timezone.localdate)
    valid_until = forms.DateField(label="In force until", widget=DateInput(), required=False)
    sessions_covered = forms.IntegerField(label="Medicine sessions covered", required=False, min_value=1, max_value=20)
    medicine_sessions_past_maximum = forms.IntegerField(
        label="Medicine sessions allowed past the course maximum",
        required=False,
        min_value=1,
        max_value=MAX_SESSIONS_PAST_MAXIMUM,
        help_text="Only to let this couple's course go past the clinic's maximum of medicine sessions: "
        "counted from that maximum (2 with a maximum of 8 allows up to 10). Leave empty otherwise.",
    )
    conditions = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="e.g. BP below 140/90 before dosing; no booster for partner B.",
    )
    weight_difference_confirmed = forms.BooleanField(
        label="I have checked each weight used that differs from the screening weight, and it is right",
        required=False,
    )
    password = forms.CharField(
        label="Your password, to sign",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        strip=False,
    )


class ReasonForm(Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


class PlanForm(Form):
    setting = forms.ChoiceField(choices=Setting.choices)
    support_person = forms.CharField(required=False, max_length=120, label="Support person present (at home)")
    agenda = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Agenda and conversation plan (extended discussion)",
    )


class PreDoseForm(Form):
    at = forms.DateTimeField(
        label="Checked at", widget=DateTimeLocalInput(), initial=now_local, required=False, help_text="Now if blank."
    )
    fasting_confirmed = forms.BooleanField(required=False)
    ride_home_arranged = forms.BooleanField(required=False)
    no_new_contraindication = forms.BooleanField(required=False, label="No new contraindication")
    sober_partner_present = forms.BooleanField(required=False, label="Sober partner present (solo)")
    systolic = forms.IntegerField(label="Systolic (mmHg)")
    diastolic = forms.IntegerField(label="Diastolic (mmHg)")
    heart_rate = forms.IntegerField(label="Heart rate (bpm)")
    spo2 = forms.IntegerField(label="SpO2 (%)")


class AdministrationForm(Form):
    at = forms.DateTimeField(label="Time given", widget=DateTimeLocalInput(), initial=now_local)
    # Parsed by the dose rules themselves (dosing.doses), so the page and a service call give the same message.
    mg = forms.CharField(
        label="Dose (mg)",
        required=False,  # an empty amount gets the dose rule's own message
        widget=forms.NumberInput(attrs={"step": "0.1", "min": "0.1", "inputmode": "decimal"}),
    )
    lot = forms.ModelChoiceField(queryset=StockLot.objects.none(), required=False, empty_label="Choose the lot...")
    is_booster = forms.BooleanField(label="Booster", required=False)
    fraction_reason = forms.CharField(
        label="Reason, if this dose is far from the approach's fraction",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lot"].queryset = StockLot.objects.filter(expires_on__gte=timezone.localdate())

    def clean_mg(self):
        return dose_amount_clean(self.cleaned_data.get("mg"), field=None)


class VitalsForm(Form):
    at = forms.DateTimeField(label="Time", widget=DateTimeLocalInput(), initial=now_local)
    systolic = forms.IntegerField(label="Systolic", widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    diastolic = forms.IntegerField(label="Diastolic", widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    heart_rate = forms.IntegerField(label="Heart rate", widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    spo2 = forms.IntegerField(label="SpO2", required=False, widget=forms.NumberInput(attrs={"inputmode": "numeric"}))


class SideEffectForm(Form):
    at = forms.DateTimeField(label="Time", widget=DateTimeLocalInput(), initial=now_local)
    kind = forms.ChoiceField(choices=SideEffectKind.choices)
    severity = forms.ChoiceField(choices=Severity.choices)
    description = forms.CharField(required=False, max_length=300)
    intervention = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DischargeForm(Form):
    at = forms.DateTimeField(label="Discharge time", widget=DateTimeLocalInput(), initial=now_local)
    alert_and_oriented = forms.BooleanField(required=False, label="Alert and oriented")
    released_to_name = forms.CharField(label="Released to (responsible adult)", max_length=120)
    released_to_relationship = forms.CharField(label="Relationship", max_length=60)
    no_driving_acknowledged = forms.BooleanField(
        required=False, label="Told not to drive until the next day after sleep"
    )


class StockReceiveForm(Form):
    lot_number = forms.CharField(max_length=40)
    product = forms.CharField(max_length=120, initial="Ketamine HCl 50 mg/mL, 10 mL vial")
    expires_on = forms.DateField(widget=DateInput())
    amount_mg = forms.DecimalField(label="Amount received (mg)", **MG_FIELD)
    supplier = forms.CharField(max_length=120, required=False)


class WitnessedForm(Form):
    witness = forms.ModelChoiceField(queryset=User.objects.none(), empty_label="Choose the witness...")
    witness_password = forms.CharField(label="Witness's password", widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["witness"].queryset = User.objects.filter(is_active=True).exclude(pk=user.pk)


class WasteForm(WitnessedForm):
    amount_mg = forms.DecimalField(label="Amount wasted (mg)", **MG_FIELD)
    note = forms.CharField(max_length=300, help_text="What was wasted and why.")
    field_order = ["amount_mg", "note", "witness", "witness_password"]


class CountForm(WitnessedForm):
    counted_mg = forms.DecimalField(label="Counted on the shelf (mg)", **MG_FIELD)
    note = forms.CharField(max_length=300, required=False, help_text="Required when the count differs from the log.")
    field_order = ["counted_mg", "note", "witness", "witness_password"]
