"""Reading and changing the clinic settings."""

from contextlib import contextmanager
from contextvars import ContextVar

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from clinic.models import ClinicSettingChange, ClinicSettings

EDITABLE_FIELDS = [
    f.name for f in ClinicSettings._meta.get_fields() if f.concrete and f.name not in {"id", "updated_at"}
]


# Within one request the settings are read once: pages consult them from several places (protocol, bands,
# thresholds, measures), and a change made during the request drops the copy.
_request_copy: ContextVar[dict | None] = ContextVar("clinic_settings_request_copy", default=None)


def clinic_settings_get() -> ClinicSettings:
    """Return the clinic settings row (read once per request; treat it as read-only)."""
    copy = _request_copy.get()
    if copy is not None and "settings" in copy:
        return copy["settings"]
    obj, _ = ClinicSettings.objects.get_or_create(id=1)
    if copy is not None:
        copy["settings"] = obj
    return obj


@contextmanager
def clinic_settings_read_once():
    """Within the block the clinic settings are read from the database at most once (a request, a batch of
    background work)."""
    token = _request_copy.set({})
    try:
        yield
    finally:
        _request_copy.reset(token)


class ClinicSettingsPerRequest:
    """Middleware: one read of the clinic settings per request, however many places ask."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with clinic_settings_read_once():
            return self.get_response(request)


def clinic_settings_update(*, by: User, values: dict) -> list[ClinicSettingChange]:
    """Apply changed values as a clinic admin, validating the whole row and auditing each change."""
    # The one who-may check outside cases/policy.py: the settings sit below the cases app, which may not be
    # imported from here. It is the same rule as policy.may_administer_clinic.
    if not (by.is_active and by.is_clinic_admin):
        raise ValidationError("Only an active clinic admin can change the clinic settings.", code="clinic-admin")
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown settings: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        current = ClinicSettings.objects.select_for_update().get(id=clinic_settings_get().id)
        changes = []
        for name, value in values.items():
            old = getattr(current, name)
            if old != value:
                setattr(current, name, value)
                field = ClinicSettings._meta.get_field(name)
                changes.append(
                    ClinicSettingChange(
                        field=name,
                        label=str(field.verbose_name),
                        old_value=str(old),
                        new_value=str(value),
                        changed_by=by,
                    )
                )
        if not changes:
            return []
        current.full_clean()
        current.save()
        copy = _request_copy.get()
        if copy is not None:
            copy.pop("settings", None)
        return ClinicSettingChange.objects.bulk_create(changes)
