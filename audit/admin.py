from django.contrib import admin

from audit.models import AuditEvent
from audit.admin_access import ReadOnlyClinicalAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyClinicalAdmin):
    """Clinic admins look; nobody adds, changes or deletes (the search and export live at /audit/)."""

    list_display = ["at", "actor_username", "action", "object_type", "object_id", "couple", "summary", "ip_address"]
    list_filter = ["action"]
    search_fields = ["actor_username", "couple__case_number", "object_id"]
    list_select_related = ["couple"]
    date_hierarchy = "at"
    actions = None

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]
