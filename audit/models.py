"""The audit trail: one row per security-relevant action, never changed and never deleted."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from audit.choices import AuditAction


class AuditTrailIsAppendOnly(Exception):
    """Raised by any attempt to change or delete audit events through the ORM."""


class AuditEventQuerySet(models.QuerySet):
    """Reads and inserts only: every bulk write path raises."""

    def update(self, **kwargs):
        raise AuditTrailIsAppendOnly("Audit events cannot be changed.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AuditTrailIsAppendOnly("Audit events cannot be changed.")

    def update_or_create(self, *args, **kwargs):
        raise AuditTrailIsAppendOnly("Audit events cannot be changed.")

    def delete(self):
        raise AuditTrailIsAppendOnly("Audit events cannot be deleted.")

    def _raw_delete(self, using):
        raise AuditTrailIsAppendOnly("Audit events cannot be deleted.")

    _raw_delete.queryset_only = True


class AuditEvent(models.Model):
    """Who did what, to which record of which couple, when and from where. Append-only; the
    database refuses UPDATE and DELETE on this table too (migration 0002)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    at = models.DateTimeField(default=timezone.now, editable=False)
    # PROTECT, not SET_NULL: nulling the column would be an UPDATE, which the table refuses; and
    # users and couples are kept for as long as their audit trail must be (deactivate, never delete).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_username = models.CharField(
        max_length=150, blank=True, help_text="The username at the time; for a failed sign-in, as typed."
    )
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(max_length=100, blank=True, help_text="app_label.model, e.g. cases.screening")
    object_id = models.CharField(max_length=64, blank=True)
    couple = models.ForeignKey("cases.Couple", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    summary = models.CharField(max_length=255, blank=True, help_text="Never names or clinical values: model and id.")
    path = models.CharField(max_length=500, blank=True, help_text="Without the query string, which may hold PHI.")
    method = models.CharField(max_length=10, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        # Django's deletion collector and related managers use the base manager: keep it append-only too.
        base_manager_name = "objects"
        constraints = [
            # A row with an unknown action could not be searched for or explained later.
            models.CheckConstraint(condition=Q(action__in=AuditAction.values), name="auditevent_action_known"),
        ]
        indexes = [
            models.Index(fields=["couple", "-at"]),
            models.Index(fields=["actor", "-at"]),
            models.Index(fields=["action", "-at"]),
            models.Index(fields=["-at"], name="auditevent_at_desc"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_username or '-'} {self.action} {self.summary}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditTrailIsAppendOnly("Audit events cannot be changed.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditTrailIsAppendOnly("Audit events cannot be deleted.")
