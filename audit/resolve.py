"""Find the couple a clinical record belongs to, by following foreign keys up to cases.Couple."""

from functools import cache

from django.apps import apps
from django.conf import settings
from django.db import models

MAX_HOPS = 4


def _couple_model():
    return apps.get_model("cases", "Couple")


@cache
def couple_path(model: type[models.Model]) -> tuple[str, ...] | None:
    """The shortest chain of foreign-key names from model to Couple, e.g. ("screening", "partner",
    "couple"); () for Couple itself; None when the model does not belong to a couple."""
    couple_model = _couple_model()
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    frontier: list[tuple[type[models.Model], tuple[str, ...]]] = [(model, ())]
    for _ in range(MAX_HOPS + 1):
        next_frontier = []
        for current, path in frontier:
            if current is couple_model:
                return path
            for field in current._meta.concrete_fields:
                # People are not part of a case: a path through a user would find the wrong couple.
                if (field.many_to_one or field.one_to_one) and field.related_model not in (current, user_model):
                    next_frontier.append((field.related_model, path + (field.name,)))
        frontier = next_frontier
    return None


def couple_id_for(obj: models.Model) -> int | None:
    """The id of obj's couple: free when obj holds couple_id, otherwise one query."""
    model = obj._meta.model  # not type(obj): request.user is a lazy proxy
    path = couple_path(model)
    if path is None:
        return None
    if path == ():
        return obj.pk
    first = model._meta.get_field(path[0])
    first_id = getattr(obj, first.attname)
    if first_id is None:
        return None
    if len(path) == 1:
        return first_id
    lookup = "__".join(path[1:]) + "_id"
    return first.related_model._base_manager.filter(pk=first_id).values_list(lookup, flat=True).first()
