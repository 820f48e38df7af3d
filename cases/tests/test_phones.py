"""Phone numbers: stored in E.164 for the clinic's region, refused with a reason when they cannot be numbers or
cannot take texts, from the form, the service and the database; unreadable old numbers stay visible to correct."""

from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from cases import services
from cases.choices import ReminderChannel
from cases.models import Partner
from cases.phones import phone_display, phone_normalize, phone_sms_problem

pytestmark = pytest.mark.django_db


def edit_values(partner, **changes):
    values = {
        "first_name": partner.first_name,
        "last_name": partner.last_name,
        "date_of_birth": partner.date_of_birth.isoformat(),
        "pronouns": partner.pronouns,
        "email": partner.email,
        "phone": partner.phone,
        "reminder_channel": partner.reminder_channel,
        "emergency_contact_name": "",
        "emergency_contact_phone": "",
        "emergency_contact_relationship": "",
    }
    return {**values, **changes}


@pytest.mark.parametrize("typed", ["(202) 555-0143", "202.555.0143", "+1 202 555 0143", "1-202-555-0143"])
def test_a_number_typed_the_clinics_way_is_stored_in_e164(typed):
    assert phone_normalize(typed) == "+12025550143"


def test_a_foreign_number_keeps_its_country_and_is_shown_internationally(settings):
    settings.CLINIC_PHONE_REGION = "US"
    assert phone_normalize("+44 7400 123 456") == "+447400123456"
    assert phone_display("+447400123456") == "+44 7400 123456"
    assert phone_display("+12025550143") == "(202) 555-0143"


def test_the_region_is_a_setting(settings):
    settings.CLINIC_PHONE_REGION = "GB"
    assert phone_normalize("07400 123456") == "+447400123456"
    assert phone_display("+447400123456") == "07400 123456"


@pytest.mark.parametrize("typed", ["555-0143", "12345", "call me", "+1 555 0100 0001"])
def test_something_that_is_not_a_number_is_refused_with_an_example(typed):
    with pytest.raises(ValidationError) as refused:
        phone_normalize(typed)
    assert "Enter a phone number the clinic can call, e.g. (201) 555-0123" in refused.value.messages[0]


def test_a_landline_cannot_take_text_reminders_where_the_plan_says_so():
    assert "landline" in phone_sms_problem("+44 20 7946 0958")
    assert phone_sms_problem("+447400123456") == ""
    assert phone_sms_problem("+12025550143") == ""  # the North American plan does not tell them apart


def test_the_partner_form_stores_e164_and_shows_it_nationally(client_for, therapist, couple):
    partner = couple.partners.get(label="A")
    url = reverse("cases:partner_edit", args=[couple.uuid, partner.uuid])
    response = client_for(therapist).post(url, edit_values(partner, phone="(202) 555-0143"))
    assert response.status_code == 302
    partner.refresh_from_db()
    assert partner.phone == "+12025550143"
    assert (
        "(202) 555-0143"
        in client_for(therapist).get(reverse("cases:couple_detail", args=[couple.uuid])).content.decode()
    )
    assert 'value="(202) 555-0143"' in client_for(therapist).get(url).content.decode()


def test_the_form_refuses_a_landline_for_texts_next_to_the_phone_field(client_for, therapist, couple):
    partner = couple.partners.get(label="A")
    url = reverse("cases:partner_edit", args=[couple.uuid, partner.uuid])
    response = client_for(therapist).post(
        url, edit_values(partner, phone="+44 20 7946 0958", reminder_channel=ReminderChannel.SMS)
    )
    assert response.status_code == 400
    assert "landline number; it cannot receive text messages" in response.context["form"].errors["phone"][0]
    partner.refresh_from_db()
    assert partner.reminder_channel != ReminderChannel.SMS


def test_the_service_normalizes_and_refuses_like_the_form(therapist, couple):
    partner = couple.partners.get(label="B")
    services.partner_update(by=therapist, partner=partner, values={"phone": "202 555 0199"})
    assert Partner.objects.get(pk=partner.pk).phone == "+12025550199"
    with pytest.raises(ValidationError) as refused:
        services.partner_update(by=therapist, partner=partner, values={"phone": "not a number"})
    assert "phone" in refused.value.message_dict


def test_the_database_refuses_a_number_not_in_e164(couple):
    with pytest.raises(IntegrityError), transaction.atomic():
        Partner.objects.filter(couple=couple, label="A").update(phone="(202) 555-0143")


