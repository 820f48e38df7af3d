"""Reading and changing the clinic settings."""

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from clinic.models import ClinicSettingChange, ClinicSettings

EDITABLE_FIELDS = [
    f.name for f in ClinicSettings._meta.get_fields() if f.concrete and f.name not in {"id", "updated_at"}
]


def clinic_settings_get() -> ClinicSettings:
    """Return the clinic settings row, creating it with the CLINICAL.md defaults the first time."""
    obj, _ = ClinicSettings.objects.get_or_create(id=1)
    return obj


def clinic_settings_update(*, by: User, values: dict) -> list[ClinicSettingChange]:
    """Apply changed values as a clinic admin, validating the whole row and auditing each change."""
    if not by.is_clinic_admin:
        raise ValidationError("Only a clinic admin can change the clinic settings.")
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
                        field=name, label=str(field.verbose_name), old_value=str(old), new_value=str(value), changed_by=by
                    )
                )
        if not changes:
            return []
        current.full_clean()
        current.save()
        return ClinicSettingChange.objects.bulk_create(changes)
