"""The controlled-substance log: received, wasted with a witness, counted; never edited."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from dosing.choices import StockEntryKind
from dosing.models import InventoryCount, StockEntry
from dosing.stock import inventory_count, lot_balance, stock_waste
from dosing.tests.factories import lot

pytestmark = pytest.mark.django_db


def test_receipt_waste_and_count_reconcile(prescriber, clinic_admin):
    stock = lot(prescriber, amount="500")
    stock_waste(
        by=prescriber,
        lot=stock,
        amount_mg=Decimal("20"),
        witness=clinic_admin,
        witness_password=PASSWORD,
        note="Vial remainder after dose",
    )
    assert lot_balance(stock) == Decimal("480")
    count = inventory_count(
        by=prescriber, lot=stock, counted_mg=Decimal("480"), witness=clinic_admin, witness_password=PASSWORD
    )
    assert count.difference_mg == 0


def test_a_count_that_differs_must_be_explained_and_is_booked(prescriber, clinic_admin):
    stock = lot(prescriber, amount="500")
    with pytest.raises(ValidationError) as exc:
        inventory_count(
            by=prescriber, lot=stock, counted_mg=Decimal("490"), witness=clinic_admin, witness_password=PASSWORD
        )
    assert "The log shows 500 mg and you counted 490 mg" in exc.value.message_dict["note"][0]
    inventory_count(
        by=prescriber,
        lot=stock,
        counted_mg=Decimal("490"),
        witness=clinic_admin,
        witness_password=PASSWORD,
        note="Vial broken, documented in incident 12",
    )
    assert lot_balance(stock) == Decimal("490")
    assert StockEntry.objects.get(kind=StockEntryKind.ADJUSTED).amount_mg == Decimal("-10")


def test_waste_needs_another_person_who_confirms(prescriber, clinic_admin):
    stock = lot(prescriber)
    with pytest.raises(ValidationError) as exc:
        stock_waste(
            by=prescriber, lot=stock, amount_mg=Decimal("5"), witness=prescriber, witness_password=PASSWORD, note="x"
        )
    assert "witness" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        stock_waste(
            by=prescriber, lot=stock, amount_mg=Decimal("5"), witness=clinic_admin, witness_password="wrong", note="x"
        )
    assert "witness_password" in exc.value.message_dict
    assert StockEntry.objects.count() == 1


def test_the_database_refuses_unwitnessed_waste(prescriber):
    stock = lot(prescriber)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockEntry.objects.create(lot=stock, kind=StockEntryKind.WASTED, amount_mg=Decimal("5"), by=prescriber)


def test_log_entries_are_never_changed(prescriber):
    entry = lot(prescriber).entries.get()
    entry.amount_mg = Decimal("1")
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()


def test_more_waste_than_the_balance_is_refused(prescriber, clinic_admin):
    stock = lot(prescriber, amount="10")
    with pytest.raises(ValidationError, match="only 10 mg"):
        stock_waste(
            by=prescriber, lot=stock, amount_mg=Decimal("11"), witness=clinic_admin, witness_password=PASSWORD, note="x"
        )


def test_therapists_do_not_keep_the_log(therapist, client_for):
    with pytest.raises(ValidationError):
        lot(therapist)
    assert client_for(therapist).get(reverse("dosing:stock")).status_code == 403


def test_an_expired_lot_cannot_be_received(prescriber):
    with pytest.raises(ValidationError) as exc:
        lot(prescriber, days=-1)
    assert "expires_on" in exc.value.message_dict


def test_log_report_lists_every_entry(prescriber, clinic_admin, client_for):
    stock = lot(prescriber, number="LOT-77", amount="300")
    stock_waste(
        by=prescriber,
        lot=stock,
        amount_mg=Decimal("7"),
        witness=clinic_admin,
        witness_password=PASSWORD,
        note="drawn up, not used",
    )
    response = client_for(prescriber).get(reverse("dosing:stock_report"))
    rows = b"".join(response.streaming_content).decode().strip().splitlines()
    assert rows[0] == "time,lot,kind,amount_mg,by,witness,patient_case,note"
    assert "LOT-77,Stock received,300.00,priya" in rows[1]
    assert "LOT-77,Wasted (witnessed),7.00,priya,ada,,drawn up, not used" in rows[2].replace('"', "")


def test_receiving_from_the_page_with_a_lot_number_clash(prescriber, client_for):
    lot(prescriber, number="LOT-9")
    response = client_for(prescriber).post(
        reverse("dosing:stock"),
        {
            "lot_number": "LOT-9",
            "product": "K",
            "expires_on": (timezone.localdate() + datetime.timedelta(days=90)),
            "amount_mg": "100",
        },
    )
    assert response.status_code == 400
    assert "Stock lot with this Lot number already exists." in response.content.decode()
    assert InventoryCount.objects.count() == 0 and StockEntry.objects.count() == 1


def test_every_reading_of_a_balance_gives_the_same_sign(prescriber, clinic_admin):
    """Receipt and a count that found more add; waste subtracts: the service, the lot list and each log line
    agree, because the sign of a movement is defined once (StockEntryKind.sign)."""
    from dosing.selectors import stock_lots

    stock = lot(prescriber, amount="500")
    stock_waste(
        by=prescriber,
        lot=stock,
        amount_mg=Decimal("20"),
        witness=clinic_admin,
        witness_password=PASSWORD,
        note="Vial remainder after dose",
    )
    inventory_count(
        by=prescriber,
        lot=stock,
        counted_mg=Decimal("485"),
        witness=clinic_admin,
        witness_password=PASSWORD,
        note="Found a vial logged twice as waste",
    )
    signed = [e.signed_amount for e in StockEntry.objects.filter(lot=stock).order_by("at", "id")]
    assert signed == [Decimal("500"), Decimal("-20"), Decimal("5")]
    assert lot_balance(stock) == stock_lots().get(pk=stock.pk).balance == sum(signed) == Decimal("485")


# -- each refusal of the log's services, as a task or script would meet it -----------------------------------


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-5")])
def test_a_receipt_is_a_positive_amount(prescriber, amount):
    from dosing.models import StockLot
    from dosing.stock import stock_receive

    with pytest.raises(ValidationError) as exc:
        stock_receive(
            by=prescriber,
            lot_number="LOT-9",
            product="Ketamine HCl 50 mg/mL",
            expires_on=timezone.localdate() + datetime.timedelta(days=90),
            amount_mg=amount,
        )
    assert exc.value.message_dict == {"amount_mg": ["Enter the amount received, in mg."]}
    assert not StockLot.objects.filter(lot_number="LOT-9").exists()


def test_waste_is_a_positive_amount_with_a_note(prescriber, clinic_admin):
    stock = lot(prescriber, amount="500")

    def waste(amount: str, note: str) -> dict:
        with pytest.raises(ValidationError) as exc:
            stock_waste(
                by=prescriber,
                lot=stock,
                amount_mg=Decimal(amount),
                witness=clinic_admin,
                witness_password=PASSWORD,
                note=note,
            )
        return exc.value.message_dict

    assert waste("0", "Vial remainder") == {"amount_mg": ["Enter the amount wasted, in mg."]}
    assert waste("5", "  ") == {"note": ["Say what was wasted and why (e.g. remainder of vial after a dose)."]}
    assert lot_balance(stock) == Decimal("500")


def test_a_count_is_never_negative(prescriber, clinic_admin):
    stock = lot(prescriber, amount="500")
    with pytest.raises(ValidationError) as exc:
        inventory_count(
            by=prescriber, lot=stock, counted_mg=Decimal("-1"), witness=clinic_admin, witness_password=PASSWORD
        )
    assert exc.value.message_dict == {"counted_mg": ["A count cannot be negative."]}
    assert not InventoryCount.objects.exists()
