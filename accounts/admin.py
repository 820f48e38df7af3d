from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import User
from kapcouples.admin_access import ClinicAdminAccess


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
