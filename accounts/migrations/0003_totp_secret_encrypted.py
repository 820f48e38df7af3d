"""TOTP secrets are encrypted at rest: the column becomes text and every stored secret is encrypted in place."""

from django.db import migrations

import accounts.crypto


def encrypt_existing(apps, schema_editor):
    from accounts.crypto import secret_encrypt

    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, secret FROM accounts_totpdevice")
        for pk, secret in cursor.fetchall():
            cursor.execute("UPDATE accounts_totpdevice SET secret = %s WHERE id = %s", [secret_encrypt(secret), pk])


def decrypt_existing(apps, schema_editor):
    from accounts.crypto import secret_decrypt

    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, secret FROM accounts_totpdevice")
        for pk, token in cursor.fetchall():
            cursor.execute("UPDATE accounts_totpdevice SET secret = %s WHERE id = %s", [secret_decrypt(token), pk])


class Migration(migrations.Migration):

    dependencies = [("accounts", "0002_sign_in_security")]

    operations = [
        migrations.AlterField(model_name="totpdevice", name="secret", field=accounts.crypto.EncryptedSecretField()),
        migrations.RunPython(encrypt_existing, decrypt_existing, elidable=False),
    ]
