#!/usr/bin/env bash
# Back up KAP Couples: the PostgreSQL database (pg_dump custom format) and the media files, with a manifest.
#
#   DATABASE_URL=postgres://... MEDIA_ROOT=/var/lib/kapcouples/media scripts/backup.sh [DEST_DIR]
#
# Writes DEST_DIR/kapcouples-<UTC time>/ (default DEST_DIR: var/backups) holding database.dump, media.tar.gz and
# MANIFEST (versions, sizes and SHA-256 sums), readable by its owner only: it is PHI. Copy it off the machine,
# encrypted (README, "Backups"). Restore with scripts/restore.sh. With files on S3 (AWS_STORAGE_BUCKET_NAME),
# media.tar.gz is empty: the bucket's versioning and replication keep the files.
set -euo pipefail
umask 077
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
python="${PYTHON:-python3}"

: "${DATABASE_URL:?DATABASE_URL must name the database to back up}"
media="${MEDIA_ROOT:-${KAPCOUPLES_VAR_DIR:-$root/var}/media}"
dest_root="${1:-${KAPCOUPLES_VAR_DIR:-$root/var}/backups}"
eval "$("$python" "$here/pg_env.py")"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
dest="$dest_root/kapcouples-$stamp"
mkdir -p "$dest_root"
partial="$dest.partial"
rm -rf "$partial"
mkdir "$partial"
trap 'rm -rf "$partial"' EXIT

# One consistent snapshot of the database; owners and grants are left out so that it restores under any role.
pg_dump --format=custom --compress=6 --no-owner --no-privileges --file="$partial/database.dump"

if [ -d "$media" ]; then
  tar -C "$media" -czf "$partial/media.tar.gz" .
else
  tar -czf "$partial/media.tar.gz" -T /dev/null
fi

migration="$(psql -XAtqc "SELECT app || '.' || name FROM django_migrations ORDER BY id DESC LIMIT 1" 2>/dev/null || true)"
{
  echo "kapcouples-backup 1"
  echo "created_at $stamp"
  echo "database $PGDATABASE"
  echo "server_version $(psql -XAtqc 'SHOW server_version' | cut -d' ' -f1)"
  echo "pg_dump $(pg_dump --version | awk '{print $NF}')"
  echo "last_migration ${migration:-unknown}"
  echo "code $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  (cd "$partial" && sha256sum database.dump media.tar.gz | sed 's/^/sha256 /')
} > "$partial/MANIFEST"

mv "$partial" "$dest"
trap - EXIT
echo "$dest"
