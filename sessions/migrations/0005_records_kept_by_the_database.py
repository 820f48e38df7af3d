"""The database refuses UPDATE and DELETE of a note from its signing on (the signing UPDATE is the last), and of
any amendment; TRUNCATE of either table is refused too."""

from django.db import migrations

from records.guards import install_guards, remove_guards

TABLES = ["clinical_sessions_sessionnote", "clinical_sessions_noteamendment"]


def install(apps, schema_editor):
    install_guards(schema_editor, TABLES)


def remove(apps, schema_editor):
    remove_guards(schema_editor, TABLES)


class Migration(migrations.Migration):

    dependencies = [("clinical_sessions", "0004_phase_start_index")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
