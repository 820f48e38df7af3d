"""Questionnaire links: e-mailed, opened without an account, answered once, expiring, withdrawable."""

import datetime
import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases.models import QuestionnaireResponse
from integration import services
from integration.models import QuestionnaireLink, token_hash
from integration.urls import urlpatterns
from integration.views import PUBLIC_VIEWS

pytestmark = pytest.mark.django_db
GAD7_NINE = {f"item_{n}": v for n, v in enumerate([3, 2, 2, 1, 1, 0, 0], start=1)}  # 9, mild


@pytest.fixture
def send(frozen, django_capture_on_commit_callbacks, therapist, active_couple, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the worker's delivery runs inline once the send commits

    def send_link(partner, instrument="GAD7", context="post_integration", by=None):
        with django_capture_on_commit_callbacks(execute=True):
            sent = services.questionnaire_link_send(
                by=by or therapist,
                partner=partner,
                instrument=instrument,
                context=context,
                site_url="http://testserver/",
            )
        return sent

    return send_link


def path_of(sent):
    return sent.url.removeprefix("http://testserver")


def test_the_email_carries_a_link_for_that_partner_only(send, partners):
    sent = send(partners["A"])
    message = mail.outbox[-1]
    assert message.to == [partners["A"].email]
    assert sent.url in message.body and partners["A"].first_name in message.body
    other = partners["B"]
    assert other.first_name not in message.body and other.last_name not in message.body
    assert partners["A"].couple.case_number not in message.body
    token = re.search(r"/q/([\w-]+)/", message.body).group(1)
    link = QuestionnaireLink.objects.get()
    assert link.token_hash == token_hash(token) and token not in link.token_hash
    assert link.emailed_at is not None
    assert link.expires_at - link.created_at == datetime.timedelta(days=7)


def test_a_partner_without_email_gets_a_clear_refusal(send, partners):
    partner = partners["B"]
    type(partner).objects.filter(pk=partner.pk).update(email="", reminder_channel="none")
    partner.refresh_from_db()
    with pytest.raises(ValidationError, match="has no e-mail address"):
        send(partner)
    assert not QuestionnaireLink.objects.exists() and not mail.outbox


def test_the_partner_answers_without_signing_in_and_the_answers_are_scored(send, partners, client):
    sent = send(partners["A"])
    page = client.get(path_of(sent))
    html = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"].startswith("max-age=0")
    assert "GAD-7 for " + partners["A"].first_name in html
    assert partners["A"].last_name not in html and partners["B"].first_name not in html
    response = client.post(path_of(sent), GAD7_NINE)
    assert response["Location"] == reverse("integration:questionnaire_thanks")
    stored = QuestionnaireResponse.objects.get()
    assert (stored.partner, stored.score, stored.context, stored.recorded_by) == (
        partners["A"],
        9,
        "post_integration",
        None,
    )
    link = QuestionnaireLink.objects.get()
    assert link.response == stored and link.used_at is not None


def test_a_link_used_twice_says_so_and_saves_nothing_more(send, partners, client):
    sent = send(partners["A"])
    client.post(path_of(sent), GAD7_NINE)
    again = client.post(path_of(sent), GAD7_NINE)
    assert again.status_code == 410
    assert "already been answered" in again.content.decode()
    assert "already been answered" in client.get(path_of(sent)).content.decode()
    assert QuestionnaireResponse.objects.count() == 1


def test_an_expired_link_says_plainly_that_it_expired(send, partners, client, frozen):
    sent = send(partners["A"])
    frozen.move_to(datetime.datetime(2030, 3, 11, 8, 1, tzinfo=datetime.UTC) + datetime.timedelta(hours=5))
    response = client.post(path_of(sent), GAD7_NINE)
    assert response.status_code == 410
    assert "This link expired on 11 March 2030. Ask your clinic to send you a new one." in response.content.decode()
    assert not QuestionnaireResponse.objects.exists()


def test_a_withdrawn_link_says_it_was_withdrawn(send, partners, client, therapist):
    sent = send(partners["A"])
    services.questionnaire_link_withdraw(by=therapist, link=sent.link, reason="Recorded in the session instead")
    response = client.get(path_of(sent))
    assert response.status_code == 410 and "withdrawn by your clinic" in response.content.decode()
    assert client.post(path_of(sent), GAD7_NINE).status_code == 410
    assert not QuestionnaireResponse.objects.exists()
    with pytest.raises(ValidationError, match="already withdrawn"):
        services.questionnaire_link_withdraw(by=therapist, link=sent.link)


def test_a_newer_link_replaces_the_older_one(send, partners, client):
    first = send(partners["A"])
    second = send(partners["A"])
    assert "withdrawn" in client.get(path_of(first)).content.decode()
    assert client.get(path_of(second)).status_code == 200
    assert QuestionnaireLink.objects.get(pk=first.link.pk).withdraw_reason == "Replaced by a newer link."


def test_an_answered_link_cannot_be_withdrawn(send, partners, client, therapist):
    sent = send(partners["A"])
    client.post(path_of(sent), GAD7_NINE)
    with pytest.raises(ValidationError, match="already answered"):
        services.questionnaire_link_withdraw(by=therapist, link=sent.link)


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({**GAD7_NINE, "item_3": "7"}, "item_3", "Answers to this item run from 0 to 3."),
        ({k: v for k, v in GAD7_NINE.items() if k != "item_7"}, "item_7", "Answer this item."),
        ({**GAD7_NINE, "item_1": "-1"}, "item_1", "Answers to this item run from 0 to 3."),
    ],
)
def test_bad_answers_are_shown_next_to_the_item_and_nothing_is_saved(send, partners, client, data, field, message):
    sent = send(partners["A"])
    response = client.post(path_of(sent), data)
    assert response.status_code == 400
    assert f'id="id_{field}-error">{message}' in response.content.decode()
    assert not QuestionnaireResponse.objects.exists()
    assert QuestionnaireLink.objects.get().used_at is None  # the link still works


