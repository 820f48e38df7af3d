"""Forms of the session pages. They parse and show input; the rules live in sessions.services."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from kapcouples.forms import Form, submit_token_field
from sessions.choices import NOTE_FIELDS, Phase, Place, SessionStatus
from sessions.models import Room
from sessions.selectors import active_rooms, bookable_couples


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's errors next to the field they name; a duration is what the "ends at" field sets."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        if field == "duration_minutes" and "end" in form.fields:
            field = "end"
        form.add_error(field if field in form.fields else None, errors)


def _duration_help() -> str:
    from sessions.services import default_duration

    lengths = ", ".join(f"{label.lower()} {default_duration(value)} min" for value, label in Phase.choices)
    return f"Leave empty for the clinic's usual length: {lengths}."


class SessionTimeMixin(Form):
    start = forms.DateTimeField(label="Starts at", widget=LocalDateTimeInput(), help_text="In the clinic's time zone.")
    end = forms.TimeField(label="Ends at", required=False, widget=TimeInput())
    place = forms.ChoiceField(choices=Place.choices, widget=forms.RadioSelect, initial=Place.OFFICE)
    room = forms.ModelChoiceField(
        queryset=Room.objects.none(),
        required=False,
        empty_label="No room (not in the office)",
        help_text="Needed for an office session.",
    )
    video_url = forms.CharField(
        label="Video link",
        required=False,
        max_length=300,
        help_text="For a telehealth session: an https:// link. Leave empty to use the therapist's standing video link.",
    )

    def _setup_time_fields(self):
        self.fields["room"].queryset = active_rooms()
        self.fields["end"].help_text = _duration_help()

    def duration_minutes(self) -> int | None:
        """Minutes elapsed from the start to the "ends at" time on the clinic's clock that day; None when no end was
        given. Elapsed, not wall-clock: 01:00-04:00 on the spring change is 120 minutes, so that the stored end
        (start + length) is the 04:00 the clinic booked."""
        start, end = self.cleaned_data.get("start"), self.cleaned_data.get("end")
        if start is None or end is None:
            return None
        local_start = timezone.localtime(start)
        ends = datetime.datetime.combine(local_start.date(), end, tzinfo=local_start.tzinfo)
        # Two datetimes of one zone subtract as wall-clock times; in UTC they subtract as elapsed time.
        return int((ends.astimezone(datetime.UTC) - start.astimezone(datetime.UTC)).total_seconds() // 60)

    def clean(self):
        cleaned = super().clean()
        minutes = self.duration_minutes()
        if minutes is not None and minutes <= 0:
            start = timezone.localtime(cleaned["start"])
            self.add_error("end", f"The session must end after it starts ({start:%H:%M}).")
        return cleaned


class BookingForm(SessionTimeMixin):
    """Book a session: couple, phase, therapist (admins choose), time and place."""

    submit_token = submit_token_field()

    couple = forms.ModelChoiceField(queryset=None, label="Couple")
    phase = forms.ChoiceField(choices=Phase.choices)
    therapist = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, help_text="Leave empty to book yourself."
    )
    already_took_place = forms.BooleanField(
        label="This session already took place",
        required=False,
        help_text="Enter a past session, held or missed, after the fact (not a medicine session).",
    )
    outcome = forms.ChoiceField(
        label="What happened",
        choices=[("", "---------"), (SessionStatus.COMPLETED, "Held"), (SessionStatus.NO_SHOW, "Missed (no-show)")],
        required=False,
    )
    reason = forms.CharField(
        label="Why it is entered after the fact",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Goes on the couple's timeline.",
    )
    field_order = [
        "couple",
        "phase",
        "therapist",
        "start",
        "end",
        "place",
        "room",
        "video_url",
        "already_took_place",
        "outcome",
        "reason",
    ]

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["couple"].queryset = bookable_couples(user).prefetch_related("partners")
        self.fields["couple"].label_from_instance = lambda c: " · ".join(
            [c.case_number, " & ".join(p.full_name for p in sorted(c.partners.all(), key=lambda p: p.label))]
        )
        self._setup_time_fields()
        if user.is_clinic_admin:
            self.fields["therapist"].queryset = User.objects.filter(is_active=True, is_therapist=True)
            self.fields["therapist"].required = not user.is_therapist
        else:
            del self.fields["therapist"]

    def chosen_therapist(self) -> User:
        return self.cleaned_data.get("therapist") or self.user


class RescheduleForm(SessionTimeMixin):
    """Move a scheduled session."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_time_fields()


class ReasonForm(Form):
    reason = forms.CharField(
        label="Reason or note", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class AcceptSuggestionForm(Form):
    phase = forms.ChoiceField(choices=Phase.choices)
    start = forms.DateTimeField()
    anchor = forms.UUIDField()


class NoteForm(Form):
    """The labelled parts of one phase's note, with the partners' names in them."""

    def __init__(self, *args, phase: str, partners: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for part in NOTE_FIELDS[phase]:
            label = part.label
            for letter, name in partners.items():
                label = label.replace(f"partner {letter}", f"partner {letter} ({name})")
            if part.to_sign:
                label = f"{label} (needed to sign)"
            self.fields[part.key] = forms.CharField(
                label=label, required=False, help_text=part.help_text, widget=forms.Textarea(attrs={"rows": 3})
            )


class AmendmentForm(Form):
    text = forms.CharField(
        label="Amendment",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="A dated correction or addition, shown under the signed note with your name.",
    )


class CalendarFilterForm(Form):
    date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")
    )
    therapist = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="All therapists",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    room = forms.ModelChoiceField(
        queryset=Room.objects.none(),
        required=False,
        empty_label="All rooms",
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, clinic_wide: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = Room.objects.all()
        if clinic_wide:
            self.fields["therapist"].queryset = User.objects.filter(is_active=True, is_therapist=True)
        else:
            del self.fields["therapist"]
