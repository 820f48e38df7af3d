#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into an EMPTY database, and its media files into MEDIA_ROOT.
#
#   DATABASE_URL=postgres://.../kapcouples MEDIA_ROOT=/var/lib/kapcouples/media scripts/restore.sh [--force] BACKUP_DIR
#
# Stop the web, worker and beat processes first. The database must exist and be empty (createdb kapcouples);
# a database that already has tables, or a MEDIA_ROOT that already has files, is refused unless --force is
# given, which drops the objects the backup contains before restoring them and writes the files over what is
# there. The MANIFEST's checksums are verified first.
set -euo pipefail
umask 077
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
python="${PYTHON:-python3}"

force=0
if [ "${1:-}" = "--force" ]; then force=1; shift; fi
backup="${1:?usage: scripts/restore.sh [--force] BACKUP_DIR}"
: "${DATABASE_URL:?DATABASE_URL must name the database to restore into}"
media="${MEDIA_ROOT:-${KAPCOUPLES_VAR_DIR:-$root/var}/media}"
eval "$("$python" "$here/pg_env.py")"

for file in MANIFEST database.dump media.tar.gz; do
  [ -f "$backup/$file" ] || { echo "restore: $backup/$file is missing; is this a backup made by scripts/backup.sh?" >&2; exit 2; }
done
head -n1 "$backup/MANIFEST" | grep -qx "kapcouples-backup 1" || { echo "restore: unknown MANIFEST format" >&2; exit 2; }
(cd "$backup" && grep '^sha256 ' MANIFEST | cut -d' ' -f2- | sha256sum --check --quiet --strict) \
  || { echo "restore: checksums do not match; the backup is damaged" >&2; exit 2; }

tables="$(psql -XAtqc "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")"
clean=()
if [ "$tables" != "0" ]; then
  if [ "$force" != 1 ]; then
    echo "restore: database $PGDATABASE is not empty ($tables tables). Restore into a new, empty database" \
         "(createdb), or give --force to replace what is there." >&2
    exit 3
  fi
  clean=(--clean --if-exists)
fi
if [ -d "$media" ] && [ -n "$(ls -A "$media" 2>/dev/null)" ] && [ "$force" != 1 ]; then
  echo "restore: $media already has files; empty it, point MEDIA_ROOT elsewhere, or give --force." >&2
  exit 3
fi

pg_restore --no-owner --no-privileges --exit-on-error --single-transaction "${clean[@]}" --dbname="$PGDATABASE" \
  "$backup/database.dump"
mkdir -p "$media"
tar -C "$media" -xzf "$backup/media.tar.gz"
echo "Restored $backup into database $PGDATABASE and $media."
