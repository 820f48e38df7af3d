"""Commitments: made in an integration session with an owner of this couple, reviewed in later sessions."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dosing.tests.factories import approval_on_file
from integration import services
from integration.models import Commitment, CommitmentEvent, IntegrationRecord
from sessions.choices import SessionStatus
from sessions.models import SessionNote
from sessions.tests.helpers import I, M, P, at, held

pytestmark = pytest.mark.django_db
DUE = datetime.date(2030, 2, 25)


def add(therapist, session, owner, **kwargs):
    values = {"kind": "practice", "text": "Ten minutes of eye contact each evening", "due_on": DUE, **kwargs}
    return services.commitment_add(by=therapist, session=session, owner=owner, **values)


def test_an_integration_session_is_linked_to_the_medicine_session_it_follows(one_cycle):
    record = IntegrationRecord.objects.get(session=one_cycle["integration"])
    assert record.follows == one_cycle["medicine"]


def test_the_link_moves_when_a_later_medicine_session_enters_the_plan(one_cycle, active_couple, therapist):
    held(active_couple, therapist, P, at(14, month=2))
    held(active_couple, therapist, P, at(16, month=2))
    second = held(active_couple, therapist, M, at(20, month=2))
    later = held(active_couple, therapist, I, at(21, month=2))
    assert IntegrationRecord.objects.get(session=later).follows == second
    assert IntegrationRecord.objects.get(session=one_cycle["integration"]).follows == one_cycle["medicine"]


def test_a_commitment_is_made_with_an_owner_due_date_and_a_history_line(one_cycle, therapist, partners):
    commitment = add(therapist, one_cycle["integration"], partners["B"])
    assert (commitment.owner, commitment.status, commitment.due_on) == ("B", "open", DUE)
    assert commitment.made_in.follows == one_cycle["medicine"]
    event = commitment.events.get()
    assert (event.kind, event.actor, event.session) == ("created", therapist, one_cycle["integration"])
    assert add(therapist, one_cycle["integration"], "both").owner == "both"


def test_an_owner_who_is_not_a_partner_of_this_couple_is_refused_and_nothing_saved(one_cycle, therapist, other_couple):
    stranger = other_couple.partners.first()
    with pytest.raises(ValidationError) as caught:
        add(therapist, one_cycle["integration"], stranger)
    assert caught.value.message_dict["owner"] == [
        "The owner must be partner A, partner B or both partners of this couple."
    ]
    with pytest.raises(ValidationError):
        add(therapist, one_cycle["integration"], "partner C")
    assert not Commitment.objects.exists()


def test_a_commitment_is_made_in_an_integration_session_that_took_place(one_cycle, therapist, partners, active_couple):
    with pytest.raises(ValidationError, match="integration sessions"):
        add(therapist, one_cycle["prep1"], partners["A"])
    future = held(active_couple, therapist, I, at(20, month=3), status=SessionStatus.SCHEDULED)
    with pytest.raises(ValidationError, match="has not started yet"):
        add(therapist, future, partners["A"], due_on=datetime.date(2030, 4, 1))
    with pytest.raises(ValidationError) as caught:
        add(therapist, one_cycle["integration"], partners["A"], text=" ", due_on=datetime.date(2030, 2, 1))
    assert set(caught.value.message_dict) == {"text", "due_on"}
    assert not Commitment.objects.exists()


def test_later_sessions_review_and_update_the_status_with_who_and_when(one_cycle, therapist, partners, active_couple):
    commitment = add(therapist, one_cycle["integration"], partners["A"])
    later = held(active_couple, therapist, I, at(14, month=2))
    services.commitment_review(
        by=therapist, commitment=commitment, session=later, to_status="open", note="Managed three evenings"
    )
    services.commitment_review(by=therapist, commitment=commitment, session=later, to_status="in_progress")
    commitment = services.commitment_review(by=therapist, commitment=commitment, session=later, to_status="done")
    assert commitment.status == "done" and commitment.status_changed_by == therapist
    assert [(e.kind, e.from_status, e.to_status) for e in commitment.events.all()] == [
        ("created", "", "open"),
        ("reviewed", "open", "open"),
        ("status", "open", "in_progress"),
        ("status", "in_progress", "done"),
    ]
    with pytest.raises(ValidationError, match="cannot become open"):
        services.commitment_review(by=therapist, commitment=commitment, session=later, to_status="open", note="x")


def test_dropping_needs_a_reason_and_an_unchanged_review_needs_a_note(one_cycle, therapist, partners, active_couple):
    commitment = add(therapist, one_cycle["integration"], partners["A"])
    later = held(active_couple, therapist, I, at(14, month=2))
    for status in ("dropped", "open"):
        with pytest.raises(ValidationError) as caught:
            services.commitment_review(by=therapist, commitment=commitment, session=later, to_status=status)
        assert "note" in caught.value.message_dict
    assert CommitmentEvent.objects.count() == 1


def test_another_therapist_cannot_record_integration_work(one_cycle, other_therapist, partners):
    with pytest.raises(ValidationError, match="Only the couple's therapists"):
        add(other_therapist, one_cycle["integration"], partners["A"])


def test_the_next_preparation_shows_open_commitments_and_the_last_shared_insights(
    client_for, one_cycle, therapist, partners, active_couple
):
    add(therapist, one_cycle["integration"], partners["A"], text="Weekly walk without phones")
    SessionNote.objects.create(
        session=one_cycle["integration"],
        author=therapist,
        content={"shared_insights": "We both withdraw when we feel criticised."},
    )
    prep = held(active_couple, therapist, P, at(18, month=2))
    page = client_for(therapist).get(reverse("sessions:session_detail", args=[prep.uuid])).content.decode()
    assert "Carried into this cycle" in page
    assert "We both withdraw when we feel criticised." in page
    assert "Weekly walk without phones" in page
    assert "Save review" in page


def test_commitment_form_from_the_page(client_for, one_cycle, therapist, partners):
    session = one_cycle["integration"]
    url = reverse("integration:commitment_add", args=[session.uuid])
    data = {
        "commitment-kind": "conversation",
        "commitment-text": "Talk about money on Sundays",
        "commitment-owner": str(partners["B"].uuid),
        "commitment-due_on": "2030-03-01",
    }
    response = client_for(therapist).post(url, data)
    assert response.status_code == 302
    page = client_for(therapist).get(response["Location"]).content.decode()
    assert "Talk about money on Sundays" in page and "Partner B (" in page


def test_a_crafted_post_with_another_couples_partner_as_owner_saves_nothing(
    client_for, one_cycle, therapist, other_couple
):
    url = reverse("integration:commitment_add", args=[one_cycle["integration"].uuid])
    data = {
        "commitment-kind": "practice",
        "commitment-text": "x",
        "commitment-due_on": "2030-03-01",
        "commitment-owner": str(other_couple.partners.first().uuid),
    }
    response = client_for(therapist).post(url, data)
    assert response.status_code == 400
    assert "Choose partner A, partner B or both partners of this couple." in response.content.decode()
    assert not Commitment.objects.exists()


def test_a_crafted_review_of_another_couples_commitment_is_404(
    client_for, one_cycle, therapist, other_therapist, other_couple, other_prescriber, partners
):
    commitment = add(therapist, one_cycle["integration"], partners["A"])
    approval_on_file(other_couple, other_prescriber)
    theirs = held(other_couple, other_therapist, I, at(11, month=2))
    url = reverse("integration:commitment_review", args=[theirs.uuid])
    client = client_for(other_therapist)
    assert client.post(url, {"commitment": commitment.uuid, "to_status": "dropped", "note": "x"}).status_code == 404
    commitment.refresh_from_db()
    assert commitment.status == "open"
