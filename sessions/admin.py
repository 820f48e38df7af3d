from django.contrib import admin

from audit.admin_access import ClinicAdminAccess, ReadOnlyClinicalAdmin
from sessions.models import NoteAmendment, Room, SessionEvent, SessionNote, TherapySession


@admin.register(Room)
class RoomAdmin(ClinicAdminAccess, admin.ModelAdmin):
    """Rooms are clinic furniture, not clinical records: clinic admins add, rename and retire them here."""

    list_display = ["name", "active", "notes"]
    list_filter = ["active"]

    def has_delete_permission(self, request, obj=None):
        # A room that held sessions is retired (untick "active"), never deleted: the sessions keep it.
        if obj is not None and obj.sessions.exists():
            return False
        return super().has_delete_permission(request, obj)


class SessionEventInline(admin.TabularInline):
    model = SessionEvent
    extra = 0
    can_delete = False
    fields = ["at", "kind", "summary", "note", "actor"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TherapySession)
class TherapySessionAdmin(ReadOnlyClinicalAdmin):
    """Sessions are booked and changed on the session pages, where the protocol and clash rules live."""

    list_display = ["start", "couple", "phase", "therapist", "place", "room", "status"]
    list_filter = ["phase", "status", "place", "room"]
    search_fields = ["couple__case_number", "therapist__last_name"]
    date_hierarchy = "start"
    list_select_related = ["couple", "therapist", "room"]
    inlines = [SessionEventInline]


@admin.register(SessionNote)
class SessionNoteAdmin(ReadOnlyClinicalAdmin):
    """Notes are written and signed on the session pages; a signed note is never edited anywhere."""

    list_display = ["session", "status", "author", "signed_by", "signed_at"]
    list_filter = ["status"]
    list_select_related = ["session__couple", "author", "signed_by"]


@admin.register(NoteAmendment)
class NoteAmendmentAdmin(ReadOnlyClinicalAdmin):
    list_display = ["created_at", "note", "author"]
    list_select_related = ["note__session__couple", "author"]
