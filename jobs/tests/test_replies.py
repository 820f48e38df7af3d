"""Confirm or ask to cancel from the reminder: a signed, single-use link per partner reminder; the therapist sees
the answer on the session page and on their home page; a forged, reused or outdated link takes no answer."""

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases.choices import ReminderChannel
from cases.models import Partner
from dosing.models import Notice
from jobs import reminders, replies
from jobs.choices import ReplyAnswer
from jobs.models import Reminder, SessionReply
from sessions import services
from sessions.choices import Place, SessionStatus

from .helpers import book

pytestmark = pytest.mark.django_db


@pytest.fixture
def reminded(couple, therapist, django_capture_on_commit_callbacks):
    """An assessment 3 days ahead whose 48-hour reminders have gone out (by e-mail to both partners)."""
    with django_capture_on_commit_callbacks(execute=True):
        session = book(couple, therapist, hours=72)
    with time_machine.travel(session.start - datetime.timedelta(hours=47), tick=False):
        reminders.reminders_dispatch_due(worker="w")
    return session


def link_in(body: str) -> str:
    return re.search(r"(https?://\S+/r/\S+/)", body).group(1).split("8000", 1)[-1]


def partner_letter(session, label):
    partner = session.couple.partners.get(label=label)
    return next(m for m in mail.outbox if m.to == [partner.email])


def test_a_partner_confirms_from_the_reminder_and_the_therapist_sees_it(reminded, client, client_for, therapist):
    url = link_in(partner_letter(reminded, "A").body)
    page = client.get(url)
    assert page.status_code == 200 and "I will be there" in page.content.decode()
    assert not SessionReply.objects.exists()  # opening the link (or a link previewer) changes nothing
    response = client.post(url, {"answer": ReplyAnswer.CONFIRMED})
    assert "your answer (confirmed) reached the clinic" in response.content.decode()
    a = reminded.couple.partners.get(label="A")
    session_page = client_for(therapist).get(reverse("sessions:session_detail", args=[reminded.uuid])).content.decode()
    assert "Answers from the couple" in session_page and a.first_name in session_page and "Confirmed" in session_page
    assert (
        Notice.objects.filter(recipient=therapist, text__contains=f"{a.first_name}")
        .filter(text__contains="confirmed")
        .exists()
    )


def test_asking_to_cancel_tells_the_therapist_but_does_not_cancel(reminded, client, therapist):
    client.post(link_in(partner_letter(reminded, "B").body), {"answer": ReplyAnswer.CANCEL_REQUESTED})
    reminded.refresh_from_db()
    assert reminded.status == SessionStatus.SCHEDULED
    assert Notice.objects.get(recipient=therapist).text.count("asked to cancel") == 1


def test_the_link_works_once(reminded, client):
    url = link_in(partner_letter(reminded, "A").body)
    client.post(url, {"answer": ReplyAnswer.CONFIRMED})
    again = client.post(url, {"answer": ReplyAnswer.CANCEL_REQUESTED})
    assert again.status_code == 400 and "This link has been used already" in again.content.decode()
    assert list(SessionReply.objects.values_list("answer", flat=True)) == [ReplyAnswer.CONFIRMED]


def test_a_forged_or_altered_link_is_404(reminded, client):
    url = link_in(partner_letter(reminded, "A").body)
    assert client.get(url[:-3] + "xx/").status_code == 404
    assert client.post(reverse("jobs:session_reply", args=["123"]), {"answer": "confirmed"}).status_code == 404


def test_a_link_of_a_session_that_moved_takes_no_answer(reminded, client, therapist):
    url = link_in(partner_letter(reminded, "A").body)
    services.session_reschedule(
        by=therapist, session=reminded, start=reminded.start + datetime.timedelta(days=1), place=Place.TELEHEALTH
    )
    response = client.post(url, {"answer": ReplyAnswer.CONFIRMED})
    assert response.status_code == 400 and "This appointment has changed" in response.content.decode()
    assert not SessionReply.objects.exists()


def test_the_service_refuses_an_unknown_answer_next_to_the_field(reminded):
    reminder = Reminder.objects.filter(session=reminded, partner__isnull=False).first()
    token = replies.reply_url(reminder).rstrip("/").rsplit("/", 1)[1]
    with pytest.raises(ValidationError) as refused:
        replies.session_reply_record(token=token, answer="maybe")
    assert "answer" in refused.value.message_dict


def test_the_text_reminder_carries_the_link_and_no_more_than_first_name_date_time_place(
    couple, therapist, sms_outbox, django_capture_on_commit_callbacks
):
    Partner.objects.filter(couple=couple, label="A").update(reminder_channel=ReminderChannel.SMS, phone="+14155552671")
    with django_capture_on_commit_callbacks(execute=True):
        session = book(couple, therapist, hours=72)
    with time_machine.travel(session.start - datetime.timedelta(hours=47), tick=False):
        reminders.reminders_dispatch_due(worker="w")
    [text] = sms_outbox
    assert "/r/" in text["body"] and couple.case_number not in text["body"]
    assert couple.partners.get(label="A").last_name not in text["body"]
