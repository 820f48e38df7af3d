"""Who may see and change which couple. Views reach couples only through these functions."""

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import User
from cases.models import Couple


def visible_couples(user: User) -> QuerySet[Couple]:
    """The couples a user may see: an admin all, a therapist or prescriber those assigned to them."""
    if not user.is_authenticated or not user.is_active:
        return Couple.objects.none()
    if user.is_clinic_admin:
        return Couple.objects.all()
    scope = Q(pk__in=[])
    if user.is_therapist:
        scope |= Q(pk__in=Couple.therapists.through.objects.filter(user_id=user.pk).values("couple_id"))
    if user.is_prescriber:
        scope |= Q(prescriber_id=user.pk)
    return Couple.objects.filter(scope)


def couple_for_user(user: User, couple_uuid) -> Couple:
    """The couple with this UUID if the user may see it; otherwise 404, as if it did not exist."""
    try:
        return visible_couples(user).select_related("prescriber").get(uuid=couple_uuid)
    except Couple.DoesNotExist:
        raise Http404("No such couple.") from None


def can_create_couple(user: User) -> bool:
    return user.is_therapist or user.is_clinic_admin


def can_assign_care_team(user: User) -> bool:
    return user.is_clinic_admin
