"""The results of verify_records, insert-only."""

import django.utils.timezone
from django.db import migrations, models

from records.guards import install_guards, remove_guards


def install(apps, schema_editor):
    install_guards(schema_editor, ["records_verificationrun"])


def remove(apps, schema_editor):
    remove_guards(schema_editor, ["records_verificationrun"])


class Migration(migrations.Migration):

    initial = True

    dependencies = [
    ]

    operations = [
        migrations.CreateModel(
            name='VerificationRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('started_at', models.DateTimeField()),
                ('finished_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('checked', models.PositiveIntegerField(help_text='How many records were checked.')),
                ('mismatches', models.JSONField(blank=True, default=list, help_text='One line per record that does not match.')),
                ('audit_last_id', models.BigIntegerField(blank=True, null=True)),
                ('audit_rows', models.PositiveBigIntegerField(default=0)),
                ('audit_seal', models.CharField(blank=True, max_length=64)),
            ],
            options={
                'ordering': ['-finished_at', '-id'],
                'get_latest_by': 'finished_at',
            },
        ),
        migrations.RunPython(install, remove, elidable=False),
    ]
