"""Forms of integration work, questionnaire links and outcomes. They parse input; the rules live in services."""

from django import forms

from cases.choices import QuestionnaireContext
from cases.forms import DateInput, QuestionnaireForm
from dosing.choices import Approach
from integration.choices import CommitmentKind, CommitmentStatus
from kapcouples.forms import Form

BOTH = "both"


class CommitmentForm(Form):
    kind = forms.ChoiceField(label="Kind", choices=CommitmentKind.choices, widget=forms.RadioSelect)
    text = forms.CharField(
        label="Commitment",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What the couple will do, in their words.",
    )
    owner = forms.ChoiceField(
        label="Owner",
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose partner A, partner B or both partners of this couple."},
    )
    due_on = forms.DateField(label="Due on", widget=DateInput())

    def __init__(self, *args, partners, **kwargs):
        super().__init__(*args, prefix="commitment", **kwargs)
        self.fields["owner"].choices = [
            *[(str(p.uuid), f"{p.get_label_display()} ({p.first_name})") for p in partners],
            (BOTH, "Both partners"),
        ]


class CommitmentReviewForm(Form):
    commitment = forms.UUIDField(widget=forms.HiddenInput)
    to_status = forms.ChoiceField(label="Status", choices=CommitmentStatus.choices)
    note = forms.CharField(label="How it is going", required=False, max_length=2000)


class SendLinkForm(Form):
    context = forms.ChoiceField(choices=QuestionnaireContext.choices)
    session = forms.UUIDField(required=False)


class WithdrawLinkForm(Form):
    link = forms.UUIDField()
    reason = forms.CharField(required=False, max_length=200)


class PublicQuestionnaireForm(QuestionnaireForm):
    """The partner's own form: the items only; the date is the day they answer."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["administered_on"]


class OutcomesFilterForm(Form):
    approach = forms.ChoiceField(
        label="Dosing approach", required=False, choices=[("", "Every approach"), *Approach.choices]
    )
