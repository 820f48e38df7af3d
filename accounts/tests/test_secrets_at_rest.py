"""TOTP secrets are encrypted at rest and keys rotate; the admin's sign-in page is the product's."""

import pyotp
import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from accounts import session_state
from accounts.crypto import SecretUnreadable
from accounts.models import TOTPDevice
from accounts.services import totp_device_confirm
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def stored(device) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM accounts_totpdevice WHERE id = %s", [device.pk])
        return cursor.fetchone()[0]


def enrolled(user) -> tuple[TOTPDevice, str]:
    secret = pyotp.random_base32()
    totp_device_confirm(user=user, secret=secret, code=pyotp.TOTP(secret).now())
    return TOTPDevice.objects.get(user=user), secret


def test_the_database_holds_only_ciphertext_of_the_secret(prescriber):
    device, secret = enrolled(prescriber)
    assert device.secret == secret
    raw = stored(device)
    assert secret not in raw and raw.startswith("gAAAA")  # a Fernet token


def test_rotation_re_encrypts_under_the_new_key_and_the_old_key_can_go(settings, prescriber):
    old = settings.TOTP_ENCRYPTION_KEYS[0]
    device, secret = enrolled(prescriber)
    new = Fernet.generate_key().decode()
    settings.TOTP_ENCRYPTION_KEYS = [new, old]
    before = stored(device)
    call_command("totp_keys_rotate")
    assert stored(device) != before
    settings.TOTP_ENCRYPTION_KEYS = [new]
    assert TOTPDevice.objects.get(pk=device.pk).secret == secret
    settings.TOTP_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(SecretUnreadable):
        TOTPDevice.objects.get(pk=device.pk)


def test_the_admin_sign_in_page_sends_to_the_product_sign_in(client):
    response = client.get("/admin/login/?next=/admin/dosing/approval/")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login") + "?next=%2Fadmin%2Fdosing%2Fapproval%2F"
    # A password posted to the admin's login URL signs nobody in.
    client.post("/admin/login/", {"username": "ada", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_the_admin_is_reached_only_past_the_second_factor(client, clinic_admin):
    enrolled(clinic_admin)
    client.post(
        reverse("accounts:login") + "?next=/admin/",
        {"username": clinic_admin.username, "password": PASSWORD, "next": "/admin/"},
    )
    assert client.session.get(session_state.TWO_FACTOR) == session_state.VERIFY
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"] != "/admin/"
    assert not response["Location"].startswith("/admin/")


def test_the_admin_sign_in_honours_the_lockout(client, clinic_admin):
    for _ in range(6):
        client.post(reverse("accounts:login"), {"username": clinic_admin.username, "password": "wrong"})
    client.post(
        reverse("accounts:login") + "?next=/admin/",
        {"username": clinic_admin.username, "password": PASSWORD, "next": "/admin/"},
    )
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302
