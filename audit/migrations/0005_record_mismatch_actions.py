"""Audit actions for records that do not match their signature, and for each run of verify_records."""

from django.conf import settings
from django.db import migrations, models

from records.guards import install_guards


def reinstall(apps, schema_editor):
    # SQLite rebuilt the table for the new constraint, dropping its triggers.
    install_guards(schema_editor, ["audit_auditevent"])


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0004_records_kept_by_the_database'),
        ('cases', '0003_covering_prescriber'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='auditevent',
            name='auditevent_action_known',
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('read', 'Read'), ('create', 'Create'), ('change', 'Change'), ('delete', 'Delete'), ('download', 'Download'), ('print', 'Print'), ('export', 'Export'), ('login', 'Sign-in'), ('login_failed', 'Failed sign-in'), ('logout', 'Sign-out'), ('permission_denied', 'Access refused'), ('lockout', 'Sign-in locked'), ('2fa_enrolled', 'Two-factor set up'), ('2fa_verified', 'Two-factor code accepted'), ('2fa_failed', 'Two-factor code refused'), ('2fa_recovery_used', 'Recovery code used'), ('2fa_recovery_renewed', 'Recovery codes renewed'), ('2fa_removed', 'Two-factor turned off'), ('dual_role', 'Dual-role act (allowed by clinic setting)'), ('record_mismatch', 'Record does not match what was signed'), ('records_verified', 'Records verified')], max_length=32),
        ),
        migrations.AddConstraint(
            model_name='auditevent',
            constraint=models.CheckConstraint(condition=models.Q(('action__in', ['read', 'create', 'change', 'delete', 'download', 'print', 'export', 'login', 'login_failed', 'logout', 'permission_denied', 'lockout', '2fa_enrolled', '2fa_verified', '2fa_failed', '2fa_recovery_used', '2fa_recovery_renewed', '2fa_removed', 'dual_role', 'record_mismatch', 'records_verified'])), name='auditevent_action_known'),
        ),
        migrations.RunPython(reinstall, migrations.RunPython.noop, elidable=False),
    ]
