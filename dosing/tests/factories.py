"""Helpers that put a couple where dosing tests need it."""

import datetime
from decimal import Decimal

from django.utils import timezone

from cases.choices import CoupleStatus
from cases.models import Couple
from conftest import PASSWORD
from dosing import services
from dosing.choices import APPROACHES, Approach
from dosing.models import Approval, StockLot
from tests.factories import clear_partner


def ready_couple(couple: Couple, prescriber, *, sober: str | None = None) -> Couple:
    """Both partners cleared and consented (or one as sober support), and the couple in active treatment."""
    for partner in couple.partners.all():
        screening = clear_partner(partner, prescriber)
        if partner.label == sober:
            screening.medicine_candidate = False
            screening.save()
    Couple.objects.filter(pk=couple.pk).update(status=CoupleStatus.ACTIVE)
    couple.refresh_from_db()
    return couple


def dose_rows(couple: Couple, approach: str, *, solo_label: str = "A", full: str = "100", max_extra: str = "20"):
    info = APPROACHES[approach]
    rows = []
    for partner in couple.partners.order_by("label"):
        if not info.both_dose and partner.label != solo_label:
            continue
        dose = (Decimal(full) * info.fraction.numerator / info.fraction.denominator).quantize(Decimal("0.01"))
        rows.append({"partner": partner, "route": "im", "full_dose_mg": Decimal(full), "dose_mg": dose,
                     "weight_kg": Decimal("70"), "max_total_mg": dose + Decimal(max_extra), "fraction_reason": ""})
    return rows


def sign(couple: Couple, prescriber, approach: str = Approach.DUAL_PSYCHOLYTIC, *, request=None, days: int = 90,
         sessions_covered: int | None = None, solo_label: str = "A", **kwargs) -> Approval:
    today = timezone.localdate()
    return services.approval_sign(
        by=prescriber, password=PASSWORD, couple=couple, approach=approach, valid_from=today,
        valid_until=today + datetime.timedelta(days=days), sessions_covered=sessions_covered, conditions="",
        doses=kwargs.pop("doses", None) or dose_rows(couple, approach, solo_label=solo_label), request=request)


def lot(by, *, number: str = "LOT-1", amount: str = "1000", days: int = 365) -> StockLot:
    return services.stock_receive(by=by, lot_number=number, product="Ketamine HCl 50 mg/mL",
                                  expires_on=timezone.localdate() + datetime.timedelta(days=days),
                                  amount_mg=Decimal(amount))
