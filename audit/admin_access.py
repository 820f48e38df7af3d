"""Access rules shared by every ModelAdmin: clinic admins only, and clinical records read-only."""

from django.contrib import admin

from audit.choices import AuditAction
from audit.services import audit_record
from kapcouples.forms import with_text_rule


class ClinicAdminAccess:
    """Only active clinic admins reach these admin pages."""

    def _is_clinic_admin(self, request) -> bool:
        return request.user.is_active and getattr(request.user, "is_clinic_admin", False)

    def get_form(self, request, obj=None, **kwargs):
        """The admin's forms follow the product's text rule (kapcouples.forms) like every other form."""
        return with_text_rule(super().get_form(request, obj, **kwargs))

    def has_module_permission(self, request):
        return self._is_clinic_admin(request)

    def has_view_permission(self, request, obj=None):
        return self._is_clinic_admin(request)

    def has_add_permission(self, request, *args):
        return self._is_clinic_admin(request)

    def has_change_permission(self, request, obj=None):
        return self._is_clinic_admin(request)

    def has_delete_permission(self, request, obj=None):
        return self._is_clinic_admin(request)


class ReadOnlyClinicalAdmin(ClinicAdminAccess, admin.ModelAdmin):
    """Clinical records are looked at here and changed only through the product's pages and services,
    where every rule and timeline entry lives; nothing is ever deleted."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        # No bulk action on clinical records, whatever the permissions say (delete_selected included).
        return {}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The admin's page of one clinical record is a read of clinical data like any other: audited."""
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200 and getattr(response, "context_data", None):
            obj = response.context_data.get("original")
            if obj is not None:
                audit_record(
                    action=AuditAction.READ,
                    request=request,
                    obj=obj,
                    summary=f"{obj._meta.label_lower} {obj.pk} viewed in the admin",
                )
        return response
