"""Two-factor sign-in: required for prescribers and clinic admins, optional for therapists."""

import datetime

import pyotp
import pytest
from django.urls import reverse

from accounts import session_state
from accounts.models import RecoveryCode, TOTPDevice
from audit.choices import AuditAction
from audit.models import AuditEvent
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def password_step(client, user, next_url=""):
    url = reverse("accounts:login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"username": user.username, "password": PASSWORD, "next": next_url}, follow=True)


def enrol(client, user) -> tuple[str, list[str]]:
    """Sign in with the password, set up the authenticator; returns the secret and recovery codes."""
    password_step(client, user)
    page = client.get(reverse("accounts:two_factor_enrol"))
    assert 'src="data:image/svg+xml' in page.content.decode()
    secret = client.session[session_state.PENDING_SECRET]
    response = client.post(reverse("accounts:two_factor_enrol"), {"code": pyotp.TOTP(secret).now()})
    html = response.content.decode()
    codes = html[html.index('id="recovery-codes"') :].split("<li>")[1:11]
    return secret, [code.split("</li>")[0] for code in codes]


def test_a_prescriber_must_enrol_before_reaching_any_page(client, prescriber, couple):
    password_step(client, prescriber)
    response = client.get(reverse("cases:couple_detail", kwargs={"couple_uuid": couple.uuid}))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor_enrol"))
    assert not AuditEvent.objects.filter(action=AuditAction.READ).exists()


def test_enrolment_stores_the_secret_and_only_hashes_of_ten_recovery_codes(client, prescriber):
    secret, codes = enrol(client, prescriber)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert TOTPDevice.objects.get(user=prescriber).secret == secret
    stored = set(RecoveryCode.objects.filter(user=prescriber).values_list("code_hash", flat=True))
    assert len(stored) == 10 and not stored & set(codes)
    assert client.get(reverse("accounts:home")).status_code == 302  # to the prescriber's home, not back
    assert AuditEvent.objects.filter(action=AuditAction.TWO_FACTOR_ENROLLED, actor=prescriber).exists()


def test_a_wrong_code_does_not_enrol(client, clinic_admin):
    password_step(client, clinic_admin)
    client.get(reverse("accounts:two_factor_enrol"))
    response = client.post(reverse("accounts:two_factor_enrol"), {"code": "000000"})
    assert response.status_code == 400
    assert not TOTPDevice.objects.filter(user=clinic_admin).exists()


def test_each_sign_in_asks_for_a_code_and_then_goes_where_the_user_was_going(client, prescriber, couple, time_machine):
    time_machine.move_to(START, tick=False)
    secret, _ = enrol(client, prescriber)
    client.post(reverse("accounts:logout"))
    time_machine.move_to(START + datetime.timedelta(minutes=1), tick=False)
    detail = reverse("cases:couple_detail", kwargs={"couple_uuid": couple.uuid})
    password_step(client, prescriber, next_url=detail)
    blocked = client.get(detail)
    assert blocked["Location"].startswith(reverse("accounts:two_factor_verify"))
    verify_url = blocked["Location"]
    response = client.post(verify_url, {"code": pyotp.TOTP(secret).now(), "next": detail})
    assert response["Location"] == detail
    assert client.get(detail).status_code == 200


def test_a_code_is_accepted_only_once(client, prescriber, time_machine):
    time_machine.move_to(START, tick=False)
    secret, _ = enrol(client, prescriber)
    client.post(reverse("accounts:logout"))
    time_machine.move_to(START + datetime.timedelta(seconds=60), tick=False)
    code = pyotp.TOTP(secret).now()
    password_step(client, prescriber)
    assert client.post(reverse("accounts:two_factor_verify"), {"code": code}).status_code == 302
    client.post(reverse("accounts:logout"))
    password_step(client, prescriber)
    replay = client.post(reverse("accounts:two_factor_verify"), {"code": code})
    assert replay.status_code == 400
    assert client.session[session_state.TWO_FACTOR] == session_state.VERIFY


def test_a_recovery_code_works_once(client, prescriber):
    _, codes = enrol(client, prescriber)
    client.post(reverse("accounts:logout"))
    password_step(client, prescriber)
    assert client.post(reverse("accounts:two_factor_verify"), {"code": codes[0]}).status_code == 302
    assert client.session[session_state.TWO_FACTOR] == session_state.VERIFIED
    client.post(reverse("accounts:logout"))
    password_step(client, prescriber)
    assert client.post(reverse("accounts:two_factor_verify"), {"code": codes[0]}).status_code == 400
    assert client.post(reverse("accounts:two_factor_verify"), {"code": codes[1].upper()}).status_code == 302
    assert AuditEvent.objects.filter(action=AuditAction.TWO_FACTOR_RECOVERY_USED).count() == 2


def test_wrong_codes_count_towards_the_lockout_and_sign_the_user_out(client, prescriber):
    enrol(client, prescriber)
    client.post(reverse("accounts:logout"))
    password_step(client, prescriber)
    for _ in range(5):
        response = client.post(reverse("accounts:two_factor_verify"), {"code": "123456"})
    assert response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


def test_two_factor_is_optional_for_a_therapist_and_then_asked_at_each_sign_in(client, therapist):
    response = password_step(client, therapist)
    assert response.redirect_chain[-1][0] == reverse("accounts:therapist_home")
    assert "is <strong>off</strong>" in client.get(reverse("accounts:security")).content.decode()
    client.get(reverse("accounts:two_factor_enrol"))
    secret = client.session[session_state.PENDING_SECRET]
    client.post(reverse("accounts:two_factor_enrol"), {"code": pyotp.TOTP(secret).now()})
    client.post(reverse("accounts:logout"))
    password_step(client, therapist)
    assert client.session[session_state.TWO_FACTOR] == session_state.VERIFY


def test_a_prescriber_cannot_turn_two_factor_off(client, prescriber, time_machine):
    time_machine.move_to(START, tick=False)
    secret, _ = enrol(client, prescriber)
    time_machine.move_to(START + datetime.timedelta(seconds=60), tick=False)
    client.post(reverse("accounts:security"), {"code": pyotp.TOTP(secret).now(), "action": "remove"})
    assert TOTPDevice.objects.filter(user=prescriber).exists()


def test_new_recovery_codes_replace_the_old_ones(client, therapist, time_machine):
    time_machine.move_to(START, tick=False)
    secret, old = enrol(client, therapist)
    time_machine.move_to(START + datetime.timedelta(seconds=60), tick=False)
    response = client.post(reverse("accounts:security"), {"code": pyotp.TOTP(secret).now(), "action": "renew"})
    assert response.status_code == 200 and 'id="recovery-codes"' in response.content.decode()
    client.post(reverse("accounts:logout"))
    password_step(client, therapist)
    assert client.post(reverse("accounts:two_factor_verify"), {"code": old[2]}).status_code == 400


def test_a_clinic_admin_resets_a_lost_authenticator_and_the_user_enrols_again(
    client, client_for, prescriber, clinic_admin
):
    enrol(client, prescriber)
    client.post(reverse("accounts:logout"))
    device = TOTPDevice.objects.get(user=prescriber)
    admin = client_for(clinic_admin)
    assert device.secret not in admin.get(f"/admin/accounts/totpdevice/{device.pk}/change/").content.decode()
    admin.post(f"/admin/accounts/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert not TOTPDevice.objects.filter(user=prescriber).exists()
    admin.post(reverse("accounts:logout"))
    password_step(client, prescriber)
    assert client.session[session_state.TWO_FACTOR] == session_state.ENROL
