from django.contrib import admin

from clinic.models import ClinicSettingChange, ClinicSettings
from audit.admin_access import ReadOnlyClinicalAdmin


@admin.register(ClinicSettings)
class ClinicSettingsAdmin(ReadOnlyClinicalAdmin):
    """Changed on the clinic settings page, where each change is audited."""


@admin.register(ClinicSettingChange)
class ClinicSettingChangeAdmin(ReadOnlyClinicalAdmin):
    list_display = ["changed_at", "label", "old_value", "new_value", "changed_by"]
