"""#17 item 1: a positive PHQ-9 item 9 (above 0) recorded after a partner's clearance, from any source (screening,
the partner's questionnaire link, a clinician's entry), sends that partner back to prescriber review. The gate
shuts for them until the couple's prescriber records a decision; the therapists and the prescriber are told the
same day; the couple page shows it until it is decided. CLINICAL.md: "item 9 > 0 is a suicide-risk flag";
"Safety events reach people, not only pages: ... a positive PHQ-9 item 9 from any source (the therapist, the same
day)". PHQ-9 item 9: Kroenke, Spitzer & Williams 2001, "thoughts that you would be better off dead, or of hurting
yourself", 0-3."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from cases.choices import Item9Decision, QuestionnaireContext, ScreeningOutcome
from cases.models import Item9ReviewDecision, Screening
from cases.services import item9_review_decide, questionnaire_record
from dosing.gate import medicine_gate
from dosing.models import Notice
from dosing.notices import item9_notices_send
from dosing.record import dose_record, vitals_record
from dosing.tests.factories import approval_on_file, lot, ready_couple, sign
from dosing.tests.test_medicine_session import book_medicine as book_in_two_days
from dosing.tests.test_medicine_session import prepared, start_dosing
from integration import services as integration_services
from sessions import services as session_services
from sessions.choices import Place
from sessions.tests.conftest import _clinic_time_zone, frozen  # noqa: F401  (the same clinic clock)
from sessions.tests.helpers import A, M, P, at, history

pytestmark = pytest.mark.django_db

POSITIVE = [0, 0, 0, 0, 0, 0, 0, 0, 1]  # item 9 at its lowest positive answer, the rest 0
NEGATIVE = [1, 1, 1, 1, 1, 1, 1, 1, 0]
REASON = "answered PHQ-9 item 9 (thoughts of self-harm) above 0 after being cleared: back to prescriber review"


@pytest.fixture
def cleared(frozen, settings, django_capture_on_commit_callbacks, couple, prescriber, therapist):
    """The couple cleared, in active treatment, approved, two preparations booked before a medicine session; the
    worker runs inline once a change commits."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    approval_on_file(couple, prescriber)
    history(couple, therapist, [(A, at(1, month=2)), (P, at(8, month=2)), (P, at(15, month=2))])
    return couple


def partner_a(couple):
    return couple.partners.select_related("screening").get(label="A")


def record(django_capture_on_commit_callbacks, *, by, partner, answers, context=QuestionnaireContext.SCREENING):
    with django_capture_on_commit_callbacks(execute=True):
        return questionnaire_record(by=by, partner=partner, instrument="PHQ9", answers=answers, context=context)


def gate_reasons(couple):
    return medicine_gate(couple=couple, start=at(12)).reasons


def book_medicine(couple, therapist):
    return session_services.session_schedule(
        by=therapist, couple=couple, therapist=therapist, phase=M, start=at(12), place=Place.TELEHEALTH
    ).session


def audited_notices(couple) -> int:
    ids = [str(pk) for pk in Notice.objects.filter(couple=couple).values_list("pk", flat=True)]
    return AuditEvent.objects.filter(object_type="dosing.notice", object_id__in=ids).count()


def assert_back_to_review(couple, response, *, therapist, prescriber):
    partner = partner_a(couple)
    assert partner.screening.item9_review_id == response.pk
    assert partner.screening.outcome == ScreeningOutcome.CLEARED  # the clearance is not erased, it waits
    reasons = gate_reasons(couple)
    assert any(REASON in r and r.startswith(f"Partner A ({partner.first_name})") for r in reasons)
    for person in (therapist, prescriber):
        notice = Notice.objects.get(recipient=person, couple=couple)
        assert "PHQ-9 item 9 (thoughts of self-harm) answered 1 by Partner A" in notice.text
        assert "back to prescriber review" in notice.text
    assert audited_notices(couple) >= 2  # each notice has its audit row


def test_a_positive_item_9_at_screening_after_clearance_shuts_the_gate_and_tells_both(
    cleared, django_capture_on_commit_callbacks, therapist, prescriber
):
    assert gate_reasons(cleared) == []
    response = record(django_capture_on_commit_callbacks, by=therapist, partner=partner_a(cleared), answers=POSITIVE)
    assert_back_to_review(cleared, response, therapist=therapist, prescriber=prescriber)


