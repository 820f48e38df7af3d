# The prescriber panel's medicine-session queries (docs/benchmarks.md): an index range instead of a scan per couple.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('clinical_sessions', '0003_note_content_hash'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='therapysession',
            index=models.Index(fields=['phase', 'start'], name='session_phase_start_idx'),
        ),
    ]