def test_the_service_refuses_an_answer_outside_the_range_even_past_the_form(send, partners):
    sent = send(partners["A"])
    token = sent.url.rstrip("/").rsplit("/", 1)[-1]
    with pytest.raises(ValidationError) as caught:
        services.questionnaire_link_submit(token=token, answers=[3, 2, 9, 1, 1, 0, 0])
    assert "item_3" in caught.value.message_dict
    assert not QuestionnaireResponse.objects.exists() and QuestionnaireLink.objects.get().used_at is None


def test_an_unknown_token_is_a_plain_404(client, db):
    response = client.get(reverse("integration:questionnaire_fill", args=["not-a-real-token"]))
    assert response.status_code == 404 and "not valid" in response.content.decode()


def test_the_public_views_are_declared(db):
    public = {f"integration:{p.name}" for p in urlpatterns if getattr(p.callback, "public", False)}
    assert public == set(PUBLIC_VIEWS) == {"integration:questionnaire_fill", "integration:questionnaire_thanks"}


def test_the_therapist_sends_and_withdraws_from_the_pages(client_for, therapist, one_cycle, partners):
    client = client_for(therapist)
    session = one_cycle["integration"]
    couple = partners["A"].couple
    url = reverse("integration:link_send", args=[couple.uuid, partners["A"].uuid, "GAD7"])
    response = client.post(url, {"context": "post_integration", "session": session.uuid})
    assert response["Location"] == reverse("sessions:session_detail", args=[session.uuid])
    link = QuestionnaireLink.objects.get()
    assert link.session == session
    page = client.get(reverse("integration:couple_integration", args=[couple.uuid])).content.decode()
    assert f'data-link="{link.uuid}" data-state="live"' in page
    client.post(reverse("integration:link_withdraw", args=[couple.uuid]), {"link": link.uuid})
    link.refresh_from_db()
    assert link.withdrawn_by == therapist


def test_a_crafted_withdraw_of_another_couples_link_is_404(client_for, send, partners, other_therapist, other_couple):
    sent = send(partners["A"])
    response = client_for(other_therapist).post(
        reverse("integration:link_withdraw", args=[other_couple.uuid]), {"link": sent.link.uuid}
    )
    assert response.status_code == 404
    assert QuestionnaireLink.objects.get().withdrawn_at is None


