"""Each approach end to end - request, approval, booking, the medicine session record, discharge - and the gate
tried from every entry point."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from dosing.approvals import approval_revoke
from dosing.choices import Approach
from dosing.discharge import discharge_record
from dosing.gate import medicine_gate
from dosing.lifecycle import medicine_session_observe, medicine_session_start
from dosing.models import Administration, Discharge, Notice, VitalReading
from dosing.record import dose_record, medicine_plan_save, predose_override, predose_record, vitals_record
from dosing.requests import dosing_request_create
from dosing.stock import lot_balance
from dosing.tests.factories import lot, predose_values, ready_couple, sign
from sessions import services as session_services
from sessions.choices import Phase, Place, SessionStatus
from sessions.models import TherapySession
from sessions.tests.helpers import history

pytestmark = pytest.mark.django_db

A, P = Phase.ASSESSMENT, Phase.PREPARATION


def local(days: int, hour: int = 10) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def prepared(couple, therapist):
    """Assessment and two preparations held in the past weeks."""
    history(couple, therapist, [(A, local(-20)), (P, local(-13)), (P, local(-6))])


def book_medicine(couple, therapist, days: int = 2) -> TherapySession:
    return session_services.session_schedule(
        by=therapist,
        couple=couple,
        therapist=therapist,
        phase=Phase.MEDICINE,
        start=local(days),
        place=Place.TELEHEALTH,
    ).session


APPROACH_CASES = [
    (Approach.SOLO, ["A"]),
    (Approach.DUAL_PSYCHEDELIC, ["A", "B"]),
    (Approach.DUAL_PSYCHOLYTIC, ["A", "B"]),
    (Approach.EXTENDED_DISCUSSION, ["A", "B"]),
]


@pytest.mark.parametrize("approach, dosing_labels", APPROACH_CASES)
def test_each_approach_from_request_to_discharge(therapist, prescriber, couple, approach, dosing_labels):
    ready_couple(couple, prescriber, sober="B" if approach == Approach.SOLO else None)
    partner_a = couple.partners.get(label="A")
    request = dosing_request_create(
        by=therapist,
        couple=couple,
        approach=approach,
        rationale="Fits their goals",
        solo_partner=partner_a if approach == Approach.SOLO else None,
    )
    approval = sign(couple, prescriber, approach, request=request)
    stock = lot(prescriber)
    prepared(couple, therapist)
    session = book_medicine(couple, therapist)
    assert session.approval == approval

    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False) as clock:
        medicine_session_start(by=therapist, session=session)
        if approval.info.needs_agenda:
            predose_record(
                by=therapist,
                session=session,
                partner=partner_a,
                values=predose_values(sober_partner_present=None, systolic=120),
            )
            with pytest.raises(ValidationError, match="write the agenda"):
                dose_record(
                    by=therapist, session=session, partner=partner_a, at=timezone.now(), mg=Decimal("10"), lot=stock
                )
            medicine_plan_save(
                by=therapist,
                session=session,
                setting="office",
                agenda="1. The move. 2. Money. Pause if either says 'pause'.",
            )
        for approved in approval.doses.select_related("partner"):
            predose_record(
                by=therapist,
                session=session,
                partner=approved.partner,
                values=predose_values(systolic=128, diastolic=82, heart_rate=74),
            )
            dose_record(
                by=therapist,
                session=session,
                partner=approved.partner,
                at=timezone.now(),
                mg=approved.dose_mg,
                lot=stock,
            )
            vitals_record(
                by=therapist,
                session=session,
                partner=approved.partner,
                at=timezone.now() + datetime.timedelta(minutes=1),
                systolic=146,
                diastolic=88,
                heart_rate=88,
                spo2=97,
            )
        if approach == Approach.SOLO:
            sober = couple.partners.get(label="B")
            with pytest.raises(ValidationError, match="is not a dosing partner under the solo administration"):
                dose_record(
                    by=therapist, session=session, partner=sober, at=timezone.now(), mg=Decimal("10"), lot=stock
                )

        clock.move_to(session.start + datetime.timedelta(minutes=130))
        for approved in approval.doses.select_related("partner"):
            vitals_record(
                by=therapist,
                session=session,
                partner=approved.partner,
                at=timezone.now(),
                systolic=124,
                diastolic=80,
                heart_rate=72,
                spo2=98,
            )
            discharge_record(
                by=therapist,
                session=session,
                partner=approved.partner,
                at=timezone.now(),
                alert_and_oriented=True,
                released_to_name="Sam Rivera",
                released_to_relationship="friend",
                no_driving_acknowledged=True,
            )
        clock.move_to(session.end)
        medicine_session_observe(by=therapist, session=session)
        session_services.session_complete(by=therapist, session=session)

    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED
    assert [e.summary for e in session.events.filter(kind="stage")] == [
        "Booked \u2192 In progress",
        "In progress \u2192 Observation",
    ]
    dosed = sorted(Administration.objects.filter(session=session).values_list("partner__label", flat=True))
    assert dosed == dosing_labels
    assert sorted(Discharge.objects.filter(session=session).values_list("partner__label", flat=True)) == dosing_labels
    assert lot_balance(stock) == Decimal("1000") - sum(a.dose_mg for a in approval.doses.all())


@pytest.fixture
def scheduled(therapist, prescriber, couple):
    """A dual psycholytic couple with a medicine session the day after tomorrow, and stock on the shelf."""
    ready_couple(couple, prescriber)
    approval = sign(couple, prescriber, Approach.DUAL_PSYCHOLYTIC)
    prepared(couple, therapist)
    session = book_medicine(couple, therapist)
    return {"approval": approval, "session": session, "lot": lot(prescriber), "couple": couple}


def begin(session):
    """Its therapist starts the medicine session (once)."""
    if TherapySession.objects.get(pk=session.pk).started_at is None:
        medicine_session_start(by=session.therapist, session=session)


def start_dosing(session, therapist, partner, *, systolic=124, diastolic=80):
    begin(session)
    predose_record(
        by=therapist,
        session=session,
        partner=partner,
        values=predose_values(sober_partner_present=None, systolic=systolic, diastolic=diastolic),
    )


def test_doses_never_exceed_the_approved_maximum(therapist, scheduled):
    session, stock = scheduled["session"], scheduled["lot"]
    partner = scheduled["couple"].partners.get(label="A")  # approved 50 mg, maximum 70 mg
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False) as clock:
        begin(session)
        start_dosing(session, therapist, partner)
        dose_record(by=therapist, session=session, partner=partner, at=timezone.now(), mg=Decimal("50"), lot=stock)
        clock.shift(datetime.timedelta(minutes=15))
        vitals_record(
            by=therapist, session=session, partner=partner, at=timezone.now(), systolic=124, diastolic=80, heart_rate=70
        )
        with pytest.raises(ValidationError) as exc:
            dose_record(
                by=therapist,
                session=session,
                partner=partner,
                at=timezone.now(),
                mg=Decimal("25"),
                lot=stock,
                is_booster=True,
            )
        assert exc.value.message_dict["mg"] == [
            f"25 mg would bring {partner.first_name}'s total to 75 mg, over the approved maximum of 70 mg "
            "(50 mg given so far)."
        ]
        dose_record(
            by=therapist,
            session=session,
            partner=partner,
            at=timezone.now(),
            mg=Decimal("20"),
            lot=stock,
            is_booster=True,
        )
    assert Administration.objects.filter(session=session).count() == 2


def test_a_dose_needs_a_lot_and_the_checks_first(therapist, scheduled):
    session, stock = scheduled["session"], scheduled["lot"]
    partner = scheduled["couple"].partners.get(label="B")
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False):
        begin(session)
        with pytest.raises(ValidationError) as exc:
            dose_record(by=therapist, session=session, partner=partner, at=timezone.now(), mg=Decimal("50"), lot=None)
        assert exc.value.message_dict == {"lot": ["Give the lot the dose was drawn from."]}
        with pytest.raises(ValidationError, match="record the pre-dose checks first"):
            dose_record(by=therapist, session=session, partner=partner, at=timezone.now(), mg=Decimal("50"), lot=stock)
    assert not Administration.objects.exists()


def test_hold_level_blood_pressure_needs_a_prescriber_override(therapist, prescriber, scheduled):
    session, stock = scheduled["session"], scheduled["lot"]
    partner = scheduled["couple"].partners.get(label="A")
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False):
        begin(session)
        start_dosing(session, therapist, partner, systolic=164, diastolic=96)
        with pytest.raises(ValidationError, match=r"Dosing is held: blood pressure 164/96 mmHg is at or above 160/100"):
            dose_record(by=therapist, session=session, partner=partner, at=timezone.now(), mg=Decimal("50"), lot=stock)
        check = session.predose_checks.get(partner=partner)
        with pytest.raises(ValidationError, match="Only a prescriber"):
            predose_override(by=therapist, check=check, reason="fine")
        predose_override(by=prescriber, check=check, reason="White-coat pattern; home readings 130/85.")
        dose_record(by=therapist, session=session, partner=partner, at=timezone.now(), mg=Decimal("50"), lot=stock)


def test_impossible_vitals_are_refused(therapist, scheduled):
    session = scheduled["session"]
    partner = scheduled["couple"].partners.get(label="A")
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False):
        begin(session)
        for systolic in (20, 400):
            with pytest.raises(ValidationError) as exc:
                vitals_record(
                    by=therapist,
                    session=session,
                    partner=partner,
                    at=timezone.now(),
                    systolic=systolic,
                    diastolic=60,
                    heart_rate=70,
                )
            assert "systolic" in exc.value.message_dict
    assert not VitalReading.objects.exists()


def test_the_database_refuses_an_impossible_vital(therapist, scheduled):
    partner = scheduled["couple"].partners.get(label="A")
    with pytest.raises(IntegrityError), transaction.atomic():
        VitalReading.objects.create(
            session=scheduled["session"],
            partner=partner,
            at=timezone.now(),
            systolic=400,
            diastolic=60,
            heart_rate=70,
            recorded_by=therapist,
        )


def test_discharge_waits_for_the_observation_time_and_vitals_in_range(therapist, scheduled):
    session, stock = scheduled["session"], scheduled["lot"]
    a, b = scheduled["couple"].partners.order_by("label")
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False) as clock:
        begin(session)
        for partner in (a, b):
            start_dosing(session, therapist, partner)
            dose_record(by=therapist, session=session, partner=partner, at=timezone.now(), mg=Decimal("50"), lot=stock)
        clock.move_to(session.start + datetime.timedelta(minutes=90))
        vitals_record(
            by=therapist, session=session, partner=a, at=timezone.now(), systolic=150, diastolic=85, heart_rate=80
        )
        with pytest.raises(ValidationError) as exc:
            discharge_record(
                by=therapist,
                session=session,
                partner=a,
                at=timezone.now(),
                alert_and_oriented=True,
                released_to_name=b.full_name,
                released_to_relationship="partner",
                no_driving_acknowledged=True,
            )
        errors = exc.value.message_dict
        assert "needs 120 minutes of observation after the last dose" in errors["at"][0]
        assert "is not back within the thresholds" in errors["__all__"][0]
        assert errors["released_to_name"] == [
            f"{b.full_name} is a partner dosed in this session and cannot be the responsible adult; release to "
            "an adult who took no ketamine today."
        ]
    assert not Discharge.objects.exists()


# -- the gate, from every entry point ------------------------------------------------------------------


def test_gate_refuses_booking_without_approval_from_the_service(therapist, prescriber, couple):
    ready_couple(couple, prescriber)
    prepared(couple, therapist)
    with pytest.raises(ValidationError) as exc:
        book_medicine(couple, therapist)
    assert exc.value.message_dict["phase"] == [
        "No prescriber approval of a dosing approach is on file for this couple."
    ]
    assert not TherapySession.objects.filter(phase=Phase.MEDICINE).exists()


def test_booking_refusal_gives_the_protocol_and_the_gate_reasons_together(therapist, prescriber, couple):
    """Without preparations and without an approval, the therapist reads both reasons in one refusal."""
    ready_couple(couple, prescriber)
    history(couple, therapist, [(A, local(-20))])
    with pytest.raises(ValidationError) as exc:
        book_medicine(couple, therapist)
    reasons = exc.value.message_dict["phase"]
    assert any("needs at least 2 preparation sessions" in r for r in reasons)
    assert "No prescriber approval of a dosing approach is on file for this couple." in reasons


def test_gate_refuses_a_crafted_booking_post(client_for, therapist, prescriber, couple):
    ready_couple(couple, prescriber)
    prepared(couple, therapist)
    start = timezone.localtime(local(2)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(therapist).post(
        reverse("sessions:session_new"),
        {"couple": couple.pk, "phase": "medicine", "start": start, "place": "telehealth"},
    )
    assert response.status_code == 400
    assert "No prescriber approval of a dosing approach is on file for this couple." in response.content.decode()
    assert not TherapySession.objects.filter(phase=Phase.MEDICINE).exists()


def test_gate_cannot_be_passed_through_the_admin_site(client_for, clinic_admin, therapist, couple):
    response = client_for(clinic_admin).post(
        reverse("admin:clinical_sessions_therapysession_add"),
        {
            "couple": couple.pk,
            "phase": "medicine",
            "therapist": therapist.pk,
            "start_0": "2030-01-01",
            "start_1": "10:00",
            "duration_minutes": 180,
            "place": "telehealth",
            "status": "scheduled",
        },
    )
    assert response.status_code == 403
    assert not TherapySession.objects.exists()


def test_the_database_refuses_a_medicine_session_without_approval(therapist, couple):
    with pytest.raises(IntegrityError), transaction.atomic():
        TherapySession.objects.create(
            couple=couple,
            therapist=therapist,
            phase=Phase.MEDICINE,
            start=local(3),
            duration_minutes=180,
            place=Place.TELEHEALTH,
            created_by=therapist,
        )


def test_revocation_blocks_an_already_scheduled_medicine_session(therapist, prescriber, scheduled):
    session = scheduled["session"]
    blocked = approval_revoke(by=prescriber, approval=scheduled["approval"], reason="New cardiac history")
    assert blocked == [session]
    notice = Notice.objects.get(recipient=therapist, text__contains="was revoked by")
    assert str(session) in notice.text
    session.refresh_from_db()
    assert session.medicine_state == "blocked" and "New cardiac history" in session.blocked_reason
    assert Notice.objects.get(recipient=therapist, blocked_session=session).text.startswith(f"{session} is blocked")
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False):
        partner = scheduled["couple"].partners.get(label="A")
        with pytest.raises(ValidationError, match="this one is blocked. Blocked: The dual psycholytic approval was"):
            medicine_session_start(by=therapist, session=session)
        with pytest.raises(ValidationError, match="only while the session is in progress; this session is blocked"):
            predose_record(by=therapist, session=session, partner=partner, values={"systolic": 120, "diastolic": 80})
        with time_machine.travel(session.end, tick=False), pytest.raises(ValidationError, match="revoked"):
            session_services.session_complete(by=therapist, session=session)
    with pytest.raises(ValidationError, match="revoked"):
        session_services.session_reschedule(by=therapist, session=session, start=local(3), place=Place.TELEHEALTH)


def test_expiry_blocks_sessions_after_the_last_day(therapist, prescriber, couple):
    ready_couple(couple, prescriber)
    sign(couple, prescriber, days=3)
    prepared(couple, therapist)
    assert book_medicine(couple, therapist, days=2).approval is not None
    with pytest.raises(ValidationError, match="The approval ended on"):
        book_medicine(couple, therapist, days=10)


def test_an_approval_covers_its_number_of_sessions(therapist, prescriber, couple):
    ready_couple(couple, prescriber)
    sign(couple, prescriber, sessions_covered=1)
    prepared(couple, therapist)
    book_medicine(couple, therapist, days=2)
    history(
        couple, therapist, [(Phase.INTEGRATION, local(3)), (P, local(5)), (P, local(6))], status=SessionStatus.SCHEDULED
    )
    with pytest.raises(ValidationError, match="The approval covers 1 medicine session, and 1 already use it."):
        book_medicine(couple, therapist, days=10)


def test_a_partner_no_longer_cleared_shuts_the_gate(therapist, prescriber, scheduled):
    screening = scheduled["couple"].partners.get(label="B").screening
    from cases import services as case_services
    from cases.choices import Contraindication

    case_services.contraindications_record(
        by=therapist,
        screening=screening,
        findings={c: (c == Contraindication.PSYCHOSIS, "new episode") for c in Contraindication.values},
    )
    gate, reasons = medicine_gate(
        couple=scheduled["couple"], start=scheduled["session"].start, session_pk=scheduled["session"].pk
    )
    assert gate is None
    assert any("is not cleared (screening: needs prescriber review)" in r for r in reasons)


# -- the pages ---------------------------------------------------------------------------------------------


def test_dose_above_the_maximum_is_refused_on_the_page(client_for, therapist, scheduled):
    session, stock = scheduled["session"], scheduled["lot"]
    partner = scheduled["couple"].partners.get(label="A")
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False):
        begin(session)
        start_dosing(session, therapist, partner)
        url = reverse("dosing:dose", kwargs={"session_uuid": session.uuid, "partner_uuid": partner.uuid})
        at = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        response = client_for(therapist).post(url, {"dose-A-at": at, "dose-A-mg": "80", "dose-A-lot": stock.pk})
    assert response.status_code == 400
    assert "over the approved maximum of 70 mg" in response.content.decode()
    assert not Administration.objects.exists()


def test_signing_with_a_wrong_password_on_the_page_signs_nothing(client_for, prescriber, couple):
    ready_couple(couple, prescriber)
    url = reverse("dosing:approval_new", kwargs={"couple_uuid": couple.uuid})
    data = {
        "approach": "dual_psychedelic",
        "valid_from": timezone.localdate().isoformat(),
        "sessions_covered": 2,
        "password": "wrong",
    }
    for label in ("a", "b"):
        data.update(
            {
                f"partner_{label}-takes_ketamine": "on",
                f"partner_{label}-route": "im",
                f"partner_{label}-full_dose_mg": "100",
                f"partner_{label}-dose_mg": "100",
                f"partner_{label}-weight_kg": "70",
                f"partner_{label}-max_total_mg": "120",
            }
        )
    response = client_for(prescriber).post(url, data)
    assert response.status_code == 400
    assert "That is not your password; the approval was not signed." in response.content.decode()
    data["password"] = PASSWORD
    response = client_for(prescriber).post(url, data)
    assert response.status_code == 302
    assert couple.approvals.count() == 1


def test_a_therapist_cannot_open_or_post_the_approval_page(client_for, therapist, prescriber, couple):
    ready_couple(couple, prescriber)
    url = reverse("dosing:approval_new", kwargs={"couple_uuid": couple.uuid})
    assert client_for(therapist).get(url).status_code == 403
    assert client_for(therapist).post(url, {"approach": "solo", "password": PASSWORD}).status_code == 403
    assert not couple.approvals.exists()


def test_medicine_record_page_shows_the_doses_and_flags(client_for, therapist, scheduled):
    session, stock = scheduled["session"], scheduled["lot"]
    partner = scheduled["couple"].partners.get(label="A")
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False):
        begin(session)
        start_dosing(session, therapist, partner)
        dose_record(by=therapist, session=session, partner=partner, at=timezone.now(), mg=Decimal("50"), lot=stock)
        vitals_record(
            by=therapist, session=session, partner=partner, at=timezone.now(), systolic=145, diastolic=85, heart_rate=80
        )
        html = (
            client_for(therapist)
            .get(reverse("dosing:medicine_record", kwargs={"session_uuid": session.uuid}))
            .content.decode()
        )
    assert 'data-total="A">50.00 mg' in html
    assert "145/85" in html and ">flag<" in html
    assert "<svg" in html


def test_a_completed_session_closes_its_dosing_record(therapist, prescriber, scheduled):
    from dosing.tests.factories import document_medicine

    session = scheduled["session"]
    with time_machine.travel(session.end, tick=False):
        document_medicine(session, by=therapist, prescriber=prescriber, lot_number=scheduled["lot"].lot_number)
        session_services.session_complete(by=therapist, session=session)
        session.refresh_from_db()
        partner = scheduled["couple"].partners.get(label="A")
        with pytest.raises(ValidationError, match="its dosing record is closed"):
            vitals_record(
                by=therapist,
                session=session,
                partner=partner,
                at=timezone.now(),
                systolic=120,
                diastolic=80,
                heart_rate=70,
            )


def test_no_dose_once_dosing_is_done(therapist, prescriber, scheduled):
    from dosing.tests.factories import document_medicine

    session = scheduled["session"]
    with time_machine.travel(session.end, tick=False):
        document_medicine(session, by=therapist, prescriber=prescriber, lot_number=scheduled["lot"].lot_number)
        partner = scheduled["couple"].partners.get(label="A")
        with pytest.raises(ValidationError, match="only while the session is in progress; this session is in observ"):
            dose_record(
                by=therapist,
                session=session,
                partner=partner,
                at=timezone.now(),
                mg=Decimal("5"),
                lot=scheduled["lot"],
                is_booster=True,
            )


def test_the_gate_holds_in_a_celery_task_and_the_sweep_lists_blocked_sessions_once(therapist, prescriber, couple):
    from dosing.tasks import medicine_gate_sweep

    ready_couple(couple, prescriber)
    sign(couple, prescriber, days=3)
    prepared(couple, therapist)
    session = book_medicine(couple, therapist, days=2)
    assert medicine_gate_sweep.apply().get() == 0  # in force: nothing to say
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1), tick=False):
        screening = couple.partners.get(label="A").screening
        screening.consent_signed_on, screening.consent_version = None, ""
        screening.save()
        assert medicine_gate_sweep.apply().get() == 1
        assert medicine_gate_sweep.apply().get() == 0  # said once
        notice = Notice.objects.get(recipient=therapist, blocked_session=session)
        assert "has not signed consent" in notice.text
        with pytest.raises(ValidationError, match="has not signed consent"):
            session_services.session_reschedule(
                by=therapist, session=session, start=local(2, 11), place=Place.TELEHEALTH
            )


# The gate (approval, doses, screenings; for a session under way the dose gate at this moment: the approval it
# started under, its revocation and successor by now), the record per partner with the readings' overrides,
# session, audit, and the available actions (the care team, the gate at the start, whether a dose was given).
RECORD_PAGE_QUERIES = 30  # 26 with the page data, then the dose gate at this moment and the overrides


def test_the_medicine_record_page_costs_the_same_with_more_readings(
    client_for, therapist, scheduled, django_assert_num_queries
):
    session, stock = scheduled["session"], scheduled["lot"]
    a, b = scheduled["couple"].partners.order_by("label")
    url = reverse("dosing:medicine_record", kwargs={"session_uuid": session.uuid})
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False) as clock:
        begin(session)
        client = client_for(therapist)
        for partner in (a, b):
            start_dosing(session, therapist, partner)
            dose_record(by=therapist, session=session, partner=partner, at=timezone.now(), mg=Decimal("50"), lot=stock)
        counts = []
        for readings in (1, 8):
            for _minute in range(readings):
                clock.shift(datetime.timedelta(minutes=1))
                for partner in (a, b):
                    vitals_record(
                        by=therapist,
                        session=session,
                        partner=partner,
                        at=timezone.now(),
                        systolic=130,
                        diastolic=80,
                        heart_rate=75,
                    )
            from django.db import connection
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            counts.append(len(captured))
    assert counts == [RECORD_PAGE_QUERIES] * 2, counts


def test_after_a_revocation_mid_session_no_more_doses_but_monitoring_goes_on(therapist, prescriber, scheduled):
    """Revocation stops dosing at once; a partner already dosed is still watched, recorded and discharged."""
    session, stock = scheduled["session"], scheduled["lot"]
    partner = scheduled["couple"].partners.get(label="A")
    with time_machine.travel(session.start + datetime.timedelta(minutes=5), tick=False) as clock:
        begin(session)
        start_dosing(session, therapist, partner)
        dose_record(by=therapist, session=session, partner=partner, at=timezone.now(), mg=Decimal("50"), lot=stock)
        approval_revoke(by=prescriber, approval=scheduled["approval"], reason="Lab result")
        with pytest.raises(ValidationError, match="revoked"):
            dose_record(
                by=therapist,
                session=session,
                partner=partner,
                at=timezone.now(),
                mg=Decimal("10"),
                lot=stock,
                is_booster=True,
            )
        clock.move_to(session.start + datetime.timedelta(minutes=130))
        vitals_record(
            by=therapist, session=session, partner=partner, at=timezone.now(), systolic=122, diastolic=78, heart_rate=70
        )
        discharge_record(
            by=therapist,
            session=session,
            partner=partner,
            at=timezone.now(),
            alert_and_oriented=True,
            released_to_name="Jo Park",
            released_to_relationship="friend",
            no_driving_acknowledged=True,
        )
    assert Administration.objects.filter(session=session).count() == 1
    assert Discharge.objects.filter(session=session, partner=partner).exists()