def test_a_positive_item_9_through_the_partners_link_after_clearance_shuts_the_gate(
    cleared, django_capture_on_commit_callbacks, client, therapist, prescriber
):
    partner = partner_a(cleared)
    with django_capture_on_commit_callbacks(execute=True):
        sent = integration_services.questionnaire_link_send(
            by=therapist,
            partner=partner,
            instrument="PHQ9",
            context=QuestionnaireContext.PRE_MEDICINE,
            site_url="http://testserver/",
        )
    answers = {f"item_{n}": v for n, v in enumerate(POSITIVE, start=1)}
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(sent.url.removeprefix("http://testserver"), answers)
    assert page.status_code in (200, 302)
    response = partner.questionnaires.get()
    assert response.recorded_by is None
    assert_back_to_review(cleared, response, therapist=therapist, prescriber=prescriber)
    assert "answered through their questionnaire link" in Notice.objects.filter(recipient=therapist).first().text


def test_a_positive_item_9_entered_by_a_clinician_on_the_page_shuts_the_gate_and_refuses_the_booking(
    cleared, django_capture_on_commit_callbacks, client_for, therapist, prescriber
):
    partner = partner_a(cleared)
    url = reverse(
        "cases:questionnaire_new",
        kwargs={"couple_uuid": cleared.uuid, "partner_uuid": partner.uuid, "instrument": "PHQ9"},
    )
    data = {"administered_on": "2030-03-04", **{f"item_{n}": v for n, v in enumerate(POSITIVE, start=1)}}
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(therapist).post(f"{url}?context=pre_medicine", data).status_code == 302
    response = partner.questionnaires.get()
    assert response.context == QuestionnaireContext.PRE_MEDICINE
    assert_back_to_review(cleared, response, therapist=therapist, prescriber=prescriber)
    with pytest.raises(ValidationError) as exc:
        book_medicine(cleared, therapist)
    assert any(REASON in m for m in exc.value.messages)


def test_item_9_at_zero_changes_nothing_and_tells_nobody(cleared, django_capture_on_commit_callbacks, therapist):
    record(django_capture_on_commit_callbacks, by=therapist, partner=partner_a(cleared), answers=NEGATIVE)
    assert partner_a(cleared).screening.item9_review_id is None
    assert gate_reasons(cleared) == []
    assert not Notice.objects.exists()


