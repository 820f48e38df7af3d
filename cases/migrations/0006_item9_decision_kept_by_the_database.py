"""The database refuses UPDATE, DELETE and TRUNCATE on the prescriber's decisions on PHQ-9 item 9."""

from django.db import migrations

from records.guards import install_guards, remove_guards

TABLES = ["cases_item9reviewdecision"]


def install(apps, schema_editor):
    install_guards(schema_editor, TABLES)


def remove(apps, schema_editor):
    remove_guards(schema_editor, TABLES)


class Migration(migrations.Migration):

    dependencies = [("cases", "0005_item9_review_after_clearance")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
