"""The medicine session is safe at every moment (issue 14, items 1-4 and 10): the bedside record tried from the
service, the page, a crafted POST, the admin and a task, before the start, in progress, in observation and after
completion. Every refusal names its rule (a code on the ValidationError) and says why next to the field."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Screening
from dosing.approvals import approval_revoke
from dosing.choices import Approach, SideEffectKind
from dosing.clinical_time import CLOCK_SKEW, clinical_time_check
from dosing.doses import dose_amount_clean
from dosing.holds import hold_override
from dosing.lifecycle import medicine_gate_sweep, medicine_session_observe
from dosing.models import Administration, Approval, HoldOverride, Notice, PreDoseCheck, SideEffect, VitalReading
from dosing.record import dose_record, predose_record, side_effect_record, vitals_record
from dosing.tests.factories import dose_rows, lot, predose_values, ready_couple, sign
from dosing.tests.test_medicine_session import begin, book_medicine, local, prepared, scheduled  # noqa: F401
from jobs.outbox import outbox_deliver
from outbox.models import OutboxKind, OutboxMessage
from sessions import services as session_services
from sessions.choices import MedicineState, Phase, Place

pytestmark = pytest.mark.django_db
MIN = datetime.timedelta(minutes=1)


def code_of(exc: ValidationError, field: str | None = None) -> set[str]:
    """The rule codes a refusal carries (on one field, or anywhere)."""
    if hasattr(exc, "error_dict"):
        errors = exc.error_dict.get(field, []) if field else [e for es in exc.error_dict.values() for e in es]
    else:
        errors = exc.error_list
    return {e.code for e in errors}


def checks(session, by, partner, *, systolic=124, diastolic=80, at=None):
    values = predose_values(sober_partner_present=None, systolic=systolic, diastolic=diastolic)
    if at is not None:
        values["at"] = at
    return predose_record(by=by, session=session, partner=partner, values=values)


def dose(session, by, partner, stock, mg="50", *, at=None, **kwargs):
    return dose_record(by=by, session=session, partner=partner, at=at or timezone.now(), mg=mg, lot=stock, **kwargs)


def reading(session, by, partner, systolic=124, diastolic=80, *, at=None):
    return vitals_record(
        by=by,
        session=session,
        partner=partner,
        at=at or timezone.now(),
        systolic=systolic,
        diastolic=diastolic,
        heart_rate=72,
    )


@pytest.fixture
def under_way(therapist, scheduled):
    """The session started by its therapist 5 minutes after its booked start; the clock stands still there."""
    session = scheduled["session"]
    with time_machine.travel(session.start + 5 * MIN, tick=False) as clock:
        begin(session)
        session.refresh_from_db()
        scheduled["clock"] = clock
        scheduled["a"], scheduled["b"] = scheduled["couple"].partners.order_by("label")
        yield scheduled


def record_url(session, name, partner, **extra):
    return reverse(f"dosing:{name}", kwargs={"session_uuid": session.uuid, "partner_uuid": partner.uuid, **extra})


# -- 1. time ----------------------------------------------------------------------------------------------


def test_nothing_is_recorded_at_the_bedside_before_the_session_is_started(client_for, therapist, scheduled):
    session, stock = scheduled["session"], scheduled["lot"]
    a = scheduled["couple"].partners.get(label="A")
    with time_machine.travel(session.start + 5 * MIN, tick=False):
        for attempt in (
            lambda: checks(session, therapist, a),
            lambda: dose(session, therapist, a, stock),
            lambda: reading(session, therapist, a),
            lambda: side_effect_record(
                by=therapist, session=session, partner=a, at=timezone.now(), kind="nausea", severity="mild"
            ),
        ):
            with pytest.raises(ValidationError) as exc:
                attempt()
            assert code_of(exc.value) == {"bedside_state"}
            assert "only while the session is in progress" in exc.value.messages[0]
            assert "this session is booked" in exc.value.messages[0]
        # The same from a crafted POST: the record page, with the reason, never a bare 400.
        response = client_for(therapist).post(
            record_url(session, "vitals", a),
            {
                "vitals-A-at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
                "vitals-A-systolic": "120",
                "vitals-A-diastolic": "80",
                "vitals-A-heart_rate": "70",
            },
        )
    assert response.status_code == 400
    assert (
        "Vital signs are recorded only while the session is in progress or in observation" in response.content.decode()
    )
    assert not VitalReading.objects.exists() and not PreDoseCheck.objects.exists()


@pytest.mark.parametrize("what", ["predose", "dose", "vitals", "side_effect"])
def test_a_clinical_time_in_the_future_or_before_the_start_is_refused(therapist, under_way, what):
    session, stock, a = under_way["session"], under_way["lot"], under_way["a"]
    if what == "dose":
        checks(session, therapist, a)

    def record(at):
        if what == "predose":
            return checks(session, therapist, a, at=at)
        if what == "dose":
            return dose(session, therapist, a, stock, at=at)
        if what == "vitals":
            return reading(session, therapist, a, at=at)
        return side_effect_record(by=therapist, session=session, partner=a, at=at, kind="nausea", severity="mild")

    with pytest.raises(ValidationError) as exc:
        record(timezone.now() + CLOCK_SKEW + MIN)
    assert code_of(exc.value, "at") == {"time_in_future"}
    assert "cannot be recorded in the future" in exc.value.message_dict["at"][0]
    with pytest.raises(ValidationError) as exc:
        record(session.started_at - 2 * MIN)
    assert code_of(exc.value, "at") == {"time_before_start"}
    assert "before it started" in exc.value.message_dict["at"][0]
    # A clock a minute ahead of the server is still now.
    assert record(timezone.now() + MIN) is not None


def test_a_clinical_time_before_the_approval_in_force_began_is_refused(therapist, under_way):
    session = under_way["session"]
    # An approval in force from the next day: a dose today lies before it, though inside the session.
    tomorrow = timezone.localtime(session.started_at).date() + datetime.timedelta(days=1)
    later = Approval(valid_from=tomorrow, signed_at=session.started_at - 60 * MIN)
    with pytest.raises(ValidationError) as exc:
        clinical_time_check(session=session, at=session.started_at + MIN, what="dose", approval=later)
    assert code_of(exc.value, "at") == {"time_before_approval"}
    assert "before it began" in exc.value.message_dict["at"][0]


def test_late_documentation_inside_the_session_is_kept_and_shown_as_entered_late(client_for, therapist, under_way):
    session, a, clock = under_way["session"], under_way["a"], under_way["clock"]
    clock.shift(40 * MIN)
    late = reading(session, therapist, a, at=session.started_at + 10 * MIN)
    on_time = reading(session, therapist, a, at=timezone.now())
    assert late.recorded_at - late.at == 30 * MIN
    page = client_for(therapist).get(reverse("dosing:medicine_record", kwargs={"session_uuid": session.uuid}))
    html = page.content.decode()
    row = html.split(f'data-reading="{late.pk}"')[1].split("</tr>")[0]
    assert "entered late, at " + timezone.localtime(late.recorded_at).strftime("%H:%M") in row
    assert "entered late" not in html.split(f'data-reading="{on_time.pk}"')[1].split("</tr>")[0]


def test_in_observation_monitoring_goes_on_and_no_dose_is_given(therapist, prescriber, under_way):
    session, stock, a, clock = under_way["session"], under_way["lot"], under_way["a"], under_way["clock"]
    checks(session, therapist, a)
    dose(session, therapist, a, stock)
    medicine_session_observe(by=therapist, session=session)
    clock.shift(20 * MIN)
    reading(session, therapist, a)
    with pytest.raises(ValidationError) as exc:
        dose(session, therapist, a, stock, "10", is_booster=True)
    assert code_of(exc.value) == {"bedside_state"}
    assert "this session is in observation" in exc.value.messages[0]
    assert Administration.objects.count() == 1


# -- 2. the gate at each dose -------------------------------------------------------------------------------


def test_a_revocation_during_the_session_stops_further_doses_and_tells_therapist_and_prescriber(
    client_for, therapist, prescriber, under_way, django_capture_on_commit_callbacks
):
    session, stock, a, b, clock = (under_way[k] for k in ("session", "lot", "a", "b", "clock"))
    checks(session, therapist, a)
    checks(session, therapist, b)
    dose(session, therapist, a, stock)
    with django_capture_on_commit_callbacks(execute=True):
        approval_revoke(by=prescriber, approval=under_way["approval"], reason="Abnormal liver panel")
    clock.shift(5 * MIN)
    with pytest.raises(ValidationError) as exc:
        dose(session, therapist, b, stock)
    assert code_of(exc.value) == {"dose_gate"}
    text = " ".join(exc.value.messages)
    assert "No further dose may be given" in text and "revoked" in text
    assert "Vital signs, side effects and discharge can still be recorded." in text
    # Monitoring goes on.
    reading(session, therapist, a)
    side_effect_record(by=therapist, session=session, partner=a, at=timezone.now(), kind="nausea", severity="mild")
    # The page says exactly that, and offers no dose form.
    html = client_for(therapist).get(reverse("dosing:medicine_record", kwargs={"session_uuid": session.uuid}))
    html = html.content.decode()
    assert "No further dose may be given" in html and "Abnormal liver panel" in html
    assert record_url(session, "dose", b) not in html
    assert record_url(session, "vitals", b) in html
    # The therapist and the prescriber were told, once each, through the outbox, and each notice is audited.
    message = OutboxMessage.objects.get(kind=OutboxKind.DOSING_STOPPED, object_id=session.pk)
    assert outbox_deliver(message_id=message.pk)  # what the worker does after the commit
    notices = Notice.objects.filter(text__startswith="Dosing stopped")
    assert {n.recipient for n in notices} == {therapist, prescriber}
    OutboxMessage.objects.filter(pk=message.pk).update(sent_at=None)
    outbox_deliver(message_id=message.pk)  # delivered twice (a task run again): nobody is told twice
    assert Notice.objects.filter(text__startswith="Dosing stopped").count() == 2
    for notice in notices:
        assert AuditEvent.objects.filter(object_type="dosing.notice", object_id=str(notice.pk)).exists()
    # The hourly sweep (a Celery task) leaves a session under way as it is: it is not "blocked" mid-session.
    medicine_gate_sweep()
    session.refresh_from_db()
    assert session.medicine_state == MedicineState.IN_PROGRESS
    assert Administration.objects.filter(partner=b).count() == 0


def test_a_dose_after_the_approval_ended_is_refused(therapist, prescriber, couple):
    """The approval's last day is the session's day: a dose after midnight is outside it."""
    ready_couple(couple, prescriber)
    sign(couple, prescriber, Approach.DUAL_PSYCHOLYTIC, days=2)
    prepared(couple, therapist)
    session = session_services.session_schedule(
        by=therapist,
        couple=couple,
        therapist=therapist,
        phase=Phase.MEDICINE,
        start=local(2, 22),
        place=Place.TELEHEALTH,
    ).session
    stock = lot(prescriber)
    a = couple.partners.get(label="A")
    with time_machine.travel(session.start, tick=False) as clock:
        begin(session)
        checks(session, therapist, a)
        clock.shift(125 * MIN)  # 00:05 the next day
        with pytest.raises(ValidationError) as exc:
            dose(session, therapist, a, stock)
    assert code_of(exc.value) == {"dose_gate"}
    assert "The approval ended on" in " ".join(exc.value.messages)


def test_a_superseding_approval_or_a_clearance_decided_again_stops_further_doses(therapist, prescriber, under_way):
    session, stock, a, b = (under_way[k] for k in ("session", "lot", "a", "b"))
    checks(session, therapist, a)
    checks(session, therapist, b)
    under_way["clock"].shift(MIN)
    Screening.objects.filter(partner=b).update(outcome_at=timezone.now())  # decided again after the start
    with pytest.raises(ValidationError) as exc:
        dose(session, therapist, b, stock)
    assert "clearance was decided again after the session started" in " ".join(exc.value.messages)
    Screening.objects.filter(partner=b).update(outcome_at=session.started_at - MIN)
    dose(session, therapist, b, stock)
    sign(under_way["couple"], prescriber, Approach.DUAL_PSYCHOLYTIC)  # supersedes the session's approval
    with pytest.raises(ValidationError) as exc:
        dose(session, therapist, a, stock)
    assert code_of(exc.value) == {"dose_gate"}
    assert "was superseded" in " ".join(exc.value.messages)
    # The session's therapist and the prescriber are told, through the outbox.
    message = OutboxMessage.objects.get(kind=OutboxKind.DOSING_STOPPED, object_id=session.pk)
    assert outbox_deliver(message_id=message.pk)
    told = Notice.objects.filter(text__contains="approval was superseded by a new approval")
    assert {n.recipient for n in told} == {therapist, prescriber}


def test_withdrawn_consent_stops_further_doses(therapist, under_way):
    session, stock, a = under_way["session"], under_way["lot"], under_way["a"]
    checks(session, therapist, a)
    Screening.objects.filter(partner=a).update(consent_signed_on=None, consent_version="")
    with pytest.raises(ValidationError, match="has not signed consent"):
        dose(session, therapist, a, stock)
    assert reading(session, therapist, a) is not None


# -- 3. holds -----------------------------------------------------------------------------------------------


def test_an_override_covers_one_reading_and_a_later_rise_holds_again(client_for, therapist, prescriber, under_way):
    session, stock, a, clock = (under_way[k] for k in ("session", "lot", "a", "clock"))
    checks(session, therapist, a)
    dose(session, therapist, a, stock)
    clock.shift(15 * MIN)
    high = reading(session, therapist, a, 164, 98)
    with pytest.raises(ValidationError) as exc:
        dose(session, therapist, a, stock, "10", is_booster=True)
    assert code_of(exc.value) == {"dose_hold"}
    assert "Dosing is held: blood pressure 164/98 mmHg" in exc.value.messages[0]
    hold_override(by=prescriber, reading=high, reason="Anxious on arrival; repeat reading steady")
    clock.shift(5 * MIN)
    higher = reading(session, therapist, a, 172, 104)
    with pytest.raises(ValidationError) as exc:
        dose(session, therapist, a, stock, "10", is_booster=True)
    assert "172/104" in exc.value.messages[0], "the earlier override must not cover a later rise"
    # The page shows the reading's override and offers the prescriber the new one's.
    html = client_for(prescriber).get(reverse("dosing:medicine_record", kwargs={"session_uuid": session.uuid}))
    html = html.content.decode()
    assert "Anxious on arrival; repeat reading steady" in html
    assert (
        reverse(
            "dosing:reading_override",
            kwargs={"session_uuid": session.uuid, "partner_uuid": a.uuid, "reading_id": higher.pk},
        )
        in html
    )
    hold_override(by=prescriber, reading=higher, reason="Prescriber at the bedside; within the plan")
    booster = dose(session, therapist, a, stock, "10", is_booster=True)
    assert booster.is_booster and HoldOverride.objects.count() == 2


def test_a_booster_needs_a_reading_taken_after_the_previous_dose(therapist, under_way):
    session, stock, a, clock = (under_way[k] for k in ("session", "lot", "a", "clock"))
    checks(session, therapist, a)
    clock.shift(5 * MIN)
    first = dose(session, therapist, a, stock)
    clock.shift(20 * MIN)
    # A reading entered now but taken before the dose (by clinical time) does not count.
    reading(session, therapist, a, at=first.at - MIN)
    with pytest.raises(ValidationError) as exc:
        dose(session, therapist, a, stock, "10", is_booster=True)
    assert "a booster needs a blood pressure reading taken after the previous dose" in exc.value.messages[0]
    reading(session, therapist, a, at=first.at + 15 * MIN)
    assert dose(session, therapist, a, stock, "10", is_booster=True).mg == Decimal("10")


def test_only_the_couples_prescriber_overrides_a_hold_reading_with_a_reason(
    client_for, therapist, prescriber, other_prescriber, under_way
):
    session, a = under_way["session"], under_way["a"]
    high = reading(session, therapist, a, 166, 101)
    normal = reading(session, therapist, a, 128, 82)
    with pytest.raises(ValidationError) as exc:
        hold_override(by=therapist, reading=high, reason="fine")
    assert "Only" in exc.value.messages[0] and exc.value.error_dict["reason"][0].code
    with pytest.raises(ValidationError):
        hold_override(by=other_prescriber, reading=high, reason="fine")
    with pytest.raises(ValidationError) as exc:
        hold_override(by=prescriber, reading=high, reason="  ")
    assert code_of(exc.value, "reason") == {"override_needs_reason"}
    with pytest.raises(ValidationError) as exc:
        hold_override(by=prescriber, reading=normal, reason="x")
    assert code_of(exc.value, "reason") == {"override_not_a_hold"}
    hold_override(by=prescriber, reading=high, reason="Known white-coat pattern")
    with pytest.raises(ValidationError) as exc:
        hold_override(by=prescriber, reading=high, reason="again")
    assert code_of(exc.value, "reason") == {"override_exists"}
    # A crafted POST by the therapist: the record page with the rule, next to the form; nothing written.
    url = reverse(
        "dosing:reading_override", kwargs={"session_uuid": session.uuid, "partner_uuid": a.uuid, "reading_id": high.pk}
    )
    response = client_for(therapist).post(url, {"reading-override-A-reason": "I say so"})
    assert response.status_code == 400
    assert "Only a prescriber can override a blood-pressure hold." in response.content.decode()
    assert client_for(prescriber).get(url).status_code == 405
    assert HoldOverride.objects.count() == 1
    # The database keeps an override as it was written.
    with pytest.raises(DatabaseError, match="insert-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE dosing_holdoverride SET reason = 'rewritten'")


def test_the_flag_threshold_is_shown_on_every_reading_and_on_the_screening_baseline(client_for, therapist, under_way):
    session, a, couple = under_way["session"], under_way["a"], under_way["couple"]
    checks(session, therapist, a)
    for systolic in (120, 145, 162):
        reading(session, therapist, a, systolic, 80)
    html = client_for(therapist).get(reverse("dosing:medicine_record", kwargs={"session_uuid": session.uuid}))
    html = html.content.decode()
    rows = [part.split("</tr>")[0] for part in html.split("data-reading=")[1:]]
    assert len(rows) == 3 and all("140/90 / 160/100" in row for row in rows)
    assert "(flag at 140/90, hold at 160/100 mmHg)" in html.split('data-baseline="A"')[1].split("</p>")[0]
    couple_page = client_for(therapist).get(reverse("cases:couple_detail", kwargs={"couple_uuid": couple.uuid}))
    assert "(flag at 140/90 mmHg)" in couple_page.content.decode()


# -- 4. doses -----------------------------------------------------------------------------------------------


def test_each_dose_is_at_most_its_approved_step(therapist, under_way):
    """Approved 50 mg, maximum 70 mg: the first dose is at most 50, a booster at most 20."""
    session, stock, a, clock = (under_way[k] for k in ("session", "lot", "a", "clock"))
    checks(session, therapist, a)
    with pytest.raises(ValidationError) as exc:
        dose(session, therapist, a, stock, "60")
    assert code_of(exc.value, "mg") == {"dose_over_step"}
    assert "more than the approved dose of 50 mg for the first dose" in exc.value.message_dict["mg"][0]
    with pytest.raises(ValidationError) as exc:
        dose(session, therapist, a, stock, "40", is_booster=True)
    assert code_of(exc.value, "is_booster") == {"dose_step_first_not_booster"}
    dose(session, therapist, a, stock, "40", fraction_reason="Small frame; cautious start")
    clock.shift(15 * MIN)
    reading(session, therapist, a)
    with pytest.raises(ValidationError) as exc:
        dose(session, therapist, a, stock, "10")
    assert code_of(exc.value, "is_booster") == {"dose_step_booster_expected"}
    with pytest.raises(ValidationError) as exc:
        dose(session, therapist, a, stock, "25", is_booster=True)
    assert code_of(exc.value, "mg") == {"dose_over_step"}
    assert "more than the approved booster of 20 mg" in exc.value.message_dict["mg"][0]
    dose(session, therapist, a, stock, "20", is_booster=True)
    assert sum(x.mg for x in Administration.objects.all()) == Decimal("60")


@pytest.mark.parametrize(
    "typed, code",
    [
        ("nan", "dose_amount_not_finite"),
        ("inf", "dose_amount_not_finite"),
        ("-Infinity", "dose_amount_not_finite"),
        ("1e9", "dose_amount_range"),
        ("-5", "dose_amount_not_positive"),
        ("0", "dose_amount_not_positive"),
        ("12.345", "dose_amount_resolution"),
        ("12.05", "dose_amount_resolution"),
        ("twelve", "dose_amount_not_a_number"),
        ("", "dose_amount_missing"),
        ("0.5", "dose_amount_range"),  # IM: below the route's plausible range
        ("350", "dose_amount_range"),  # IM: above it
    ],
)
def test_an_impossible_amount_is_a_field_error_from_the_service_and_a_crafted_post(
    client_for, therapist, under_way, typed, code
):
    session, stock, a = under_way["session"], under_way["lot"], under_way["a"]
    checks(session, therapist, a)
    with pytest.raises(ValidationError) as exc:
        dose(session, therapist, a, stock, typed)
    assert code_of(exc.value, "mg") == {code}
    response = client_for(therapist).post(
        record_url(session, "dose", a),
        {"dose-A-at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "dose-A-mg": typed, "dose-A-lot": stock.pk},
    )
    assert response.status_code == 400
    form = response.context["records"][0].dose_form
    assert form.errors["mg"] == exc.value.message_dict["mg"]
    assert exc.value.message_dict["mg"][0].replace("'", "&#x27;") in response.content.decode()
    assert not Administration.objects.exists()


def test_amounts_are_kept_in_tenths_of_a_mg():
    assert dose_amount_clean("12.5") == Decimal("12.5")
    assert dose_amount_clean(Decimal("50.00")) == Decimal("50.0")
    with pytest.raises(ValidationError) as exc:
        dose_amount_clean(float("nan"))
    assert code_of(exc.value, "mg") == {"dose_amount_not_finite"}


def test_the_database_refuses_a_dose_finer_than_a_tenth_of_a_mg(therapist, under_way):
    session, stock, a = under_way["session"], under_way["lot"], under_way["a"]
    approved = session.approval.doses.get(partner=a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Administration.objects.create(
            session=session,
            partner=a,
            approved_dose=approved,
            at=timezone.now(),
            route=approved.route,
            mg=Decimal("12.34"),
            weight_kg=approved.weight_kg,
            lot=stock,
            administered_by=therapist,
        )


def test_a_dose_far_from_the_approachs_fraction_needs_a_reason_at_each_administration(therapist, prescriber, couple):
    """Dual psycholytic is about 1/2: a 30 mg dose of a 100 mg full dose was approved with a reason, and each
    administration of it states one again."""
    ready_couple(couple, prescriber)
    rows = dose_rows(couple, Approach.DUAL_PSYCHOLYTIC)
    for row in rows:
        row.update(dose_mg=Decimal("30"), max_total_mg=Decimal("40"), fraction_reason="Sensitive to dissociation")
    sign(couple, prescriber, Approach.DUAL_PSYCHOLYTIC, doses=rows)
    prepared(couple, therapist)
    session = book_medicine(couple, therapist)
    stock = lot(prescriber)
    a = couple.partners.get(label="A")
    with time_machine.travel(session.start + 5 * MIN, tick=False):
        begin(session)
        checks(session, therapist, a)
        with pytest.raises(ValidationError) as exc:
            dose(session, therapist, a, stock, "30")
        assert code_of(exc.value, "fraction_reason") == {"dose_fraction_reason"}
        assert "30% of the full dose" in exc.value.message_dict["fraction_reason"][0]
        given = dose(session, therapist, a, stock, "30", fraction_reason="As approved: sensitive to dissociation")
    assert given.fraction_reason == "As approved: sensitive to dissociation"


def test_the_page_shows_a_step_refusal_next_to_the_field(client_for, therapist, under_way):
    session, stock, a = under_way["session"], under_way["lot"], under_way["a"]
    checks(session, therapist, a)
    response = client_for(therapist).post(
        record_url(session, "dose", a),
        {"dose-A-at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "dose-A-mg": "60", "dose-A-lot": stock.pk},
    )
    assert response.status_code == 400
    assert response.context["records"][0].dose_form.errors["mg"][0].startswith("60 mg is more than the approved dose")
    ok = client_for(therapist).post(
        record_url(session, "dose", a),
        {"dose-A-at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "dose-A-mg": "50", "dose-A-lot": stock.pk},
    )
    assert ok.status_code == 302
    assert Administration.objects.get().mg == Decimal("50")


# -- 10. the admin ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model", ["administration", "vitalreading", "holdoverride", "predosecheck", "sideeffect", "discharge"]
)
def test_the_admin_cannot_add_or_change_bedside_records(client_for, clinic_admin, therapist, under_way, model):
    session, a = under_way["session"], under_way["a"]
    client = client_for(clinic_admin)
    add = reverse(f"admin:dosing_{model}_add")
    assert client.get(add).status_code == 403
    response = client.post(add, {"session": session.pk, "partner": a.pk, "at": "2030-01-01 10:00", "mg": "500"})
    assert response.status_code == 403
    effect = side_effect_record(
        by=therapist, session=session, partner=a, at=timezone.now(), kind=SideEffectKind.NAUSEA, severity="mild"
    )
    if model == "sideeffect":
        change = reverse("admin:dosing_sideeffect_change", args=[effect.pk])
        client.post(change, {"severity": "severe"})
        assert SideEffect.objects.get(pk=effect.pk).severity == "mild"
    assert not Administration.objects.exists()


def test_a_dose_given_before_the_revocation_and_entered_late_is_kept(therapist, prescriber, under_way):
    """The revocation stops further doses; a dose already given (entered afterwards) is what happened, and the
    record and the controlled-substance log keep it."""
    session, stock, a, clock = (under_way[k] for k in ("session", "lot", "a", "clock"))
    checks(session, therapist, a)
    given_at = timezone.now() + MIN
    clock.shift(10 * MIN)
    approval_revoke(by=prescriber, approval=under_way["approval"], reason="Lab result")
    late = dose(session, therapist, a, stock, at=given_at)
    assert late.at == given_at and late.recorded_at - late.at == 9 * MIN
    with pytest.raises(ValidationError) as exc:
        dose(session, therapist, under_way["b"], stock)
    assert code_of(exc.value) == {"dose_gate"}
