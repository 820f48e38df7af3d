"""A double click stores one row: the booking and couple-create forms carry a one-time token, spent in the
transaction that saves (accounts.submit_once); the second submission is shown what the first one saved."""

import re
import threading
import uuid

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import SubmitToken
from accounts.submit_once import AlreadySubmitted, submit_once
from cases import services as case_services
from cases.models import Couple, Partner
from cases.tests.test_views import couple_form_data
from sessions.models import TherapySession
from sessions.tests.helpers import A
from sessions.tests.test_views import booking

pytestmark = pytest.mark.django_db


def token_on(html: str, name: str = "submit_token") -> str:
    return re.search(rf'name="{name}" value="([0-9a-f-]+)"', html).group(1)


def test_the_booking_form_sent_twice_books_one_session(frozen, client_for, therapist, active_couple):
    client = client_for(therapist)
    token = token_on(client.get(reverse("sessions:session_new")).content.decode())
    first = client.post(reverse("sessions:session_new"), booking(active_couple, A, submit_token=token))
    second = client.post(reverse("sessions:session_new"), booking(active_couple, A, submit_token=token), follow=True)
    session = TherapySession.objects.get()
    assert first.status_code == 302 and first["Location"] == reverse("sessions:session_detail", args=[session.uuid])
    assert second.redirect_chain[-1][0] == reverse("sessions:session_detail", args=[session.uuid])
    assert "This form was sent twice; the session was booked once" in second.content.decode()


def test_each_showing_of_the_booking_form_has_its_own_token(frozen, client_for, therapist):
    client = client_for(therapist)
    tokens = {token_on(client.get(reverse("sessions:session_new")).content.decode()) for _ in range(2)}
    assert len(tokens) == 2


def test_a_refused_booking_does_not_spend_its_token(frozen, client_for, therapist, active_couple):
    client = client_for(therapist)
    token = str(uuid.uuid4())
    refused = client.post(
        reverse("sessions:session_new"), booking(active_couple, A, start="2030-03-01T10:00", submit_token=token)
    )
    assert refused.status_code == 400 and not SubmitToken.objects.exists()
    assert token_on(refused.content.decode()) == token  # the corrected form is sent with the same token
    corrected = client.post(reverse("sessions:session_new"), booking(active_couple, A, submit_token=token))
    assert corrected.status_code == 302 and TherapySession.objects.count() == 1


def test_the_couple_form_sent_twice_opens_one_case(client_for, therapist, prescriber):
    client = client_for(therapist)
    token = token_on(client.get(reverse("cases:couple_create")).content.decode())
    data = couple_form_data(prescriber=prescriber.pk, submit_token=token)
    first = client.post(reverse("cases:couple_create"), data)
    second = client.post(reverse("cases:couple_create"), data, follow=True)
    couple = Couple.objects.get()
    assert Partner.objects.count() == 2
    assert first["Location"] == second.redirect_chain[-1][0] == reverse("cases:couple_detail", args=[couple.uuid])
    assert "the case was opened once" in second.content.decode()


def test_another_users_token_is_not_theirs(client_for, therapist, other_therapist, prescriber):
    """Tokens are spent per user: a token seen by someone else does not show them the first case."""
    token = str(uuid.uuid4())
    client_for(therapist).post(
        reverse("cases:couple_create"), couple_form_data(prescriber=prescriber.pk, submit_token=token)
    )
    response = client_for(other_therapist).post(
        reverse("cases:couple_create"),
        couple_form_data(prescriber=prescriber.pk, submit_token=token, case_number="KAP-0501"),
    )
    assert response.status_code == 400  # the e-mail addresses are taken: refused as a new case, not redirected
    assert Couple.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submissions_save_once(therapist, prescriber):
    """Two requests with one token at the same moment: the second waits on the token, then finds it spent."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    token = uuid.uuid4()
    barrier = threading.Barrier(2)
    outcomes = []

    def open_case(n):
        from cases.forms import CoupleCreateForm, PartnerForm

        try:
            barrier.wait()
            data = couple_form_data(prescriber=prescriber.pk)
            form = CoupleCreateForm(data)
            partners = [PartnerForm(data, prefix=p) for p in ("partner_a", "partner_b")]
            assert form.is_valid() and all(p.is_valid() for p in partners)
            submit_once(
                user=therapist,
                token=token,
                purpose="couple_create",
                action=lambda: case_services.couple_create(
                    by=therapist,
                    couple=form.save(commit=False),
                    therapists=[],
                    partners=[p.save(commit=False) for p in partners],
                ),
                result_url=lambda couple: f"/couples/{couple.uuid}/",
            )
            outcomes.append("saved")
        except AlreadySubmitted:
            outcomes.append("already")
        except Exception as exc:  # noqa: BLE001 - reported below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=open_case, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["already", "saved"]
    assert Couple.objects.count() == 1 and Partner.objects.count() == 2
