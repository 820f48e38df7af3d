from django.contrib import admin

from audit.admin_access import ReadOnlyClinicalAdmin
from clinic.models import ClinicSettingChange, ClinicSettings


@admin.register(ClinicSettings)
class ClinicSettingsAdmin(ReadOnlyClinicalAdmin):
    """Changed on the clinic settings page, where each change is audited."""


@admin.register(ClinicSettingChange)
class ClinicSettingChangeAdmin(ReadOnlyClinicalAdmin):
    list_display = ["changed_at", "label", "old_value", "new_value", "changed_by"]
