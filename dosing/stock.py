"""The controlled-substance log (CLINICAL.md, "Controlled substance"): lots received, doses drawn, witnessed waste
and counts, and every lot's balance, which is the signed sum of its entries."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, DecimalField, F, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from cases import policy
from dosing.choices import StockEntryKind
from dosing.models import InventoryCount, StockEntry, StockLot
from dosing.wording import fmt_mg

BALANCE = {"max_digits": 12, "decimal_places": 2}


def signed_amount(prefix: str = "") -> Case:
    """An entry's amount with the sign its kind gives it (StockEntryKind.sign), as a database expression."""
    incoming = [kind for kind in StockEntryKind if kind.sign > 0]
    return Case(
        When(**{f"{prefix}kind__in": incoming}, then=F(f"{prefix}amount_mg")),
        default=-F(f"{prefix}amount_mg"),
        output_field=DecimalField(**BALANCE),
    )


def balance_sum(prefix: str = "") -> Coalesce:
    """The signed sum of the entries (0 for none), as a database expression: a lot's balance in the log."""
    return Coalesce(Sum(signed_amount(prefix)), Value(Decimal(0)), output_field=DecimalField(**BALANCE))


def lot_balance(lot: StockLot) -> Decimal:
    """What the log says the lot holds now."""
    return lot.entries.aggregate(balance=balance_sum())["balance"]


def _witness_confirms(witness: User | None, password: str, by: User) -> None:
    if witness is None or witness.pk == by.pk:
        raise ValidationError({"witness": "A second person must witness this."})
    if not witness.is_active or not witness.check_password(password or ""):
        raise ValidationError({"witness_password": "The witness's password is not right."})


def stock_receive(
    *, by: User, lot_number: str, product: str, expires_on: datetime.date, amount_mg: Decimal, supplier: str = ""
) -> StockLot:
    """Log ketamine received: a new lot and its first entry."""
    policy.require_may_keep_stock_log(by)
    if amount_mg <= 0:
        raise ValidationError({"amount_mg": "Enter the amount received, in mg."})
    if expires_on <= timezone.localdate():
        raise ValidationError({"expires_on": "This lot has already expired."})
    with transaction.atomic():
        lot = StockLot(
            lot_number=lot_number.strip(), product=product.strip(), expires_on=expires_on, supplier=supplier.strip()
        )
        lot.full_clean()
        lot.save()
        StockEntry.objects.create(lot=lot, kind=StockEntryKind.RECEIVED, amount_mg=amount_mg, by=by)
    return lot


def stock_waste(
    *, by: User, lot: StockLot, amount_mg: Decimal, witness: User | None, witness_password: str, note: str
) -> StockEntry:
    """Log waste, witnessed by a second person who confirms with their password."""
    policy.require_may_keep_stock_log(by)
    _witness_confirms(witness, witness_password, by)
    if amount_mg <= 0:
        raise ValidationError({"amount_mg": "Enter the amount wasted, in mg."})
    if not note.strip():
        raise ValidationError({"note": "Say what was wasted and why (e.g. remainder of vial after a dose)."})
    with transaction.atomic():
        lot = StockLot.objects.select_for_update().get(pk=lot.pk)
        balance = lot_balance(lot)
        if amount_mg > balance:
            raise ValidationError({"amount_mg": f"The log shows only {fmt_mg(balance)} in lot {lot.lot_number}."})
        return StockEntry.objects.create(
            lot=lot, kind=StockEntryKind.WASTED, amount_mg=amount_mg, by=by, witness=witness, note=note.strip()
        )


def inventory_count(
    *, by: User, lot: StockLot, counted_mg: Decimal, witness: User | None, witness_password: str, note: str = ""
) -> InventoryCount:
    """Record a witnessed physical count. A difference from the log must be explained, and is then booked as an
    adjustment so that the log reconciles with the shelf."""
    policy.require_may_keep_stock_log(by)
    _witness_confirms(witness, witness_password, by)
    if counted_mg < 0:
        raise ValidationError({"counted_mg": "A count cannot be negative."})
    with transaction.atomic():
        lot = StockLot.objects.select_for_update().get(pk=lot.pk)
        expected = lot_balance(lot)
        if counted_mg != expected and not note.strip():
            raise ValidationError(
                {
                    "note": f"The log shows {fmt_mg(expected)} and you counted {fmt_mg(counted_mg)}: "
                    "explain the difference."
                }
            )
        count = InventoryCount.objects.create(
            lot=lot, counted_mg=counted_mg, expected_mg=expected, by=by, witness=witness, note=note.strip()
        )
        if counted_mg != expected:
            StockEntry.objects.create(
                lot=lot,
                kind=StockEntryKind.ADJUSTED,
                amount_mg=counted_mg - expected,
                by=by,
                witness=witness,
                note=f"Count {count.pk}: {note.strip()}",
            )
    return count
