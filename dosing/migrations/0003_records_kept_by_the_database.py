"""The database refuses UPDATE, DELETE and TRUNCATE on signed approvals, their doses and revocations, the medicine
session record and the controlled-substance log, and checks the rows a medicine session and a dose stand on."""

from django.db import migrations

from records.guards import install_checks, install_guards, remove_checks, remove_guards

TABLES = ["dosing_approval", "dosing_approvaldose", "dosing_approvalrevocation", "dosing_administration",
          "dosing_vitalreading", "dosing_sideeffect", "dosing_discharge", "dosing_stockentry",
          "dosing_inventorycount", "dosing_predosecheck"]
CHECKS = ["session_approval", "administration_partner_lot", "stock_balance"]


def install(apps, schema_editor):
    install_guards(schema_editor, TABLES)
    install_checks(schema_editor, CHECKS)


def remove(apps, schema_editor):
    remove_checks(schema_editor, CHECKS)
    remove_guards(schema_editor, TABLES)


class Migration(migrations.Migration):

    dependencies = [("dosing", "0002_notice_blocked_session"), ("clinical_sessions", "0005_records_kept_by_the_database")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
