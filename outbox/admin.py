from django.contrib import admin

from audit.admin_access import ReadOnlyClinicalAdmin
from outbox.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyClinicalAdmin):
    """What the workers still owe, and what failed with its error; the payload is not shown (a link's token)."""

    list_display = ["id", "kind", "object_id", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = ["kind", ("sent_at", admin.EmptyFieldListFilter)]
    fields = ["kind", "object_id", "created_at", "claimed_until", "sent_at", "attempts", "last_error"]
