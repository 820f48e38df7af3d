"""A clinic network's worth of synthetic cases, written with bulk inserts for benchmarks (bench/).

Deterministic: couple number i is built from its own seeded random stream, so growing from 100 to 10,000
couples adds couples 101..10,000 and leaves the first 100 exactly as they were. Rows are written directly,
as history would have left them (like demo/course.py), satisfying every database constraint: a
medicine session stands on its couple's signed approval, signed notes and approvals carry their hashes.
Bulk inserts fire no signals, so nothing here plans reminders or writes audit rows.
"""

import datetime
import random
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cases.choices import Contraindication, CoupleStatus, EventKind, QuestionnaireContext, ScreeningOutcome
from cases.instruments import INSTRUMENTS
from cases.models import (
    CaseEvent,
    ContraindicationFinding,
    Couple,
    Partner,
    QuestionnaireResponse,
    Screening,
    search_text,
)
from demo.clinic import CONCERNS, FIRST_NAMES, GOALS, LAST_NAMES
from demo.course import NOTES
from dosing.choices import APPROACHES, Approach, StockEntryKind
from dosing.models import (
    Administration,
    Approval,
    ApprovalDose,
    Discharge,
    DosingRequest,
    MedicineSessionPlan,
    PreDoseCheck,
    StockEntry,
    StockLot,
    VitalReading,
)
from sessions.choices import NoteStatus, Phase, Place, SessionEventKind, SessionStatus
from sessions.models import Room, SessionEvent, SessionNote, TherapySession

PREFIX = "SC"  # case numbers SC-000001...; the generator only ever counts and adds these
PASSWORD = "bench-clinic-2026"  # every generated user's password (benchmark databases only)
THERAPISTS, PRESCRIBERS = 40, 8
BATCH = 250  # couples built in memory and written per transaction
STATUS_WEIGHTS = [
    (CoupleStatus.REFERRED, 5),
    (CoupleStatus.SCREENING, 10),
    (CoupleStatus.ACTIVE, 40),
    (CoupleStatus.COMPLETED, 30),
    (CoupleStatus.CLOSED, 10),
    (CoupleStatus.DECLINED, 5),
]
MINUTES = {Phase.ASSESSMENT: 90, Phase.PREPARATION: 60, Phase.MEDICINE: 180, Phase.INTEGRATION: 75, Phase.FOLLOW_UP: 60}
# One cycle, as days after the cycle starts: two preparations, the medicine session, three integrations.
CYCLE = [
    (0, Phase.PREPARATION),
    (7, Phase.PREPARATION),
    (14, Phase.MEDICINE),
    (15, Phase.INTEGRATION),
    (21, Phase.INTEGRATION),
    (28, Phase.INTEGRATION),
]
CYCLE_DAYS = 35
VITALS = (
    (0, 124, 80, 72),
    (15, 134, 84, 80),
    (30, 142, 88, 84),
    (45, 138, 86, 82),
    (60, 130, 82, 78),
    (90, 126, 80, 74),
    (130, 122, 78, 72),
)
ROOMS = ["Scale room 1", "Scale room 2", "Scale room 3", "Scale room 4", "Scale room 5", "Scale room 6"]


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


@dataclass
class Staff:
    therapists: list[User]
    prescribers: list[User]
    admin: User
    rooms: list[Room]
    lot: StockLot


