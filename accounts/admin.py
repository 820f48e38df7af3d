from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import TOTPDevice, User
from audit.admin_access import ClinicAdminAccess


@admin.register(User)
class UserAdmin(ClinicAdminAccess, DjangoUserAdmin):
    list_display = ["username", "first_name", "last_name", "email", "is_therapist", "is_prescriber",
                    "is_clinic_admin", "is_active"]
    list_filter = ["is_therapist", "is_prescriber", "is_clinic_admin", "is_active"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "credentials", "email")}),
        ("Roles", {"fields": ("is_therapist", "is_prescriber", "is_clinic_admin", "is_active")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "email", "first_name", "last_name", "password1",
                                                 "password2", "is_therapist", "is_prescriber", "is_clinic_admin")}),
    )
    readonly_fields = ["last_login", "date_joined"]

    def has_delete_permission(self, request, obj=None):
        # Users sign clinical records; deactivate them instead of deleting.
        return False


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(ClinicAdminAccess, admin.ModelAdmin):
    """A clinic admin resets a user's two-factor (lost phone and codes) by deleting the authenticator;
    the user sets up a new one at their next sign-in. The secret is never shown."""

    list_display = ["user", "confirmed_at"]
    search_fields = ["user__username", "user__last_name"]
    fields = ["user", "confirmed_at"]
    readonly_fields = ["user", "confirmed_at"]
    list_select_related = ["user"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False
