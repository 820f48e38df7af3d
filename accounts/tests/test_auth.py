"""Signing in, landing on one's home page, and getting back in with a forgotten password."""

import re

import pyotp
import pytest
from django.core import mail
from django.urls import reverse

from accounts import session_state
from conftest import PASSWORD
from jobs import tasks
from outbox.models import OutboxKind, OutboxMessage
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_therapist_lands_on_their_home_page_after_the_password(client, therapist):
    response = client.post(
        reverse("accounts:login"), {"username": therapist.username, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("accounts:therapist_home")
    assert ">My caseload</h1>" in response.content.decode()


@pytest.mark.parametrize(
    "persona, home, heading",
    [
        ("prescriber", "accounts:prescriber_home", "Prescriber review"),
        ("clinic_admin", "accounts:admin_home", "Clinic at a glance"),
    ],
)
def test_prescribers_and_admins_set_up_two_factor_then_land_on_their_home_page(client, request, persona, home, heading):
    user = request.getfixturevalue(persona)
    response = client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:two_factor_enrol"))
    secret = client.session[session_state.PENDING_SECRET]
    client.post(reverse("accounts:two_factor_enrol"), {"code": pyotp.TOTP(secret).now()})
    response = client.get(reverse("accounts:home"), follow=True)
    assert response.redirect_chain[-1][0] == reverse(home)
    assert f">{heading}</h1>" in response.content.decode()


def test_wrong_password_and_unknown_user_get_the_same_answer(client, therapist):
    wrong = client.post(reverse("accounts:login"), {"username": therapist.username, "password": "nope"})
    unknown = client.post(reverse("accounts:login"), {"username": "nobody-here", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 200
    message = "The username and password did not match an active account."
    assert wrong.content.decode().count("alert-danger") == unknown.content.decode().count("alert-danger") == 1
    assert message in wrong.content.decode() and message in unknown.content.decode()


def test_a_user_with_no_role_is_told_so(client_for):
    user = UserFactory()
    response = client_for(user).get(reverse("accounts:home"))
    assert response.status_code == 403
    assert "no clinic role yet" in response.content.decode()


def test_a_therapist_cannot_open_the_admin_home(client_for, therapist):
    assert client_for(therapist).get(reverse("accounts:admin_home")).status_code == 403


def test_therapist_home_lists_what_needs_doing(client_for, therapist, couple, other_couple):
    html = client_for(therapist).get(reverse("accounts:therapist_home")).content.decode()
    assert couple.case_number in html and other_couple.case_number not in html
    assert "Start screening" in html
    assert f"{couple.partners.get(label='A').first_name}: consent not signed" in html


def test_password_reset_by_email_lets_the_user_sign_in_with_the_new_password(client, therapist):
    client.post(reverse("accounts:password_reset"), {"email": therapist.email})
    assert mail.outbox == []  # the request only records the ask; the worker sends the e-mail
    message = OutboxMessage.objects.get(kind=OutboxKind.PASSWORD_RESET, object_id=therapist.pk)
    assert "token" not in str(message.payload)
    tasks.outbox_deliver(message.pk)
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"new_password1": "a-brand-new-passphrase", "new_password2": "a-brand-new-passphrase"})
    assert client.login(username=therapist.username, password="a-brand-new-passphrase")


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client):
    response = client.post(reverse("accounts:password_reset"), {"email": "unknown@nowhere.example"}, follow=True)
    assert "If an account uses that address" in response.content.decode()
    assert mail.outbox == [] and not OutboxMessage.objects.exists()


def test_password_change(client_for, therapist):
    client = client_for(therapist)
    client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-passphrase",
            "new_password2": "another-long-passphrase",
        },
    )
    therapist.refresh_from_db()
    assert therapist.check_password("another-long-passphrase")


def test_sign_out_is_a_post(client_for, therapist):
    client = client_for(therapist)
    assert client.get(reverse("accounts:logout")).status_code == 405
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("accounts:home")).status_code == 302
