"""The demo clinic: a realistic caseload for trying the product. Loading it twice changes nothing."""

import datetime
import random

import pyotp
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from accounts.models import TOTPDevice, User
from accounts.services import totp_new_secret, two_factor_required
from cases import services
from cases.choices import (
    Condition,
    Contraindication,
    CoupleStatus,
    InteractingMedication,
    ReminderChannel,
    ScreeningOutcome,
)
from cases.models import Couple, Partner
from demo.course import answers_for, demo_course, demo_lot

DEMO_PASSWORD = "demo-clinic-2026"

DEMO_USERS = [
    # username, first, last, credentials, roles
    ("maya", "Maya", "Chen", "LMFT", {"is_therapist": True}),
    ("jordan", "Jordan", "Reyes", "LCSW", {"is_therapist": True}),
    ("sam", "Sam", "Okafor", "MD", {"is_prescriber": True}),
    ("lee", "Lee", "Morgan", "", {"is_clinic_admin": True}),
]

FIRST_NAMES = [
    "Alex",
    "Jamie",
    "Robin",
    "Casey",
    "Morgan",
    "Taylor",
    "Avery",
    "Riley",
    "Quinn",
    "Dana",
    "Elena",
    "Marcus",
    "Priya",
    "Daniel",
    "Sofia",
    "Noah",
    "Hannah",
    "Omar",
    "Grace",
    "Luis",
    "Mei",
    "Tom",
    "Aisha",
    "Ben",
    "Chloe",
    "David",
    "Fatima",
    "George",
    "Ines",
    "Jonah",
    "Keiko",
    "Liam",
    "Nadia",
    "Oscar",
    "Rosa",
    "Sean",
    "Tessa",
    "Victor",
    "Wren",
    "Yusuf",
]
LAST_NAMES = [
    "Alvarez",
    "Brooks",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ibrahim",
    "Jensen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "O'Neill",
    "Patel",
    "Quinlan",
    "Rossi",
    "Sato",
    "Thompson",
]
GOALS = [
    "Rebuild trust after an affair; reduce escalation during conflict.",
    "Process shared grief after a pregnancy loss and reconnect emotionally.",
    "Work through combat-related trauma affecting intimacy and communication.",
    "Break the pursue-withdraw cycle; make decisions together about relocating.",
    "Recover closeness after years of caregiving for a parent.",
    "Address depression in one partner and its strain on the relationship.",
]
CONCERNS = [
    "Frequent arguments about household labour; one partner shuts down.",
    "Loss of physical intimacy; feeling like roommates.",
    "Hypervigilance and anger outbursts at home.",
    "Different views on having children.",
    "Long-standing resentment about finances.",
]

# status, how many, how far screening got
PLAN = [
    (CoupleStatus.REFERRED, 4),
    (CoupleStatus.SCREENING, 6),
    (CoupleStatus.ACTIVE, 6),
    (CoupleStatus.COMPLETED, 2),
    (CoupleStatus.CLOSED, 1),
    (CoupleStatus.DECLINED, 1),
]


def demo_users() -> dict[str, User]:
    users = {}
    for username, first, last, credentials, roles in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                first_name=first,
                last_name=last,
                credentials=credentials,
                email=f"{username}@demo-clinic.example",
                **roles,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
        if two_factor_required(user):
            # Prescribers and admins always need a second factor; the demo enrols an authenticator for them and
            # `manage.py demo_code USERNAME` shows its current code.
            TOTPDevice.objects.get_or_create(user=user, defaults={"secret": totp_new_secret()})
        users[username] = user
    return users


def demo_code(username: str) -> str:
    """The current authenticator code of a demo user (the demo clinic only, never production)."""
    if settings.PRODUCTION:
        raise ImproperlyConfigured("Demo codes exist only in the demo clinic.")
    if username not in {u[0] for u in DEMO_USERS}:
        raise ValueError(f"{username} is not a demo user.")
    device = TOTPDevice.objects.filter(user__username=username).first()
    if device is None:
        raise ValueError(f"{username} has no authenticator (only prescribers and admins need one).")
    return pyotp.TOTP(device.secret).now()


def load_demo_clinic() -> tuple[dict[str, User], int]:
    """Create the demo users and couples that are missing; return the users and how many couples were added."""
    if settings.PRODUCTION:
        raise ImproperlyConfigured("The demo clinic is never loaded into a production database.")
    rng = random.Random(2026)
    with transaction.atomic():
        users = demo_users()
        therapists = [users["maya"], users["jordan"]]
        prescriber, admin = users["sam"], users["lee"]
        added = 0
        number = 0
        lot = demo_lot(prescriber)
        stages = iter(
            ["early", "cycle_done", "medicine_booked", "pending_request", "cycle_done", "early", "finished", "finished"]
        )
        for status, count in PLAN:
            for _ in range(count):
                number += 1
                case_number = f"KAP-{number:04d}"
                therapist = therapists[number % 2]
                first_a = rng.choice(FIRST_NAMES)
                first_b = rng.choice([name for name in FIRST_NAMES if name != first_a])
                names = [(first_a, rng.choice(LAST_NAMES)), (first_b, rng.choice(LAST_NAMES))]
                if Couple.objects.filter(case_number=case_number).exists():
                    continue
                couple = _demo_couple(rng, case_number, status, therapist, prescriber, admin, names)
                couple.refresh_from_db()
                if status in (CoupleStatus.ACTIVE, CoupleStatus.COMPLETED):
                    demo_course(couple, therapist=therapist, prescriber=prescriber, stage=next(stages), lot=lot)
                if status == CoupleStatus.COMPLETED:
                    services.couple_transition(
                        by=therapist, couple=couple, to_status=status, note="Course finished; follow-up held."
                    )
                added += 1
    return users, added


