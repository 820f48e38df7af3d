"""`make serve`: the production stack on this machine, on its PostgreSQL and Redis.

Gunicorn (static files by WhiteNoise), the Celery workers and beat from the Procfile, with KAPCOUPLES_ENV=
production. What a real install sets in /etc/kapcouples/kapcouples.env is given local defaults here, each
overridable from the environment: a SECRET_KEY generated once into var/serve/secret_key, DATABASE_URL
postgres://postgres@127.0.0.1:5432/kapcouples (the database is created if missing), REDIS_URL
redis://127.0.0.1:6379/0, ALLOWED_HOSTS 127.0.0.1,localhost, plain HTTP (no TLS here, so no HTTPS redirect and
no proxy in front). E-mail goes to a mail catcher started here on 127.0.0.1:1025 that writes each message to
var/serve/mail/ (unless EMAIL_HOST is set). Then migrate, collectstatic, and run everything until Ctrl-C.

    .venv/bin/python scripts/serve.py                   # what make serve runs
    .venv/bin/python scripts/serve.py manage create_clinic_admin --username rosa --email rosa@clinic.example   # any manage.py command
"""

import base64
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from procfile import ROOT, ProcessGroup, read_procfile  # noqa: E402

VAR = Path(os.environ.get("KAPCOUPLES_VAR_DIR") or ROOT / "var")
SERVE = VAR / "serve"
MAIL_PORT = 1025


def fail(message: str) -> None:
    print(f"make serve: {message}", file=sys.stderr)
    sys.exit(1)


def secret_key() -> str:
    path = SERVE / "secret_key"
    if not path.exists():
        SERVE.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


def totp_encryption_key() -> str:
    path = SERVE / "totp_encryption_key"
    if not path.exists():
        SERVE.mkdir(parents=True, exist_ok=True)
        path.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
        path.chmod(0o600)
    return path.read_text().strip()


def runtime_password() -> str:
    path = SERVE / "db_runtime_password"
    if not path.exists():
        SERVE.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def runtime_url(env: dict[str, str]) -> str:
    """DATABASE_URL with the runtime role and its password in place of the migration role."""
    parts = urlsplit(env["DATABASE_URL"])
    host = parts.hostname or "127.0.0.1"
    netloc = f"{env['DATABASE_RUNTIME_ROLE']}:{env['DATABASE_RUNTIME_PASSWORD']}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def environment() -> dict[str, str]:
    env = dict(os.environ)
    defaults = {
        "KAPCOUPLES_ENV": "production",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/kapcouples",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Plain HTTP on this machine: no redirect to HTTPS, no HSTS, and no proxy whose X-Forwarded-For to trust.
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "TRUSTED_PROXY_COUNT": "0",
        # No SMS provider on this machine: text reminders off, rather than "sent" into a log.
        "SMS_REMINDERS": "0",
        "KAPCOUPLES_VAR_DIR": str(VAR),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    }
    for name, value in defaults.items():
        if name == "PATH" or not env.get(name):
            env[name] = value
    if not env.get("SECRET_KEY"):
        env["SECRET_KEY"] = secret_key()
    # The app runs as this role; DATABASE_URL's role (the schema's owner) only migrates and grants (README,
    # "Database roles").
    env.setdefault("DATABASE_RUNTIME_ROLE", "kapcouples_app")
    if not env.get("DATABASE_RUNTIME_PASSWORD"):
        env["DATABASE_RUNTIME_PASSWORD"] = runtime_password()
    if not env.get("TOTP_ENCRYPTION_KEYS"):
        env["TOTP_ENCRYPTION_KEYS"] = totp_encryption_key()
    return env


