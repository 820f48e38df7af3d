"""The database itself refuses UPDATE and DELETE on the audit table, so raw SQL cannot bypass the ORM's guard."""

from django.db import migrations

from audit.db import install_append_only_triggers, remove_append_only_triggers


def install(apps, schema_editor):
    install_append_only_triggers(schema_editor)


def remove(apps, schema_editor):
    remove_append_only_triggers(schema_editor)


class Migration(migrations.Migration):

    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
