"""The results of verify_records: what was checked, what did not match, and the seal of the audit trail."""

from django.db import models
from django.utils import timezone


class VerificationRun(models.Model):
    """One walk over every signed record and the audit trail (manage.py verify_records; nightly by beat).

    Written once, when the walk ends (insert-only in the database too). The audit seal is a SHA-256 chained over
    every audit event up to audit_last_id: the next run recomputes it, so a changed or deleted event shows."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(default=timezone.now)
    checked = models.PositiveIntegerField(help_text="How many records were checked.")
    mismatches = models.JSONField(default=list, blank=True, help_text="One line per record that does not match.")
    audit_last_id = models.BigIntegerField(null=True, blank=True)
    audit_rows = models.PositiveBigIntegerField(default=0)
    audit_seal = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-finished_at", "-id"]
        get_latest_by = "finished_at"

    def __str__(self) -> str:
        return f"Records verified {self.finished_at:%Y-%m-%d %H:%M}: {'ok' if self.ok else 'MISMATCH'}"

    @property
    def ok(self) -> bool:
        return not self.mismatches
