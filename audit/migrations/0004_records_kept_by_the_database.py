"""The audit table's triggers of 0002 are replaced by the shared ones of records.guards, which refuse TRUNCATE too."""

from django.db import migrations

from audit.db import install_append_only_triggers, remove_append_only_triggers
from records.guards import install_guards, remove_guards


def install(apps, schema_editor):
    remove_append_only_triggers(schema_editor)
    install_guards(schema_editor, ["audit_auditevent"])


def remove(apps, schema_editor):
    remove_guards(schema_editor, ["audit_auditevent"])
    install_append_only_triggers(schema_editor)


class Migration(migrations.Migration):

    dependencies = [("audit", "0003_dual_role_action")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
