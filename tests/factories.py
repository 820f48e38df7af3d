"""Factories whose defaults satisfy every constraint: a couple always comes with partners A and B."""

import datetime

import factory
from django.utils import timezone

from accounts.models import User
from cases.choices import Contraindication, ScreeningOutcome
from cases.models import ContraindicationFinding, Couple, Partner, Screening


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@clinic.example")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or "correct-horse-battery-staple")
        if create:
            self.save()


class CoupleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Couple
        skip_postgeneration_save = True

    case_number = factory.Sequence(lambda n: f"KAP-{n + 1:04d}")

    @factory.post_generation
    def therapists(self, create, extracted, **kwargs):
        if create and extracted:
            self.therapists.set(extracted)

    @factory.post_generation
    def partners(self, create, extracted, **kwargs):
        if create:
            PartnerFactory(couple=self, label="A")
            PartnerFactory(couple=self, label="B")


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner
        skip_postgeneration_save = True

    couple = factory.SubFactory(CoupleFactory, partners=False)
    label = "A"
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=25, maximum_age=65)
    email = factory.Sequence(lambda n: f"partner{n}@mail.example")
    phone = factory.Sequence(lambda n: f"+120255501{n % 100:02d}")  # 555-0100..0199: fictional, valid

    @factory.post_generation
    def screening(self, create, extracted, **kwargs):
        if create:
            Screening.objects.create(partner=self, **(extracted or {}))


def make_screening_complete(screening: Screening, *, consent: bool = True) -> Screening:
    """Fill in what a prescriber needs before clearing: vitals, weight, checklist, consent."""
    screening.systolic, screening.diastolic, screening.heart_rate = 122, 78, 70
    screening.weight_kg = 72
    if consent:
        screening.consent_signed_on = timezone.localdate() - datetime.timedelta(days=3)
        screening.consent_version = "2026-1"
    screening.save()
    for code in Contraindication.values:
        ContraindicationFinding.objects.update_or_create(
            screening=screening, code=code, defaults={"present": False, "note": ""}
        )
    return screening


def clear_partner(partner: Partner, by: User) -> Screening:
    """Put a partner in the state a prescriber's clearance leaves them in."""
    screening = make_screening_complete(partner.screening)
    screening.outcome = ScreeningOutcome.CLEARED
    screening.outcome_by = by
    screening.outcome_at = timezone.now()
    screening.save()
    return screening