def test_before_clearance_a_positive_item_9_is_told_but_the_clearance_itself_asks_for_the_reason(
    frozen, settings, django_capture_on_commit_callbacks, couple, therapist, prescriber
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    partner = couple.partners.select_related("screening").get(label="A")
    record(django_capture_on_commit_callbacks, by=therapist, partner=partner, answers=POSITIVE)
    assert Screening.objects.get(partner=partner).item9_review_id is None  # not cleared: nothing to send back
    notice = Notice.objects.get(recipient=therapist)
    assert "back to prescriber review" not in notice.text and "safety procedure today" in notice.text


def test_the_worker_tells_each_person_once_however_often_it_runs(
    cleared, django_capture_on_commit_callbacks, therapist, prescriber
):
    response = record(django_capture_on_commit_callbacks, by=therapist, partner=partner_a(cleared), answers=POSITIVE)
    assert item9_notices_send(response_id=response.pk, sent_back=True) == []
    assert Notice.objects.filter(couple=cleared).count() == 2


def test_the_couple_page_shows_the_review_until_the_prescriber_decides_and_the_gate_opens_again(
    cleared, django_capture_on_commit_callbacks, client_for, therapist, prescriber
):
    record(django_capture_on_commit_callbacks, by=therapist, partner=partner_a(cleared), answers=POSITIVE)
    page = reverse("cases:couple_detail", kwargs={"couple_uuid": cleared.uuid})
    html = client_for(therapist).get(page).content.decode()
    assert "data-item9-review" in html and "Back to prescriber review." in html
    assert "Record the decision" not in html  # the therapist is told; the prescriber decides
    html = client_for(prescriber).get(page).content.decode()
    assert "Record the decision" in html

    url = reverse(
        "cases:item9_review_decide", kwargs={"couple_uuid": cleared.uuid, "partner_uuid": partner_a(cleared).uuid}
    )
    refused = client_for(prescriber).post(url, {"decision": Item9Decision.CLEARANCE_STANDS, "note": ""})
    assert refused.status_code == 400 and 'id="error_1_id_note"' in refused.content.decode()  # next to the note
    assert client_for(prescriber).get(url).status_code == 405
    done = client_for(prescriber).post(
        url, {"decision": Item9Decision.CLEARANCE_STANDS, "note": "Passive thoughts, no plan; safety plan agreed."}
    )
    assert done.status_code == 302
    assert gate_reasons(cleared) == []
    assert "data-item9-review" not in client_for(therapist).get(page).content.decode()
    decision = Item9ReviewDecision.objects.get()
    assert (decision.decided_by, decision.response.answers[8]) == (prescriber, 1)
    assert book_medicine(cleared, therapist).phase == M


def test_a_crafted_post_by_a_therapist_is_refused_and_the_gate_stays_shut(
    cleared, django_capture_on_commit_callbacks, client_for, therapist
):
    record(django_capture_on_commit_callbacks, by=therapist, partner=partner_a(cleared), answers=POSITIVE)
    url = reverse(
        "cases:item9_review_decide", kwargs={"couple_uuid": cleared.uuid, "partner_uuid": partner_a(cleared).uuid}
    )
    response = client_for(therapist).post(url, {"decision": Item9Decision.CLEARANCE_STANDS, "note": "Fine."})
    assert response.status_code == 403
    assert not Item9ReviewDecision.objects.exists()
    assert any(REASON in r for r in gate_reasons(cleared))


def test_the_service_takes_only_the_couples_prescriber_with_a_note_and_only_an_open_review(
    cleared, django_capture_on_commit_callbacks, therapist, prescriber, other_prescriber
):
    partner = partner_a(cleared)
    with pytest.raises(ValidationError) as exc:
        item9_review_decide(by=prescriber, screening=partner.screening, decision="clearance_stands", note="x")
    assert "No positive PHQ-9 item 9 is waiting" in exc.value.message_dict["decision"][0]
    record(django_capture_on_commit_callbacks, by=therapist, partner=partner, answers=POSITIVE)
    for user in (therapist, other_prescriber):
        with pytest.raises(ValidationError) as exc:
            item9_review_decide(by=user, screening=partner.screening, decision="clearance_stands", note="x")
        assert "decision" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        item9_review_decide(by=prescriber, screening=partner.screening, decision="clearance_stands", note=" ")
    assert "note" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        item9_review_decide(by=prescriber, screening=partner.screening, decision="whatever", note="x")
    assert "decision" in exc.value.message_dict
    assert any(REASON in r for r in gate_reasons(cleared))


def test_not_eligible_withdraws_the_clearance_and_the_gate_stays_shut(
    cleared, django_capture_on_commit_callbacks, therapist, prescriber
):
    partner = partner_a(cleared)
    record(django_capture_on_commit_callbacks, by=therapist, partner=partner, answers=POSITIVE)
    item9_review_decide(
        by=prescriber, screening=partner.screening, decision=Item9Decision.NOT_ELIGIBLE, note="Active ideation."
    )
    screening = Screening.objects.get(partner=partner)
    assert (screening.outcome, screening.item9_review_id) == (ScreeningOutcome.NOT_ELIGIBLE, None)
    reasons = gate_reasons(cleared)
    assert any("is not cleared (screening: not eligible)" in r for r in reasons)
    assert not any(REASON in r for r in reasons)


def test_a_later_positive_item_9_after_a_decision_sends_them_back_again(
    cleared, django_capture_on_commit_callbacks, therapist, prescriber
):
    partner = partner_a(cleared)
    record(django_capture_on_commit_callbacks, by=therapist, partner=partner, answers=POSITIVE)
    item9_review_decide(by=prescriber, screening=partner.screening, decision="clearance_stands", note="Reviewed.")
    again = record(django_capture_on_commit_callbacks, by=therapist, partner=partner, answers=[0] * 8 + [2])
    assert Screening.objects.get(partner=partner).item9_review_id == again.pk
    assert any(REASON in r for r in gate_reasons(cleared))


def test_the_decision_is_kept_by_the_database(cleared, django_capture_on_commit_callbacks, therapist, prescriber):
    partner = partner_a(cleared)
    record(django_capture_on_commit_callbacks, by=therapist, partner=partner, answers=POSITIVE)
    decision = item9_review_decide(by=prescriber, screening=partner.screening, decision="clearance_stands", note="x")
    with pytest.raises(ValidationError):
        decision.save()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE cases_item9reviewdecision SET note = 'rewritten' WHERE id = %s", [decision.pk])
    with pytest.raises(IntegrityError), transaction.atomic():
        Item9ReviewDecision.objects.create(
            screening=partner.screening,
            response=decision.response,
            decision="clearance_stands",
            note="",
            decided_by=prescriber,
        )


def test_the_admin_shows_a_decision_and_changes_none(
    cleared, django_capture_on_commit_callbacks, client_for, clinic_admin, therapist, prescriber
):
    partner = partner_a(cleared)
    response = record(django_capture_on_commit_callbacks, by=therapist, partner=partner, answers=POSITIVE)
    client = client_for(clinic_admin)
    client.post(reverse("admin:cases_screening_change", args=[partner.screening.pk]), {"item9_review": ""})
    assert Screening.objects.get(pk=partner.screening.pk).item9_review_id == response.pk  # the admin opens no gate
    decision = item9_review_decide(by=prescriber, screening=partner.screening, decision="clearance_stands", note="x")
    url = reverse("admin:cases_item9reviewdecision_change", args=[decision.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"decision": "not_eligible", "note": "changed"})
    decision.refresh_from_db()
    assert (decision.decision, decision.note) == ("clearance_stands", "x")


def test_the_prescribers_review_list_holds_the_couple_until_decided(
    cleared, django_capture_on_commit_callbacks, client_for, therapist, prescriber
):
    home = reverse("accounts:prescriber_home")
    assert "PHQ-9 item 9 to review" not in client_for(prescriber).get(home).content.decode()
    partner = partner_a(cleared)
    record(django_capture_on_commit_callbacks, by=therapist, partner=partner, answers=POSITIVE)
    html = client_for(prescriber).get(home).content.decode()
    assert cleared.case_number in html and "PHQ-9 item 9 to review" in html
    item9_review_decide(by=prescriber, screening=partner.screening, decision="clearance_stands", note="Reviewed.")
    html = client_for(prescriber).get(home).content.decode()
    assert "PHQ-9 item 9 to review" not in html and "No couple is waiting for your review." in html


def test_a_positive_item_9_during_a_medicine_session_stops_the_next_dose_and_monitoring_goes_on(
    settings, django_capture_on_commit_callbacks, couple, therapist, prescriber
):
    """The gate is asked again for every dose (CLINICAL.md): an item 9 answered above 0 while the session runs
    (the partner's link, answered that morning) stops the booster; vitals are still recorded."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    ready_couple(couple, prescriber)
    sign(couple, prescriber)
    prepared(couple, therapist)
    session = book_in_two_days(couple, therapist)
    stock = lot(prescriber)
    partner = partner_a(couple)
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False):
        start_dosing(session, therapist, partner)
        dose_record(by=therapist, session=session, partner=partner, at=timezone.now(), mg=Decimal("50"), lot=stock)
        record(django_capture_on_commit_callbacks, by=None, partner=partner, answers=POSITIVE)
        vitals_record(
            by=therapist, session=session, partner=partner, at=timezone.now(), systolic=130, diastolic=80, heart_rate=72
        )
        with pytest.raises(ValidationError) as exc:
            dose_record(
                by=therapist,
                session=session,
                partner=partner,
                at=timezone.now(),
                mg=Decimal("10"),
                lot=stock,
                is_booster=True,
            )
    assert any(REASON in m for m in exc.value.messages)
    assert session.administrations.count() == 1


def test_a_prescriber_covering_today_is_told_and_may_decide(
    cleared, django_capture_on_commit_callbacks, client_for, therapist, prescriber, other_prescriber, clinic_admin
):
    from cases.services import covering_prescriber_assign

    today = timezone.localdate()
    covering_prescriber_assign(
        by=clinic_admin, couple=cleared, prescriber=other_prescriber, starts_on=today, ends_on=today, reason="Leave"
    )
    partner = partner_a(cleared)
    record(django_capture_on_commit_callbacks, by=therapist, partner=partner, answers=POSITIVE)
    assert Notice.objects.filter(recipient=other_prescriber, couple=cleared).count() == 1
    page = reverse("cases:couple_detail", kwargs={"couple_uuid": cleared.uuid})
    assert "Record the decision" in client_for(other_prescriber).get(page).content.decode()
    item9_review_decide(by=other_prescriber, screening=partner.screening, decision="clearance_stands", note="Seen.")
    assert gate_reasons(cleared) == []


def test_a_late_worker_tells_what_happened_when_it_was_recorded(cleared, therapist, prescriber):
    """The broker lost the message; the sweep delivers it after the prescriber has decided: the notice still
    says the partner was sent back to review, once."""
    from jobs.outbox import outbox_deliver
    from outbox.models import OutboxKind, OutboxMessage

    partner = partner_a(cleared)
    questionnaire_record(by=therapist, partner=partner, instrument="PHQ9", answers=POSITIVE)  # not yet delivered
    item9_review_decide(by=prescriber, screening=partner.screening, decision="clearance_stands", note="Seen.")
    message = OutboxMessage.objects.get(kind=OutboxKind.ITEM9_POSITIVE)
    assert outbox_deliver(message_id=message.pk)
    assert not outbox_deliver(message_id=message.pk)  # delivered once
    notice = Notice.objects.get(recipient=prescriber)
    assert "back to prescriber review" in notice.text
