"""The one rule for text typed into any form of the product: it is text, and it has a length.

Every form class of the project derives from ``Form`` or ``ModelForm`` here (or mixes in ``TextFormMixin``;
the admin's generated forms get it in ``audit.admin_access``), and ``tests/architecture/test_forms_text.py``
walks every form class and fails on one that does not. For every text field (``forms.CharField`` and its
subclasses) the mixin:

- refuses control characters other than tab, newline and carriage return, lone surrogates and U+FFFD (what
  Django makes of bytes that are not valid UTF-8), with a field error in plain words;
- gives a field without a ``max_length`` one: ``MULTI_LINE_MAX`` for a text area, ``SECRET_MAX`` for a
  password, ``ONE_LINE_MAX`` for any other one-line field, so a megabyte of text is a field error, not a row.

Fields added in a form's ``__init__`` after this mixin's (per-question fields, per-item notes) are covered too:
the fields are checked again at the start of ``full_clean``.
"""

import re
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.deconstruct import deconstructible

ONE_LINE_MAX = 300
MULTI_LINE_MAX = 5000
SECRET_MAX = 4096

# C0 controls except tab (09), newline (0A) and carriage return (0D); DEL and the C1 controls; lone surrogates;
# the replacement character U+FFFD that stands for bytes that were not UTF-8.
NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffd]")

NOT_TEXT_MESSAGE = (
    "This contains characters that are not text (a control character, or bytes that are not valid UTF-8). "
    "Please type it again, or paste it as plain text."
)


@deconstructible
class TextOnlyValidator:
    """Refuses a value with characters that are not text; values that are not strings are left to their field."""

    code = "not_text"
    message = NOT_TEXT_MESSAGE

    def __call__(self, value):
        if isinstance(value, str) and NOT_TEXT.search(value):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other):
        return isinstance(other, TextOnlyValidator)


class TextMaxLengthValidator(MaxLengthValidator):
    """Django's "at most N characters" message, for the string values of a field (not a UUIDField's UUID)."""

    def __call__(self, value):
        if isinstance(value, str):
            super().__call__(value)


def contains_not_text(value: str) -> bool:
    return bool(NOT_TEXT.search(value))


def default_max_length(field: forms.CharField) -> int:
    if isinstance(field.widget, forms.Textarea):
        return MULTI_LINE_MAX
    if isinstance(field.widget, forms.PasswordInput):
        return SECRET_MAX
    return ONE_LINE_MAX


def harden_text_field(field: forms.Field) -> None:
    """Gives one text field the text rule and a length, once (fields are copied per form instance)."""
    if not isinstance(field, forms.CharField) or getattr(field, "_text_rule", False):
        return
    field._text_rule = True
    field.validators.append(TextOnlyValidator())
    if field.max_length is None:
        field.max_length = default_max_length(field)
        if not field.widget.is_hidden and not isinstance(field.widget, forms.PasswordInput):
            field.widget.attrs.setdefault("maxlength", str(field.max_length))
    if not any(isinstance(v, MaxLengthValidator) for v in field.validators):
        # A length set after the field was made (Django's sign-in form sets the username's) has no validator.
        field.validators.append(TextMaxLengthValidator(field.max_length))


def harden_form(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        harden_text_field(field)


class TextFormMixin:
    """Mix into any Django form (first in the bases): every text field refuses non-text and has a length."""

    text_rule = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        harden_form(self)

    def __getitem__(self, name):
        harden_form(self)
        return super().__getitem__(name)

    def full_clean(self):
        harden_form(self)
        super().full_clean()


class Form(TextFormMixin, forms.Form):
    """The project's base for a form."""


class ModelForm(TextFormMixin, forms.ModelForm):
    """The project's base for a model form."""


def with_text_rule(form_class: type) -> type:
    """``form_class`` with the text rule mixed in (for forms built by Django, e.g. the admin's)."""
    if issubclass(form_class, TextFormMixin):
        return form_class
    return type(form_class.__name__, (TextFormMixin, form_class), {"__module__": form_class.__module__})


def submit_token_field() -> forms.UUIDField:
    """The hidden one-time token of a create form: a new one each time the empty form is shown; spent by
    accounts.submit_once when the form's submission is saved, so a double click saves one row."""
    return forms.UUIDField(required=False, widget=forms.HiddenInput, initial=uuid.uuid4)