def scale_staff() -> Staff:
    """The network's users (40 therapists, 8 prescribers, one clinic admin), rooms and a ketamine lot; made once."""
    password = make_password(PASSWORD)  # hashed once: the same hash for every generated user

    def users(prefix: str, count: int, **roles) -> list[User]:
        names = [f"{prefix}{n:02d}" for n in range(1, count + 1)]
        existing = {u.username: u for u in User.objects.filter(username__in=names)}
        missing = [
            User(
                username=name,
                first_name=FIRST_NAMES[n % len(FIRST_NAMES)],
                last_name=LAST_NAMES[n % len(LAST_NAMES)],
                email=f"{name}@scale-clinic.example",
                password=password,
                is_staff=bool(roles.get("is_clinic_admin")),
                **roles,
            )
            for n, name in enumerate(names)
            if name not in existing
        ]
        User.objects.bulk_create(missing)
        return list(User.objects.filter(username__in=names).order_by("username"))

    therapists = users("scale-t", THERAPISTS, is_therapist=True, credentials="LMFT")
    prescribers = users("scale-p", PRESCRIBERS, is_prescriber=True, credentials="MD")
    admin = users("scale-admin", 1, is_clinic_admin=True)[0]
    rooms = [Room.objects.get_or_create(name=name)[0] for name in ROOMS]
    lot, created = StockLot.objects.get_or_create(
        lot_number="SCALE-K-01",
        defaults={
            "product": "Ketamine HCl 50 mg/mL, 10 mL vial",
            "expires_on": timezone.localdate() + datetime.timedelta(days=700),
            "received_on": timezone.localdate() - datetime.timedelta(days=800),
        },
    )
    if created:
        StockEntry.objects.create(
            lot=lot,
            kind=StockEntryKind.RECEIVED,
            amount_mg=Decimal("99999.00"),
            by=admin,
            at=timezone.now() - datetime.timedelta(days=800),
        )
    return Staff(therapists, prescribers, admin, rooms, lot)


@dataclass
class Rows:
    """Everything one batch of couples writes, table by table, in the order the foreign keys need."""

    couples: list = field(default_factory=list)
    care_team: list = field(default_factory=list)  # (couple, therapist)
    partners: list = field(default_factory=list)
    screenings: list = field(default_factory=list)
    findings: list = field(default_factory=list)
    responses: list = field(default_factory=list)
    events: list = field(default_factory=list)
    approvals: list = field(default_factory=list)
    doses: list = field(default_factory=list)
    requests: list = field(default_factory=list)
    sessions: list = field(default_factory=list)
    session_events: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    plans: list = field(default_factory=list)
    checks: list = field(default_factory=list)
    administrations: list = field(default_factory=list)
    stock: list = field(default_factory=list)
    vitals: list = field(default_factory=list)
    discharges: list = field(default_factory=list)


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _answers(rng: random.Random, code: str, level: float) -> tuple[list[int], int]:
    """Answers to an instrument around a severity level (0 = none, 1 = the worst), and their total."""
    definition = INSTRUMENTS[code]
    values = [
        max(0, min(item.max_value, round(item.max_value * level + rng.uniform(-1, 1)))) for item in definition.items
    ]
    if code == "PHQ9":
        values[8] = 0  # the suicide-risk item: flagged couples are created by tests, not by the benchmark
    return values, sum(values)