def test_the_migration_converts_readable_numbers_and_keeps_unreadable_ones_to_correct(couple):
    migration = import_module("cases.migrations.0004_partner_phone_e164")
    with connection.cursor() as cursor:  # the rows as they were before: the test's transaction puts it back
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE cases_partner DROP CONSTRAINT partner_phone_e164")
    Partner.objects.filter(couple=couple, label="A").update(phone="(202) 555-0143")
    Partner.objects.filter(couple=couple, label="B").update(phone="555 12", reminder_channel="sms")
    migration.numbers_to_e164(django_apps, None)
    a, b = Partner.objects.filter(couple=couple).order_by("label")
    assert (a.phone, a.phone_to_correct) == ("+12025550143", "")
    assert (b.phone, b.phone_to_correct, b.reminder_channel) == ("", "555 12", ReminderChannel.SMS)


def test_an_unreadable_old_number_is_shown_for_correction(client_for, therapist, couple):
    Partner.objects.filter(couple=couple, label="A").update(phone="", phone_to_correct="555 12")
    page = client_for(therapist).get(reverse("cases:couple_detail", args=[couple.uuid])).content.decode()
    assert "\u201c555 12\u201d is not a valid phone number: correct it" in page
    partner = couple.partners.get(label="A")
    form_page = client_for(therapist).get(reverse("cases:partner_edit", args=[couple.uuid, partner.uuid]))
    assert "not a valid number: \u201c555 12\u201d" in form_page.content.decode()


def test_the_emergency_contacts_number_is_stored_in_e164_and_shown_nationally(client_for, therapist, couple):
    partner = couple.partners.get(label="A")
    url = reverse("cases:partner_edit", args=[couple.uuid, partner.uuid])
    values = edit_values(partner, emergency_contact_name="Sam Okafor", emergency_contact_phone="202.555.0177")
    assert client_for(therapist).post(url, values).status_code == 302
    partner.refresh_from_db()
    assert partner.emergency_contact_phone == "+12025550177"
    page = client_for(therapist).get(reverse("cases:couple_detail", args=[couple.uuid])).content.decode()
    assert "Sam Okafor, (202) 555-0177" in page
    assert 'value="(202) 555-0177"' in client_for(therapist).get(url).content.decode()


def test_the_form_refuses_an_emergency_number_that_is_not_a_number_next_to_its_field(client_for, therapist, couple):
    partner = couple.partners.get(label="A")
    url = reverse("cases:partner_edit", args=[couple.uuid, partner.uuid])
    response = client_for(therapist).post(url, edit_values(partner, emergency_contact_phone="ask at reception"))
    assert response.status_code == 400
    error = response.context["form"].errors["emergency_contact_phone"][0]
    assert error.startswith("The emergency contact's number is not a phone number. Enter a phone number")
    assert (
        "ask at reception"
        not in Partner.objects.filter(pk=partner.pk).values_list("emergency_contact_phone", flat=True)[0]
    )


def test_the_service_normalizes_and_refuses_the_emergency_number_like_the_form(therapist, couple):
    partner = couple.partners.get(label="B")
    services.partner_update(by=therapist, partner=partner, values={"emergency_contact_phone": "+44 7400 123 456"})
    assert Partner.objects.get(pk=partner.pk).emergency_contact_phone == "+447400123456"
    with pytest.raises(ValidationError) as refused:
        services.partner_update(by=therapist, partner=partner, values={"emergency_contact_phone": "12345"})
    assert "emergency_contact_phone" in refused.value.message_dict


def test_the_migration_converts_readable_emergency_numbers_and_leaves_the_rest_as_typed(client_for, therapist, couple):
    migration = import_module("cases.migrations.0007_emergency_contact_phone_e164")
    Partner.objects.filter(couple=couple, label="A").update(emergency_contact_phone="(202) 555-0143")
    Partner.objects.filter(couple=couple, label="B").update(
        emergency_contact_name="Jo", emergency_contact_phone="ext 12"
    )
    migration.emergency_numbers_to_e164(django_apps, None)
    a, b = Partner.objects.filter(couple=couple).order_by("label")
    assert a.emergency_contact_phone == "+12025550143"
    assert b.emergency_contact_phone == "ext 12"
    page = client_for(therapist).get(reverse("cases:couple_detail", args=[couple.uuid])).content.decode()
    assert "Jo, ext 12" in page
