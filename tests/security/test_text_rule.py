"""Text that is not text, and text that is too long, is a field error on every form of the product
(kapcouples.forms): every form class is walked, and the rule is tried through real pages and the admin."""

import datetime
import importlib
import inspect
import pkgutil
from urllib.parse import quote

import pytest
from django import forms
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from cases.forms import ContraindicationForm, CoupleCreateForm
from cases.models import Couple, Partner
from cases.tests.test_views import couple_form_data
from dosing.models import StockLot
from kapcouples.forms import MULTI_LINE_MAX, NOT_TEXT_MESSAGE, TextFormMixin, TextOnlyValidator
from sessions.forms import NoteForm

PROJECT = ["accounts", "audit", "cases", "clinic", "dosing", "integration", "jobs", "ops", "outbox", "pages"]
PROJECT += ["records", "sessions", "kapcouples"]


def project_form_classes():
    """Every form class defined in the product's modules (tests and migrations excluded), found by import."""
    found = {}
    for root in PROJECT:
        package = importlib.import_module(root)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{root}."):
            if ".tests" in info.name or ".migrations" in info.name or info.name.endswith(".tests"):
                continue
            module = importlib.import_module(info.name)
            for _, obj in inspect.getmembers(module, inspect.isclass):
                if issubclass(obj, forms.BaseForm) and obj.__module__ == module.__name__:
                    found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


def test_every_form_class_of_the_product_follows_the_text_rule():
    classes = project_form_classes()
    assert len(classes) >= 40, sorted(classes)  # the walk finds the forms (there are about 45)
    assert "dosing.forms.StockReceiveForm" in classes and "cases.admin.CoverForm" in classes
    missing = sorted(name for name, cls in classes.items() if not issubclass(cls, TextFormMixin))
    assert not missing, f"Derive these from kapcouples.forms.Form / ModelForm (or TextFormMixin): {missing}"


@pytest.mark.django_db
def test_every_admin_form_follows_the_text_rule(clinic_admin):
    request = RequestFactory().get("/admin/")
    request.user = clinic_admin
    checked = 0
    for model_admin in admin.site._registry.values():
        for obj in (None, model_admin.model.objects.first()):
            if obj is None and not model_admin.has_add_permission(request):
                continue
            form_class = model_admin.get_form(request, obj)
            assert issubclass(form_class, TextFormMixin), model_admin
            checked += 1
    assert checked >= 8


def test_every_text_field_has_a_length_and_the_rule_even_when_added_in_init():
    for form in (
        CoupleCreateForm(),
        ContraindicationForm(),
        NoteForm(phase="preparation", partners={"A": "Ana", "B": "Bea"}),
    ):
        text_fields = {bf.name: bf.field for bf in form if isinstance(bf.field, forms.CharField)}
        assert text_fields
        for name, field in text_fields.items():
            assert field.max_length, (form, name)
            assert TextOnlyValidator() in field.validators, (form, name)
    assert CoupleCreateForm().fields["treatment_goals"].max_length == MULTI_LINE_MAX


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["Reconnect\x07", "a\x00b", "\x1b[31m red", "x\x7f", "caf\ufffd", "next\x85line"])
def test_control_characters_are_a_field_error_on_the_couple_form(client_for, therapist, bad):
    response = client_for(therapist).post(reverse("cases:couple_create"), couple_form_data(treatment_goals=bad))
    html = response.content.decode().replace("&#x27;", "'")
    assert response.status_code == 400
    assert 'id="error_1_id_treatment_goals"' in html
    assert "This contains characters that are not text" in html
    assert not Couple.objects.exists() and not Partner.objects.exists()


@pytest.mark.django_db
def test_tabs_newlines_and_any_language_are_text(client_for, therapist, prescriber):
    goals = "Reconnect\tafter the move.\r\nRéapprendre à se parler; 重新联系 🙂"
    response = client_for(therapist).post(
        reverse("cases:couple_create"), couple_form_data(treatment_goals=goals, prescriber=prescriber.pk)
    )
    assert response.status_code == 302
    assert Couple.objects.get().treatment_goals == goals


@pytest.mark.django_db
def test_a_megabyte_of_text_is_a_field_error_not_a_row(client_for, therapist):
    response = client_for(therapist).post(
        reverse("cases:couple_create"), couple_form_data(relationship_concerns="a" * 1_000_000)
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="error_1_id_relationship_concerns"' in html
    assert f"Ensure this value has at most {MULTI_LINE_MAX} characters (it has 1000000)." in html
    assert not Couple.objects.exists()


@pytest.mark.django_db
def test_invalid_utf8_in_a_lot_number_is_a_field_error(client_for, prescriber):
    expires = (timezone.localdate() + datetime.timedelta(days=90)).isoformat()
    body = f"lot_number=LOT-%FF%FE1&product=K&expires_on={expires}&amount_mg=100"
    response = client_for(prescriber).post(
        reverse("dosing:stock"), body, content_type="application/x-www-form-urlencoded"
    )
    html = response.content.decode().replace("&#x27;", "'")
    assert response.status_code == 400
    assert "This contains characters that are not text" in html
    assert not StockLot.objects.exists()


@pytest.mark.django_db
def test_a_one_line_field_without_a_model_length_is_bounded(client_for, therapist):
    """The sign-in form's fields have no model behind them: a 100 kB username is a field error, not a 500."""
    client = client_for(therapist)
    client.logout()
    body = "username=" + quote("u" * 100_000) + "&password=" + quote("\x01")
    response = client.post(reverse("accounts:login"), body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    form = response.context["form"]
    assert "at most 150 characters" in str(form.errors["username"])
    assert NOT_TEXT_MESSAGE in str(form.errors["password"]).replace("&#x27;", "'")
