"""The database refuses to cancel a medicine session, or mark it a no-show, once a dose was given in it."""

from django.db import migrations

from records.guards import install_checks, remove_checks

CHECKS = ["session_dosed_ends_completed"]


def install(apps, schema_editor):
    install_checks(schema_editor, CHECKS)


def remove(apps, schema_editor):
    remove_checks(schema_editor, CHECKS)


class Migration(migrations.Migration):
    dependencies = [("dosing", "0005_bedside_times_and_hold_overrides")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
