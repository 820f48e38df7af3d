"""Helpers of the tests that run the production stack for real: services required (skipped on a newcomer's
machine, failing in CI), a scratch PostgreSQL database, and an HTTP client that speaks to gunicorn as nginx
would (HTTPS said by X-Forwarded-Proto, cookies kept by hand since they are Secure)."""

import http.client
import os
import re
import secrets
import socket
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import dj_database_url
import psycopg2
from psycopg2 import sql

from tests.browser import require_or_skip


def require_postgres_and_redis() -> tuple[dict, str]:
    """(parsed DATABASE_URL, REDIS_URL) if both answer; otherwise skip here, fail in CI."""
    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        require_or_skip(
            "PostgreSQL", "set DATABASE_URL to a PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/test"
        )
    if not redis_url:
        require_or_skip("Redis", "set REDIS_URL, e.g. redis://127.0.0.1:6379/0")
    import redis

    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        require_or_skip("Redis", f"{redis_url} does not answer: {exc}")
    db = dj_database_url.parse(database_url)
    try:
        admin_connection(db).close()
    except psycopg2.Error as exc:
        require_or_skip("PostgreSQL", f"the server in DATABASE_URL does not answer: {exc}")
    return db, redis_url


def admin_connection(db: dict, dbname: str = "postgres"):
    connection = psycopg2.connect(
        dbname=dbname,
        user=db["USER"],
        password=db["PASSWORD"],
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        connect_timeout=5,
    )
    connection.autocommit = True
    return connection


class ScratchDatabase:
    """A new, empty database on the same server, dropped (with its connections) at the end."""

    def __init__(self, db: dict, prefix: str):
        self.server = db
        self.name = f"{prefix}_{secrets.token_hex(4)}"

    def __enter__(self):
        connection = admin_connection(self.server)
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        connection.close()
        return self

    def __exit__(self, *exc):
        connection = admin_connection(self.server)
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))
        connection.close()

    @property
    def url(self) -> str:
        db = self.server
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{self.name}"

    def query(self, statement: str, *params):
        connection = admin_connection(self.server, self.name)
        try:
            with connection.cursor() as cursor:
                cursor.execute(statement, params)
                return cursor.fetchall()
        finally:
            connection.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """Requests to gunicorn as the clinic's nginx would send them."""

    def __init__(self, port: int):
        self.port = port
        self.host = f"127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, data: dict | None = None, headers: dict | None = None):
        sent = {
            "Host": self.host,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "127.0.0.1",
            "Origin": f"https://{self.host}",
            "Referer": f"https://{self.host}{path}",
            **(headers or {}),
        }
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body, sent)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        for header in response.msg.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response, content

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post_form(self, path: str, form_path: str, data: dict):
        """GET form_path for its CSRF token, then POST data with it to path."""
        _response, content = self.get(form_path)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content)
        assert token, f"No CSRF token on {form_path}: {content[:500]!r}"
        return self.request("POST", path, {"csrfmiddlewaretoken": token.group(1).decode(), **data})