def _couple(index: int, rng: random.Random, staff: Staff, rows: Rows, today: datetime.date) -> None:
    """Couple number `index`: partners, screening, scores, and a course that fits its status."""
    now = timezone.now()
    status = rng.choices([s for s, _ in STATUS_WEIGHTS], [w for _, w in STATUS_WEIGHTS])[0]
    therapist = staff.therapists[index % THERAPISTS]
    prescriber = staff.prescribers[index % PRESCRIBERS]
    opened = {
        CoupleStatus.REFERRED: rng.randint(1, 20),
        CoupleStatus.SCREENING: rng.randint(10, 40),
        CoupleStatus.ACTIVE: rng.randint(40, 260),
        CoupleStatus.COMPLETED: rng.randint(280, 730),
        CoupleStatus.CLOSED: rng.randint(100, 600),
        CoupleStatus.DECLINED: rng.randint(30, 400),
    }[status]
    opened_at = _at(today - datetime.timedelta(days=opened), 9)
    couple = Couple(
        uuid=_uuid(rng),
        case_number=f"{PREFIX}-{index:06d}",
        status=status,
        prescriber=prescriber,
        treatment_goals=rng.choice(GOALS),
        relationship_concerns=rng.choice(CONCERNS),
        created_at=opened_at,
        status_changed_at=opened_at + datetime.timedelta(days=min(opened, 14)),
    )
    rows.couples.append(couple)
    rows.care_team.append((couple, therapist))
    if rng.random() < 0.1:  # a co-therapist on one couple in ten
        rows.care_team.append((couple, staff.therapists[(index + 7) % THERAPISTS]))
    rows.events.append(
        CaseEvent(couple=couple, kind=EventKind.CREATED, summary="Case opened", actor=therapist, at=opened_at)
    )
    if status != CoupleStatus.REFERRED:
        rows.events.append(
            CaseEvent(
                couple=couple,
                kind=EventKind.STATUS,
                from_status=CoupleStatus.REFERRED,
                to_status=CoupleStatus.SCREENING,
                summary="Status changed to Screening",
                actor=therapist,
                at=opened_at + datetime.timedelta(days=1),
            )
        )
    if status not in (CoupleStatus.REFERRED, CoupleStatus.SCREENING):
        rows.events.append(
            CaseEvent(
                couple=couple,
                kind=EventKind.STATUS,
                from_status=CoupleStatus.SCREENING,
                to_status=status,
                summary=f"Status changed to {CoupleStatus(status).label}",
                actor=therapist,
                at=couple.status_changed_at,
            )
        )

    solo = rng.random() < 0.2
    treated = status in (CoupleStatus.ACTIVE, CoupleStatus.COMPLETED, CoupleStatus.CLOSED)
    partners = []
    for label in "AB":
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        partner = Partner(
            uuid=_uuid(rng),
            couple=couple,
            label=label,
            first_name=first,
            last_name=last,
            date_of_birth=datetime.date(1960 + rng.randint(0, 38), rng.randint(1, 12), rng.randint(1, 28)),
            email=f"{PREFIX.lower()}{index:06d}{label.lower()}@scale-mail.example",
            phone=f"+120255501{rng.randint(0, 99):02d}",
            reminder_channel="email" if rng.random() < 0.85 else "sms",
            search_name=search_text(f"{first} {last}"),  # save() keeps it; bulk_create skips save()
        )
        partners.append(partner)
        rows.partners.append(partner)
        candidate = not (solo and label == "B")
        consented = status != CoupleStatus.REFERRED and (status != CoupleStatus.SCREENING or rng.random() < 0.7)
        if treated:
            outcome = ScreeningOutcome.CLEARED
        elif status == CoupleStatus.DECLINED:
            outcome = ScreeningOutcome.NOT_ELIGIBLE if label == "A" else ScreeningOutcome.CLEARED
        elif status == CoupleStatus.SCREENING and rng.random() < 0.3:
            outcome = ScreeningOutcome.REVIEW
        else:
            outcome = ScreeningOutcome.PENDING
        decided = outcome != ScreeningOutcome.PENDING
        screened = status != CoupleStatus.REFERRED
        rows.screenings.append(
            Screening(
                partner=partner,
                medicine_candidate=candidate,
                systolic=rng.randint(108, 136) if screened else None,
                diastolic=rng.randint(66, 86) if screened else None,
                heart_rate=rng.randint(58, 88) if screened else None,
                weight_kg=Decimal(rng.randint(52, 105)) if screened else None,
                consent_signed_on=(opened_at + datetime.timedelta(days=3)).date() if consented else None,
                consent_version="2026-1" if consented else "",
                outcome=outcome,
                outcome_by=prescriber if decided else None,
                outcome_at=opened_at + datetime.timedelta(days=5) if decided else None,
                outcome_note="Cleared after review." if outcome == ScreeningOutcome.CLEARED else "",
            )
        )
        if screened:
            rows.findings.extend(
                ContraindicationFinding(screening=rows.screenings[-1], code=code, present=False)
                for code in Contraindication.values
            )
            for code in INSTRUMENTS:
                answers, score = _answers(rng, code, rng.uniform(0.3, 0.7))
                rows.responses.append(
                    QuestionnaireResponse(
                        uuid=_uuid(rng),
                        partner=partner,
                        instrument=code,
                        context=QuestionnaireContext.SCREENING,
                        answers=answers,
                        score=score,
                        administered_on=(opened_at + datetime.timedelta(days=2)).date(),
                        recorded_by=therapist,
                        recorded_at=opened_at + datetime.timedelta(days=2),
                    )
                )
    if not treated:
        if status == CoupleStatus.SCREENING:
            _session(
                rows,
                rng,
                staff,
                couple,
                therapist,
                Phase.ASSESSMENT,
                _at(opened_at.date() + datetime.timedelta(days=7), 10),
                now=now,
            )
        return

    # The course: an assessment, then cycles; a completed course ends with follow-ups.
    cycles = rng.choice([3, 4, 5, 6]) if status == CoupleStatus.COMPLETED else rng.choice([2, 3, 4, 5, 6])
    approach = (
        Approach.SOLO
        if solo
        else rng.choice(
            [
                Approach.DUAL_PSYCHOLYTIC,
                Approach.DUAL_PSYCHOLYTIC,
                Approach.DUAL_PSYCHEDELIC,
                Approach.EXTENDED_DISCUSSION,
            ]
        )
    )
    start_day = opened_at.date() + datetime.timedelta(days=14)
    signed_at = _at(start_day + datetime.timedelta(days=7), 16)
    approval = Approval(
        uuid=_uuid(rng),
        couple=couple,
        approach=approach,
        valid_from=signed_at.date(),
        valid_until=signed_at.date() + datetime.timedelta(days=cycles * CYCLE_DAYS + 60),
        sessions_covered=cycles,
        conditions="Blood pressure below 140/90 before dosing.",
        signed_by=prescriber,
        signed_at=signed_at,
    )
    info = APPROACHES[approach]
    doses = []
    for partner, screening in zip(partners, rows.screenings[-2:], strict=True):
        if not screening.medicine_candidate or (not info.both_dose and doses):
            continue
        full = screening.weight_kg.quantize(Decimal("1"))
        dose = (full * info.fraction.numerator / info.fraction.denominator).quantize(Decimal("1"))
        doses.append(
            ApprovalDose(
                approval=approval,
                partner=partner,
                route="im",
                full_dose_mg=full,
                dose_mg=dose,
                weight_kg=screening.weight_kg,
                max_total_mg=dose + (dose / 2).quantize(Decimal("1")),
            )
        )
    approval.content_hash = approval.compute_hash(doses)
    rows.approvals.append(approval)
    rows.doses.extend(doses)
    rows.requests.append(
        DosingRequest(
            uuid=_uuid(rng),
            couple=couple,
            approach=approach,
            rationale="Fits the couple's goals; both cleared.",
            requested_by=therapist,
            requested_at=signed_at - datetime.timedelta(days=2),
            status="approved",
            decided_by=prescriber,
            decided_at=signed_at,
            solo_partner=doses[0].partner if not info.both_dose else None,
        )
    )

    plan = [(0, Phase.ASSESSMENT)]
    for cycle in range(cycles):
        plan += [(7 + cycle * CYCLE_DAYS + day, phase) for day, phase in CYCLE]
    last = plan[-1][0]
    if status == CoupleStatus.COMPLETED:
        plan += [(last + 30, Phase.FOLLOW_UP), (last + 90, Phase.FOLLOW_UP), (last + 180, Phase.FOLLOW_UP)]
    horizon = today + datetime.timedelta(days=28)
    if status == CoupleStatus.CLOSED:  # closed part-way: the course stopped after one to three cycles
        plan = plan[: 1 + 6 * rng.randint(1, 3)]
    hour = 9 + index % 8
    for n, (day_offset, phase) in enumerate(plan):
        day = start_day + datetime.timedelta(days=day_offset)
        if day > horizon or (status != CoupleStatus.ACTIVE and day >= today):
            break
        start = _at(day, 9 if phase == Phase.MEDICINE else hour)
        if start <= now and rng.random() < 0.05:  # a cancelled session, booked again two days later
            _session(
                rows,
                rng,
                staff,
                couple,
                therapist,
                phase,
                start,
                now=now,
                status=SessionStatus.CANCELLED,
                approval=approval if phase == Phase.MEDICINE else None,
            )
            start += datetime.timedelta(days=2)
        session = _session(
            rows,
            rng,
            staff,
            couple,
            therapist,
            phase,
            start,
            now=now,
            approval=approval if phase == Phase.MEDICINE else None,
        )
        if phase == Phase.MEDICINE and session.status == SessionStatus.COMPLETED:
            _document(rows, staff, session, doses, therapist)
        if (
            phase == Phase.INTEGRATION
            and plan[n - 1][1] == Phase.MEDICINE
            and session.status == SessionStatus.COMPLETED
        ):
            level = max(0.05, 0.5 - 0.08 * sum(1 for _, p in plan[:n] if p == Phase.MEDICINE))
            for partner in partners:
                for code in ("PHQ9", "CSI4"):
                    answers, score = _answers(rng, code, level if code == "PHQ9" else 1 - level)
                    rows.responses.append(
                        QuestionnaireResponse(
                            uuid=_uuid(rng),
                            partner=partner,
                            instrument=code,
                            context=QuestionnaireContext.POST_INTEGRATION,
                            answers=answers,
                            score=score,
                            administered_on=day,
                            recorded_by=therapist,
                            recorded_at=start,
                        )
                    )
        if phase == Phase.FOLLOW_UP:
            for partner in partners:
                for code in INSTRUMENTS:
                    answers, score = _answers(rng, code, 0.2 if code != "CSI4" else 0.8)
                    rows.responses.append(
                        QuestionnaireResponse(
                            uuid=_uuid(rng),
                            partner=partner,
                            instrument=code,
                            context=QuestionnaireContext.FOLLOW_UP,
                            answers=answers,
                            score=score,
                            administered_on=day,
                            recorded_by=therapist,
                            recorded_at=start,
                        )
                    )


