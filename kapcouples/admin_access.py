"""Access rules shared by every ModelAdmin: clinic admins only, and clinical records read-only."""

from django.contrib import admin


class ClinicAdminAccess:
    """Only active clinic admins reach these admin pages."""

    def _is_clinic_admin(self, request) -> bool:
        return request.user.is_active and getattr(request.user, "is_clinic_admin", False)

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
