"""manage.py verify_records: exits 1 when any signed record, guard or sealed audit event does not match."""

from django.core.management.base import BaseCommand, CommandError

from records.verify import records_verify


class Command(BaseCommand):
    help = "Check every signed approval and note against its hash, the database guards, and the audit trail's seal."

    def handle(self, *args, **options):
        run = records_verify()
        for line in run.mismatches:
            self.stderr.write(line)
        if run.mismatches:
            raise CommandError(f"{len(run.mismatches)} mismatch(es) among {run.checked} records checked.")
        self.stdout.write(f"{run.checked} records checked; all match.")