def start_mail_catcher(env: dict[str, str]):
    """A local SMTP server that keeps every message as a file; None if EMAIL_HOST is the user's own."""
    if env.get("EMAIL_HOST"):
        return None
    from aiosmtpd.controller import Controller

    folder = SERVE / "mail"
    folder.mkdir(parents=True, exist_ok=True)

    class Keep:
        async def handle_DATA(self, server, session, envelope):
            name = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}.eml"
            (folder / name).write_bytes(envelope.original_content or envelope.content)
            return "250 Message kept"

    controller = Controller(Keep(), hostname="127.0.0.1", port=MAIL_PORT)
    try:
        controller.start()
    except (OSError, RuntimeError) as exc:
        fail(
            f"the mail catcher could not listen on 127.0.0.1:{MAIL_PORT} ({exc}). Stop what uses that port, or "
            "set EMAIL_HOST (and EMAIL_PORT, EMAIL_USE_TLS) to your own mail server."
        )
    env.update({"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(MAIL_PORT), "EMAIL_USE_TLS": "0"})
    print(f"Mail catcher on 127.0.0.1:{MAIL_PORT}: messages are written to {folder}/")
    return controller


def ensure_database(url: str) -> None:
    """Connect to the database, creating it first if the server answers but it does not exist yet."""
    import dj_database_url
    import psycopg2
    from psycopg2 import sql

    db = dj_database_url.parse(url)
    if "postgresql" not in db["ENGINE"]:
        fail(f"DATABASE_URL must name a PostgreSQL database (found {db['ENGINE']}).")
    params = {
        "user": db["USER"],
        "password": db["PASSWORD"],
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "connect_timeout": 5,
    }
    try:
        psycopg2.connect(dbname=db["NAME"], **params).close()
        return
    except psycopg2.OperationalError as exc:
        if "does not exist" not in str(exc):
            fail(
                f"PostgreSQL at {params['host']}:{params['port']} does not answer ({str(exc).strip()}). Install and "
                "start it (Debian/Ubuntu: sudo apt-get install postgresql), or set DATABASE_URL."
            )
    connection = psycopg2.connect(dbname="postgres", **params)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
    connection.close()
    print(f"Created the database {db['NAME']}.")


def ensure_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=5).ping()
    except redis.RedisError as exc:
        fail(
            f"Redis at {url} does not answer ({exc}). Install and start it (Debian/Ubuntu: sudo apt-get install "
            "redis-server), or set REDIS_URL."
        )


def manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env)
    if result.returncode != 0:
        fail(f"manage.py {' '.join(args)} failed.")


def shown(url: str) -> str:
    """A URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@"))
    return urlunsplit(parts)


def main() -> None:
    env = environment()
    ensure_database(env["DATABASE_URL"])
    ensure_redis(env["REDIS_URL"])
    if len(sys.argv) > 1 and sys.argv[1] == "manage":
        env.setdefault("EMAIL_HOST", "127.0.0.1")  # production settings need one; make serve's catcher, if running
        env.setdefault("EMAIL_PORT", str(MAIL_PORT))
        env.setdefault("EMAIL_USE_TLS", "0")
        manage(env, *sys.argv[2:])
        return
    catcher = start_mail_catcher(env)
    manage(env, "migrate", "--no-input")
    manage(env, "db_roles_apply", env["DATABASE_RUNTIME_ROLE"], "--password-env", "DATABASE_RUNTIME_PASSWORD")
    manage(env, "collectstatic", "--no-input", "--verbosity", "0")
    # Everything started from here connects as the runtime role: no ALTER, DROP or TRUNCATE, no UPDATE or DELETE of
    # kept records.
    app_env = {**env, "DATABASE_URL": runtime_url(env)}
    group = ProcessGroup(read_procfile(), app_env, log_dir=None)
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    group.start()
    print(
        f"KAP Couples (production settings) on http://localhost:8000 with {shown(app_env['DATABASE_URL'])} and "
        f"{env['REDIS_URL']}; health: /healthz, /readyz. Ctrl-C stops everything.\n"
        "No user yet? .venv/bin/python scripts/serve.py manage create_clinic_admin --username NAME --email ADDRESS",
        flush=True,
    )
    code = 0
    while not stopping:
        ended = group.exited()
        if ended:
            name, returncode = ended[0]
            print(f"make serve: {name} stopped (exit code {returncode}); stopping the others.", file=sys.stderr)
            code = 1
            break
        time.sleep(0.5)
    group.stop()
    if catcher is not None:
        catcher.stop()
    sys.exit(code)


if __name__ == "__main__":
    main()
