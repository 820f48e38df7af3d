from django.contrib import admin

from jobs.models import ExportJob, Reminder, ReminderLead, SessionSummary
from audit.admin_access import ClinicAdminAccess, ReadOnlyClinicalAdmin


@admin.register(ReminderLead)
class ReminderLeadAdmin(ClinicAdminAccess, admin.ModelAdmin):
    """The clinic's reminder lead times per phase; sessions booked or moved afterwards use the new ones."""

    list_display = ["phase", "minutes_before"]
    list_filter = ["phase"]


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyClinicalAdmin):
    """The rows are the record of what was sent; only the dispatcher changes them."""

    list_display = ["session", "recipient_kind", "channel", "lead_minutes", "due_at", "status", "sent_at", "error"]
    list_filter = ["status", "channel", "recipient_kind"]
    raw_id_fields = ["session", "partner", "user"]


@admin.register(SessionSummary)
class SessionSummaryAdmin(ReadOnlyClinicalAdmin):
    list_display = ["session", "version", "trigger", "status", "created_at", "rendered_at"]
    list_filter = ["status", "trigger"]
    raw_id_fields = ["session"]


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyClinicalAdmin):
    list_display = ["uuid", "requested_by", "status", "progress_done", "progress_total", "created_at", "expires_at"]
    list_filter = ["status"]
