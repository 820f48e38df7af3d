"""Repeated failed sign-ins lock the username or the client address, and the page never tells whether
an account exists."""

import datetime

import pytest
from django.urls import reverse

from accounts.forms import SIGN_IN_REFUSED
from accounts.models import LoginLockout
from audit.choices import AuditAction
from audit.models import AuditEvent
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def sign_in(client, username, password, address="10.0.0.1"):
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def refusal(response) -> str:
    html = response.content.decode()
    start = html.index('<div class="alert alert-danger"')
    return html[start : html.index("</div>", start)]


def test_five_failures_lock_the_username_even_against_the_right_password(client, therapist, time_machine):
    time_machine.move_to(START, tick=False)
    for _ in range(5):
        sign_in(client, therapist.username, "wrong")
    response = sign_in(client, therapist.username, PASSWORD)
    assert not signed_in(client)
    assert SIGN_IN_REFUSED in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.LOCKOUT, actor_username=therapist.username).exists()

    time_machine.move_to(START + datetime.timedelta(minutes=16), tick=False)
    sign_in(client, therapist.username, PASSWORD)
    assert signed_in(client)


def test_a_locked_username_and_an_unknown_one_get_the_same_answer_as_a_wrong_password(client, therapist):
    first_wrong = sign_in(client, therapist.username, "wrong")
    unknown_first = sign_in(client, "nobody-at-all", "wrong")
    for _ in range(5):
        sign_in(client, therapist.username, "wrong")
        sign_in(client, "nobody-at-all", "wrong")
    locked_real = sign_in(client, therapist.username, PASSWORD)
    locked_unknown = sign_in(client, "nobody-at-all", "wrong")
    answers = {refusal(r) for r in (first_wrong, unknown_first, locked_real, locked_unknown)}
    assert len(answers) == 1 and SIGN_IN_REFUSED in answers.pop()
    assert {r.status_code for r in (first_wrong, unknown_first, locked_real, locked_unknown)} == {200}
    # Unknown names are locked exactly like real ones, so a lockout reveals nothing either.
    assert LoginLockout.objects.filter(key="nobody-at-all").exists()


def test_a_success_starts_the_count_again(client, therapist):
    for _ in range(4):
        sign_in(client, therapist.username, "wrong")
    sign_in(client, therapist.username, PASSWORD)
    client.post(reverse("accounts:logout"))
    for _ in range(4):
        sign_in(client, therapist.username, "wrong")
    sign_in(client, therapist.username, PASSWORD)
    assert signed_in(client)


def test_twenty_failures_from_one_address_lock_that_address_for_everyone(client, therapist, settings):
    for number in range(20):
        sign_in(client, f"guess{number}", "wrong", address="203.0.113.9")
    sign_in(client, therapist.username, PASSWORD, address="203.0.113.9")
    assert not signed_in(client)
    sign_in(client, therapist.username, PASSWORD, address="198.51.100.4")
    assert signed_in(client)


def test_the_address_behind_a_trusted_proxy_is_the_forwarded_one(client, therapist, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for number in range(20):
        client.post(
            reverse("accounts:login"),
            {"username": f"guess{number}", "password": "x"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="spoofed, 203.0.113.9",
        )
    assert LoginLockout.objects.filter(scope="address", key="203.0.113.9").exists()
    # Another client behind the same proxy is not locked.
    client.post(
        reverse("accounts:login"),
        {"username": therapist.username, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.4",
    )
    assert signed_in(client)