def _session(
    rows: Rows,
    rng: random.Random,
    staff: Staff,
    couple: Couple,
    therapist: User,
    phase: str,
    start: datetime.datetime,
    *,
    now: datetime.datetime,
    status: str | None = None,
    approval: Approval | None = None,
) -> TherapySession:
    minutes = MINUTES[phase]
    end = start + datetime.timedelta(minutes=minutes)  # save() derives it; bulk_create skips save()
    if status is None:
        status = (
            SessionStatus.SCHEDULED
            if end > now
            else (SessionStatus.NO_SHOW if rng.random() < 0.02 else SessionStatus.COMPLETED)
        )
    if phase == Phase.MEDICINE:
        place, room = Place.HOME, None
    elif rng.random() < 0.5:
        place, room = Place.OFFICE, staff.rooms[rng.randrange(len(staff.rooms))]
    else:
        place, room = Place.TELEHEALTH, None
    booked = start - datetime.timedelta(days=7)
    changed = end if status != SessionStatus.SCHEDULED else booked
    session = TherapySession(
        uuid=_uuid(rng),
        couple=couple,
        phase=phase,
        therapist=therapist,
        start=start,
        duration_minutes=minutes,
        end=end,
        place=place,
        room=room,
        status=status,
        status_changed_at=changed,
        status_changed_by=therapist,
        created_by=therapist,
        created_at=booked,
        approval=approval,
    )
    rows.sessions.append(session)
    rows.session_events.append(
        SessionEvent(session=session, kind=SessionEventKind.BOOKED, summary="Booked", actor=therapist, at=booked)
    )
    if status != SessionStatus.SCHEDULED:
        rows.session_events.append(
            SessionEvent(
                session=session,
                kind=SessionEventKind.STATUS,
                from_status=SessionStatus.SCHEDULED,
                to_status=status,
                summary=f"Marked {SessionStatus(status).label.lower()}",
                actor=therapist,
                at=changed,
            )
        )
    if phase == Phase.MEDICINE:
        rows.plans.append(MedicineSessionPlan(session=session, setting="home", support_person="Jo Park"))
    if status == SessionStatus.COMPLETED:
        done = end + datetime.timedelta(minutes=30)
        signed = rng.random() < 0.97 or done < now - datetime.timedelta(days=14)
        note = SessionNote(
            session=session,
            content=NOTES[phase],
            author=therapist,
            created_at=done,
            updated_at=done,
            status=NoteStatus.SIGNED if signed else NoteStatus.DRAFT,
            signed_by=therapist if signed else None,
            signed_at=done if signed else None,
        )
        if signed:
            note.content_hash = note.compute_hash()
        rows.notes.append(note)
    return session