def _demo_couple(rng, case_number, status, therapist, prescriber, admin, names) -> Couple:
    today = timezone.localdate()
    partners = []
    for index, (first, last) in enumerate(names):
        partners.append(
            Partner(
                first_name=first,
                last_name=last if index == 0 or rng.random() < 0.6 else names[0][1],
                date_of_birth=today - datetime.timedelta(days=rng.randint(26 * 365, 62 * 365)),
                pronouns=rng.choice(["she/her", "he/him", "they/them", ""]),
                email=f"{first.lower()}.{'ab'[index]}.{case_number.lower()}@demo-patient.example",
                phone=f"+1 202 555 01{rng.randint(0, 99):02d}",  # 555-0100..0199 are set aside as fictional
                reminder_channel=rng.choice([ReminderChannel.EMAIL, ReminderChannel.EMAIL, ReminderChannel.SMS]),
                emergency_contact_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                emergency_contact_phone=f"+1 202 555 01{rng.randint(0, 99):02d}",
                emergency_contact_relationship=rng.choice(["sibling", "parent", "friend"]),
            )
        )
    couple = services.couple_create(
        by=admin,
        couple=Couple(
            case_number=case_number,
            prescriber=prescriber,
            treatment_goals=rng.choice(GOALS),
            relationship_concerns=rng.choice(CONCERNS),
        ),
        therapists=[therapist],
        partners=partners,
    )
    if status == CoupleStatus.REFERRED:
        return couple
    services.couple_transition(by=therapist, couple=couple, to_status=CoupleStatus.SCREENING)
    solo = rng.random() < 0.35
    progress = rng.randint(1, 3) if status == CoupleStatus.SCREENING else 3
    for index, partner in enumerate(couple.partners.order_by("label")):
        _demo_screening(rng, partner, therapist, prescriber, candidate=not (solo and index == 1), progress=progress)
    if status == CoupleStatus.DECLINED:
        services.couple_transition(
            by=therapist,
            couple=couple,
            to_status=status,
            note="Couple decided ketamine-assisted work is not right for them now.",
        )
    elif status in (CoupleStatus.ACTIVE, CoupleStatus.COMPLETED, CoupleStatus.CLOSED):
        services.couple_transition(by=therapist, couple=couple, to_status=CoupleStatus.ACTIVE)
        if status == CoupleStatus.CLOSED:
            services.couple_transition(
                by=therapist, couple=couple, to_status=status, note="Moved out of state; referred to a local clinic."
            )
    return couple


def _demo_screening(rng, partner, therapist, prescriber, *, candidate: bool, progress: int) -> None:
    """progress 1: details only; 2: plus questionnaires, checklist, consent; 3: outcome decided."""
    screening = partner.screening
    services.screening_update(
        by=therapist,
        screening=screening,
        values={
            "medicine_candidate": candidate,
            "conditions": rng.sample([c for c in Condition.values if c != Condition.SUICIDALITY], k=rng.randint(1, 3))
            + [Condition.RELATIONSHIP_DISTRESS],
            "military_or_veteran": rng.random() < 0.2,
            "interacting_medications": [InteractingMedication.STIMULANTS] if rng.random() < 0.15 else [],
            "current_medications": rng.choice(["Sertraline 100 mg daily", "None", "Bupropion 150 mg XL", "None"]),
            "allergies": rng.choice(["None known", "Penicillin", "None known"]),
            "systolic": rng.randint(108, 136),
            "diastolic": rng.randint(66, 86),
            "heart_rate": rng.randint(58, 84),
            "weight_kg": rng.randint(52, 98),
        },
    )
    if progress < 2:
        return
    for code, (low, high) in {"PHQ9": (3, 18), "GAD7": (2, 16), "PCL5": (8, 48), "CSI4": (6, 16)}.items():
        target = rng.randint(low, high)
        services.questionnaire_record(
            by=therapist,
            partner=partner,
            instrument=code,
            answers=answers_for(code, target, rng),
            administered_on=timezone.localdate() - datetime.timedelta(days=rng.randint(3, 20)),
        )
    services.contraindications_record(
        by=therapist, screening=screening, findings=dict.fromkeys(Contraindication.values, (False, ""))
    )
    services.screening_update(
        by=therapist,
        screening=screening,
        values={
            "consent_signed_on": timezone.localdate() - datetime.timedelta(days=rng.randint(1, 10)),
            "consent_version": "2026-1",
        },
    )
    if progress < 3:
        if candidate and rng.random() < 0.5:
            services.screening_decide(
                by=therapist,
                screening=screening,
                outcome=ScreeningOutcome.REVIEW,
                note="Screening complete; please review.",
            )
        return
    decider = prescriber if candidate else therapist
    services.screening_decide(
        by=decider,
        screening=screening,
        outcome=ScreeningOutcome.CLEARED,
        note="" if candidate else "Sober support partner; consent on file.",
    )
