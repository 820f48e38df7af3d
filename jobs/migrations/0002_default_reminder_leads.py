"""The clinic's reminder lead times start at 48 h and 2 h before every kind of session."""

from django.db import migrations

PHASES = ("assessment", "preparation", "medicine", "integration", "follow_up")
DEFAULT_LEADS_MINUTES = (48 * 60, 2 * 60)


def add_defaults(apps, schema_editor):
    ReminderLead = apps.get_model("jobs", "ReminderLead")
    for phase in PHASES:
        for minutes in DEFAULT_LEADS_MINUTES:
            ReminderLead.objects.get_or_create(phase=phase, minutes_before=minutes)


class Migration(migrations.Migration):
    dependencies = [("jobs", "0001_initial")]
    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
