"""Fail unless the PostgreSQL and Redis named by DATABASE_URL and REDIS_URL answer (used by CI)."""

import os
import sys

import dj_database_url
import psycopg2
import redis

problems = []
database_url = os.environ.get("DATABASE_URL")
redis_url = os.environ.get("REDIS_URL")
if not database_url or not redis_url:
    problems.append("DATABASE_URL and REDIS_URL must both be set.")
else:
    db = dj_database_url.parse(database_url)
    try:
        psycopg2.connect(
            dbname=db["NAME"],
            user=db["USER"],
            password=db["PASSWORD"],
            host=db["HOST"],
            port=db["PORT"] or 5432,
            connect_timeout=5,
        ).close()
    except psycopg2.Error as exc:
        problems.append(f"PostgreSQL at {db['HOST']}:{db['PORT']} is unreachable: {exc}".strip())
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=5).ping()
    except redis.RedisError as exc:
        problems.append(f"Redis at {redis_url} is unreachable: {exc}")

if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"PostgreSQL and Redis are reachable ({database_url.rsplit('@', 1)[-1]}, {redis_url}).")
