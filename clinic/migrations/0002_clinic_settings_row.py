from django.db import migrations


def create_settings_row(apps, schema_editor):
    # Readers never have to create the row: it exists, with the CLINICAL.md defaults, from the start.
    apps.get_model("clinic", "ClinicSettings").objects.get_or_create(id=1)


class Migration(migrations.Migration):
    dependencies = [("clinic", "0001_initial")]
    operations = [migrations.RunPython(create_settings_row, migrations.RunPython.noop)]