def _document(rows: Rows, staff: Staff, session: TherapySession, doses: list, therapist: User) -> None:
    """A completed medicine session's record: checks, the dose from the lot, vitals and discharge per partner."""
    for approved in doses:
        partner = approved.partner
        rows.checks.append(
            PreDoseCheck(
                session=session,
                partner=partner,
                fasting_confirmed=True,
                ride_home_arranged=True,
                no_new_contraindication=True,
                sober_partner_present=True,
                systolic=124,
                diastolic=80,
                heart_rate=72,
                spo2=98,
                recorded_by=therapist,
                at=session.start - datetime.timedelta(minutes=10),
                recorded_at=session.start - datetime.timedelta(minutes=10),
            )
        )
        given = session.start + datetime.timedelta(minutes=5)
        administration = Administration(
            session=session,
            partner=partner,
            approved_dose=approved,
            at=given,
            route=approved.route,
            mg=approved.dose_mg,
            weight_kg=approved.weight_kg,
            lot=staff.lot,
            administered_by=therapist,
            recorded_at=given,
        )
        rows.administrations.append(administration)
        rows.stock.append(
            StockEntry(
                lot=staff.lot,
                kind=StockEntryKind.ADMINISTERED,
                amount_mg=approved.dose_mg,
                at=given,
                by=therapist,
                administration=administration,
                note=f"{session.couple.case_number} {partner.label}",
            )
        )
        rows.vitals.extend(
            VitalReading(
                session=session,
                partner=partner,
                systolic=s,
                diastolic=d,
                heart_rate=hr,
                spo2=98,
                recorded_by=therapist,
                at=given + datetime.timedelta(minutes=m),
            )
            for m, s, d, hr in VITALS
        )
        rows.discharges.append(
            Discharge(
                session=session,
                partner=partner,
                at=given + datetime.timedelta(minutes=135),
                alert_and_oriented=True,
                released_to_name="Jo Park",
                released_to_relationship="friend",
                no_driving_acknowledged=True,
                discharged_by=therapist,
            )
        )


