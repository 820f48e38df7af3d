"""Bulk writes on clinical models: audited (one event per call), or refused outright on insert-only records.

A QuerySet.update/delete/bulk_create skips Model.save() and the services, so without this a script could change
hundreds of clinical rows and leave no trace. The database triggers (records.guards) still refuse changes to
insert-only rows if the base manager is used instead.
"""

from django.core.exceptions import ValidationError
from django.db import models

from audit.choices import AuditAction


class KeptRecordError(ValidationError):
    """Raised by any bulk change or delete of an insert-only record."""


def _audit_bulk(model, action: str, count: int, detail: str = "") -> None:
    from audit.services import audit_record  # audit.services imports the models that use these querysets

    audit_record(
        action=action,
        object_type=model._meta.label_lower,
        summary=f"bulk {action} of {count} {model._meta.label_lower} row(s){detail}",
    )


class AuditedQuerySet(models.QuerySet):
    """update, delete, bulk_create and bulk_update each write an audit event naming the model, the count and the
    fields (never the values)."""

    def update(self, **kwargs):
        count = super().update(**kwargs)
        if count:
            _audit_bulk(self.model, AuditAction.CHANGE, count, f": {', '.join(sorted(kwargs))}")
        return count

    def delete(self):
        deleted, per_model = super().delete()
        if deleted:
            _audit_bulk(self.model, AuditAction.DELETE, deleted)
        return deleted, per_model

    delete.alters_data = True
    delete.queryset_only = True

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        if created:
            _audit_bulk(self.model, AuditAction.CREATE, len(created))
        return created

    def bulk_update(self, objs, fields, *args, **kwargs):
        count = super().bulk_update(objs, fields, *args, **kwargs)
        if count:
            _audit_bulk(self.model, AuditAction.CHANGE, count, f": {', '.join(sorted(fields))}")
        return count


class InsertOnlyQuerySet(AuditedQuerySet):
    """Reads and inserts (audited in bulk) only: every bulk change or delete raises, naming the rule."""

    def _refuse(self, *args, **kwargs):
        raise KeptRecordError(
            f"A {self.model._meta.verbose_name} is insert-only: it is never changed or deleted, in bulk or otherwise."
        )

    update = bulk_update = update_or_create = _refuse

    def delete(self):
        self._refuse()

    delete.alters_data = True
    delete.queryset_only = True

    def _raw_delete(self, using):
        self._refuse()

    _raw_delete.queryset_only = True
