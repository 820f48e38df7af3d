"""Print DATABASE_URL as libpq's PG* variables (for `eval` in scripts/backup.sh and restore.sh), so that the
password travels in the environment, never on a command line that `ps` shows."""

import os
import shlex
import sys
from urllib.parse import unquote, urlsplit

url = os.environ.get("DATABASE_URL", "")
parts = urlsplit(url)
if parts.scheme not in ("postgres", "postgresql", "pgsql") or not parts.path.strip("/"):
    sys.exit("DATABASE_URL must be a PostgreSQL URL, e.g. postgres://user:pass@127.0.0.1:5432/kapcouples")
values = {
    "PGHOST": parts.hostname or "127.0.0.1",
    "PGPORT": str(parts.port or 5432),
    "PGUSER": unquote(parts.username or ""),
    "PGPASSWORD": unquote(parts.password or ""),
    "PGDATABASE": unquote(parts.path.lstrip("/")),
}
for name, value in values.items():
    if value:
        print(f"export {name}={shlex.quote(value)}")
    else:
        print(f"unset {name}")