def _write(rows: Rows) -> None:
    """Insert a batch table by table; bulk_create sets primary keys on PostgreSQL, so children see them."""
    size = 2000

    def insert(model, objects):
        # bulk_create takes each foreign key from its parent object, saved just before (Django does this for
        # parents assigned before they had a primary key).
        model.objects.bulk_create(objects, batch_size=size)

    insert(Couple, rows.couples)
    Couple.therapists.through.objects.bulk_create(
        [Couple.therapists.through(couple_id=c.pk, user_id=t.pk) for c, t in rows.care_team], batch_size=size
    )
    insert(Partner, rows.partners)
    insert(Screening, rows.screenings)
    insert(ContraindicationFinding, rows.findings)
    insert(QuestionnaireResponse, rows.responses)
    insert(CaseEvent, rows.events)
    insert(Approval, rows.approvals)
    insert(ApprovalDose, rows.doses)
    insert(DosingRequest, rows.requests)
    insert(TherapySession, rows.sessions)
    insert(SessionEvent, rows.session_events)
    insert(SessionNote, rows.notes)
    insert(MedicineSessionPlan, rows.plans)
    insert(PreDoseCheck, rows.checks)
    insert(Administration, rows.administrations)
    insert(StockEntry, rows.stock)
    insert(VitalReading, rows.vitals)
    insert(Discharge, rows.discharges)


def scale_generate(*, couples: int, seed: int = 2026, progress=None) -> int:
    """Grow the generated couples to `couples` in all (never fewer); returns how many were added."""
    staff = scale_staff()
    have = Couple.objects.filter(case_number__startswith=f"{PREFIX}-").count()
    today = timezone.localdate()
    added = 0
    for first in range(have + 1, couples + 1, BATCH):
        rows = Rows()
        for index in range(first, min(first + BATCH, couples + 1)):
            _couple(index, random.Random(seed * 1_000_003 + index), staff, rows, today)
        with transaction.atomic():
            _write(rows)
        added += len(rows.couples)
        if progress:
            progress(have + added)
    return added
