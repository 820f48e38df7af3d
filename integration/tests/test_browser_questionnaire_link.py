"""Acceptance: a partner answers an e-mailed GAD-7 without an account; the therapist sees the new point."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone

from cases.services import questionnaire_record
from integration import services
from jobs import tasks
from outbox.models import OutboxKind, OutboxMessage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_partner_answers_emailed_gad7_and_therapist_sees_the_new_point(page, login, live_server, therapist, couple):
    partner = couple.partners.get(label="A")
    # Baseline 14 (3+3+3+3+2+0+0) a month ago.
    questionnaire_record(
        by=therapist,
        partner=partner,
        instrument="GAD7",
        answers=[3, 3, 3, 3, 2, 0, 0],
        administered_on=timezone.localdate() - datetime.timedelta(days=30),
        context="screening",
    )
    services.questionnaire_link_send(
        by=therapist, partner=partner, instrument="GAD7", context="post_integration", site_url=live_server.url
    )
    assert not mail.outbox  # the request sends nothing: the worker does, after the commit
    tasks.outbox_deliver(OutboxMessage.objects.get(kind=OutboxKind.QUESTIONNAIRE_LINK).pk)
    body = mail.outbox[-1].body
    path = re.search(r"https?://[^/]+(/q/[\w-]+/)", body).group(1)

    page.goto(path)  # not signed in
    assert page.get_by_role("heading", name=f"GAD-7 for {partner.first_name}").is_visible()
    assert partner.last_name not in page.content()
    # 2+2+1+1+1+1+1 = 9, mild
    for number, value in enumerate([2, 2, 1, 1, 1, 1, 1], start=1):
        page.locator(f"input[name=item_{number}][value='{value}']").check()
    page.get_by_role("button", name="Send my answers").click()
    assert page.get_by_role("heading", name="Thank you").is_visible()

    login(therapist)
    page.goto(f"/couples/{couple.uuid}/")
    table = page.locator("table[data-outcomes-table=GAD7]")
    row = table.locator("tr[data-partner=A][data-score='9']")
    assert row.is_visible()
    assert "mild" in row.inner_text() and "-5 (better)" in row.inner_text()
    chart = page.locator("figure[data-chart=GAD7] svg")
    assert chart.is_visible()
    assert chart.locator("[data-point]").count() == 2
    # Opening the link again says plainly that it was used.
    page.goto(path)
    assert page.get_by_role("heading", name="Already answered").is_visible()
