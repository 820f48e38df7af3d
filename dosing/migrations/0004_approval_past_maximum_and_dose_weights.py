"""An approval may allow medicine sessions past the course maximum (#17 item 2); an approved dose's weight used is
a plausible adult weight, and the dose keeps the screening weight it was signed against (#17 item 6).

On SQLite these ALTERs rebuild dosing_approval and dosing_approvaldose, and a rebuild fails while a trigger on
another table names them (session_approval, administration_partner_lot): the cross-row checks are lifted first
and put back, with the tables' own insert-only triggers, at the end (records.guards)."""

import django.core.validators
from django.db import migrations, models

from records.guards import CHECKS, install_checks, install_guards, remove_checks

TABLES = ["dosing_approval", "dosing_approvaldose"]


def lift(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        remove_checks(schema_editor, [check.name for check in CHECKS])


def restore(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        install_guards(schema_editor, TABLES)
        install_checks(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0004_partner_phone_e164"),
        ("dosing", "0003_records_kept_by_the_database"),
    ]

    operations = [
        migrations.RunPython(lift, restore, elidable=False),
        migrations.AddField(
            model_name="approval",
            name="medicine_sessions_past_maximum",
            field=models.PositiveSmallIntegerField(
                blank=True,
                null=True,
                validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(12)],
                verbose_name="medicine sessions allowed past the course maximum",
            ),
        ),
        migrations.AddConstraint(
            model_name="approval",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("medicine_sessions_past_maximum__isnull", True),
                    models.Q(("medicine_sessions_past_maximum__gte", 1), ("medicine_sessions_past_maximum__lte", 12)),
                    _connector="OR",
                ),
                name="approval_past_maximum_in_range",
                violation_error_message="Allow between 1 and 12 medicine sessions past the course maximum.",
            ),
        ),
        migrations.AddConstraint(
            model_name="approvaldose",
            constraint=models.CheckConstraint(
                condition=models.Q(("weight_kg__gte", 30), ("weight_kg__lte", 350)),
                name="approval_dose_weight_plausible",
                violation_error_message="The weight used is outside 30-350 kg.",
            ),
        ),
        migrations.AddField(
            model_name="approvaldose",
            name="screening_weight_kg",
            field=models.DecimalField(
                blank=True, decimal_places=1, max_digits=5, null=True, verbose_name="screening weight when signed (kg)"
            ),
        ),
        migrations.RunPython(restore, lift, elidable=False),
    ]