def test_a_crafted_send_with_an_unknown_context_is_refused(client_for, therapist, one_cycle, partners):
    couple = partners["A"].couple
    url = reverse("integration:link_send", args=[couple.uuid, partners["A"].uuid, "GAD7"])
    client_for(therapist).post(url, {"context": "whenever"})
    assert not QuestionnaireLink.objects.exists()


def test_the_email_leaves_with_the_worker_not_the_request_and_its_token_is_then_erased(
    frozen, therapist, partners, active_couple
):
    from jobs import tasks
    from outbox.models import OutboxKind, OutboxMessage

    sent = services.questionnaire_link_send(
        by=therapist,
        partner=partners["A"],
        instrument="GAD7",
        context="post_integration",
        site_url="http://testserver/",
    )
    assert not mail.outbox  # nothing slow in the request
    message = OutboxMessage.objects.get(kind=OutboxKind.QUESTIONNAIRE_LINK, object_id=sent.link.pk)
    assert tasks.outbox_deliver(message.pk) is True
    assert len(mail.outbox) == 1 and sent.url in mail.outbox[0].body
    message.refresh_from_db()
    assert message.payload == {}  # the token lived in the outbox only until the e-mail left
    sent.link.refresh_from_db()
    assert sent.link.emailed_at is not None


def test_a_link_withdrawn_before_the_worker_sends_it_is_never_emailed(frozen, therapist, partners, active_couple):
    from jobs import tasks
    from outbox.models import OutboxKind, OutboxMessage

    sent = services.questionnaire_link_send(
        by=therapist,
        partner=partners["A"],
        instrument="GAD7",
        context="post_integration",
        site_url="http://testserver/",
    )
    services.questionnaire_link_withdraw(by=therapist, link=sent.link, reason="Sent to the wrong partner")
    tasks.outbox_deliver(OutboxMessage.objects.get(kind=OutboxKind.QUESTIONNAIRE_LINK).pk)
    assert not mail.outbox


def test_the_emailed_mark_and_replacements_are_on_the_audit_trail_and_a_failed_audit_undoes_the_mark(
    frozen, therapist, partners, active_couple, monkeypatch
):
    from audit.models import AuditEvent
    from jobs import tasks
    from outbox.models import OutboxKind, OutboxMessage

    first = services.questionnaire_link_send(
        by=therapist,
        partner=partners["A"],
        instrument="GAD7",
        context="post_integration",
        site_url="http://testserver/",
    )
    services.questionnaire_link_send(
        by=therapist,
        partner=partners["A"],
        instrument="GAD7",
        context="post_integration",
        site_url="http://testserver/",
    )
    assert AuditEvent.objects.filter(object_id=str(first.link.pk), summary__endswith="withdrawn (replaced)").exists()
    latest = OutboxMessage.objects.filter(kind=OutboxKind.QUESTIONNAIRE_LINK).order_by("-id").first()

    def audit_fails(*args, **kwargs):
        raise RuntimeError("connection dropped")

    monkeypatch.setattr(AuditEvent.objects, "create", audit_fails)
    with pytest.raises(RuntimeError):
        tasks.outbox_deliver(latest.pk)
    link = QuestionnaireLink.objects.get(pk=latest.object_id)
    assert link.emailed_at is None  # the mark went with its audit row; the outbox tries again
    monkeypatch.undo()
    frozen.shift(datetime.timedelta(seconds=30))  # the next sweep
    assert tasks.outbox_sweep() >= 1
    link.refresh_from_db()
    assert link.emailed_at is not None
    assert AuditEvent.objects.filter(object_id=str(link.pk), summary__endswith="e-mailed").count() == 1


def test_a_link_e_mailed_through_a_logging_backend_says_logged_not_sent(
    send, partners, settings, client_for, therapist, active_couple
):
    page_url = reverse("integration:couple_integration", args=[active_couple.uuid])
    send(partners["A"])
    assert QuestionnaireLink.objects.get().email_logged is False
    assert "logged, not sent" not in client_for(therapist).get(page_url).content.decode()
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    send(partners["B"])
    link = QuestionnaireLink.objects.get(partner=partners["B"])
    assert link.emailed_at is not None and link.email_logged is True
    page = client_for(therapist).get(page_url).content.decode()
    assert page.count("e-mail logged, not sent (no mail service configured)") == 1
