from django.contrib import admin

from audit.admin_access import ClinicAdminAccess
from ops.models import TaskFailure, WorkerHeartbeat


@admin.register(TaskFailure)
class TaskFailureAdmin(ClinicAdminAccess, admin.ModelAdmin):
    """Failed background tasks, read-only; an admin deletes a row once the failure is dealt with."""

    list_display = ("failed_at", "task_name", "exception_name", "message", "location", "task_id")
    list_filter = ("task_name",)
    date_hierarchy = "failed_at"
    readonly_fields = ("task_name", "task_id", "args", "kwargs", "exception", "message", "location", "worker",
                       "failed_at")

    @admin.display(description="error")
    def exception_name(self, obj):
        return obj.exception.rsplit(".", 1)[-1]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ClinicAdminAccess, admin.ModelAdmin):
    """When each queue's workers last answered (what /readyz checks)."""

    list_display = ("queue", "beat_at", "worker")

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False
