"""scripts/backup.sh and scripts/restore.sh: a backup restores into an empty database with its media files, and a
database that is not empty is refused. On PostgreSQL only (skipped on SQLite here, required in CI)."""

import os
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from tests.browser import require_or_skip
from tests.factories import CoupleFactory

from .stack import ScratchDatabase

pytestmark = pytest.mark.django_db(transaction=True)  # the backup must see committed rows
ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _script(name: str, *args: str, database_url: str, media: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "MEDIA_ROOT": str(media)}
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / name), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_a_backup_restores_into_an_empty_database_with_its_files(tmp_path, settings):
    if connection.vendor != "postgresql":
        require_or_skip("PostgreSQL", "set DATABASE_URL to a PostgreSQL database (backups use pg_dump)")
    couple = CoupleFactory(case_number="KAP-7001")
    media = Path(settings.MEDIA_ROOT)
    (media / "summaries" / str(couple.uuid)).mkdir(parents=True)
    (media / "summaries" / str(couple.uuid) / "v1.pdf").write_bytes(b"%PDF-1.7 restore test")

    made = _script("backup.sh", str(tmp_path / "backups"), database_url=_database_url(), media=media)
    assert made.returncode == 0, made.stderr
    backup = Path(made.stdout.strip().splitlines()[-1])
    assert sorted(p.name for p in backup.iterdir()) == ["MANIFEST", "database.dump", "media.tar.gz"]
    assert oct(backup.stat().st_mode & 0o777) == "0o700"  # PHI: the owner's only

    restored_media = tmp_path / "restored-media"
    with ScratchDatabase(connection.settings_dict, "kapcouples_restore_test") as target:
        restored = _script("restore.sh", str(backup), database_url=target.url, media=restored_media)
        assert restored.returncode == 0, restored.stderr
        assert target.query("SELECT case_number FROM cases_couple WHERE uuid = %s", str(couple.uuid)) == [("KAP-7001",)]
        assert (restored_media / "summaries" / str(couple.uuid) / "v1.pdf").read_bytes() == b"%PDF-1.7 restore test"

        # Again, into the database that now has the data: refused without --force.
        again = _script("restore.sh", str(backup), database_url=target.url, media=tmp_path / "other-media")
        assert again.returncode == 3
        assert "is not empty" in again.stderr
        forced = _script("restore.sh", "--force", str(backup), database_url=target.url, media=restored_media)
        assert forced.returncode == 0, forced.stderr
        assert target.query("SELECT count(*) FROM cases_couple") == [(1,)]


def test_a_damaged_backup_is_refused(tmp_path, settings):
    if connection.vendor != "postgresql":
        require_or_skip("PostgreSQL", "set DATABASE_URL to a PostgreSQL database (backups use pg_dump)")
    made = _script(
        "backup.sh", str(tmp_path / "backups"), database_url=_database_url(), media=Path(settings.MEDIA_ROOT)
    )
    backup = Path(made.stdout.strip().splitlines()[-1])
    with open(backup / "database.dump", "ab") as dump:
        dump.write(b"tampered")
    refused = _script(
        "restore.sh", str(backup), database_url="postgres://nobody@127.0.0.1:1/none", media=tmp_path / "m"
    )
    assert refused.returncode == 2 and "checksums do not match" in refused.stderr
