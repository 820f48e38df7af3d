"""Who may act on dosing: small predicates (may_*) and the refusals that go with them (require_*).

Kept in one place so that the clinic-wide rule book (cases.policy) can take them over unchanged."""

from django.core.exceptions import ValidationError

from accounts.models import User
from cases.models import Couple


def may_request_dosing(user: User, couple: Couple) -> bool:
    """A therapist of the couple asks its prescriber for an approach."""
    return user.is_active and user.is_therapist and couple.therapists.filter(pk=user.pk).exists()


def require_couple_prescriber(user: User, couple: Couple) -> None:
    """Only the couple's own prescriber approves, declines or revokes its dosing."""
    if not user.is_prescriber:
        raise ValidationError("Only a prescriber can approve, decline or revoke dosing.")
    if couple.prescriber_id != user.pk:
        raise ValidationError("Only this couple's own prescriber can decide on its dosing.")


def require_stock_keeper(user: User) -> None:
    """The controlled-substance log is kept by prescribers and clinic admins."""
    if not (user.is_prescriber or user.is_clinic_admin):
        raise ValidationError("Only a prescriber or a clinic admin keeps the controlled-substance log.")


def require_hold_overrider(user: User) -> None:
    """Only a prescriber overrides a blood-pressure hold."""
    if not user.is_prescriber:
        raise ValidationError("Only a prescriber can override a blood-pressure hold.")
