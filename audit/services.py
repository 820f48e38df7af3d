"""The one way to write to the audit trail."""

import ipaddress

from django.conf import settings
from django.db import models

from audit.choices import AuditAction
from audit.models import AuditEvent
from audit.resolve import couple_id_for

USER_AGENT_LENGTH = 200


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or the address the nearest of TRUSTED_PROXY_COUNT proxies
    saw (X-Forwarded-For read from the right, so a client cannot choose it)."""
    address = request.META.get("REMOTE_ADDR", "")
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def request_details(request) -> dict:
    """Where a request came from, without its query string or body (they may hold PHI)."""
    if request is None:
        return {}
    return {
        "path": request.path[:500],
        "method": request.method or "",
        "ip_address": client_ip(request),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH],
    }


def audit_record(
    *,
    action: AuditAction | str,
    actor=None,
    request=None,
    obj: models.Model | None = None,
    couple=None,
    couple_id=None,
    summary: str = "",
    actor_username: str | None = None,
    object_type: str = "",
    object_id: str = "",
    path: str | None = None,
) -> AuditEvent:
    """Append one event. The actor defaults to the request's signed-in user; the couple to obj's couple.
    couple_id may be a subquery expression, resolved by the INSERT itself.
    Callers keep PHI out of summary: model names and ids, never names or clinical values. path replaces the
    request's path where that path holds a secret (a feed's token)."""
    if (
        actor is None
        and request is not None
        and getattr(request, "user", None) is not None
        and request.user.is_authenticated
    ):
        actor = request.user
    if actor_username is None:
        actor_username = actor.get_username() if actor is not None else ""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    if couple is not None:
        couple_id = couple.pk
    elif couple_id is None and obj is not None:
        couple_id = couple_id_for(obj)
    details = request_details(request)
    if path is not None and details:
        details["path"] = path[:500]
    return AuditEvent.objects.create(
        action=AuditAction(action),
        actor=actor,
        actor_username=actor_username[:150],
        object_type=object_type[:100],
        object_id=str(object_id)[:64],
        couple_id=couple_id,
        summary=summary[:255],
        **details,
    )
