"""For tests only: write to a protected table the way a database superuser could, with its triggers lifted."""

import contextlib

from records.guards import SUFFIX


@contextlib.contextmanager
def guards_lifted(connection, table: str):
    """Disable the table's triggers for the block (PostgreSQL: ALTER TABLE ... DISABLE TRIGGER USER, as a superuser
    would; SQLite: drop and re-create them), to show what the other lines of defence do about tampering."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks pending in the test's transaction would block the ALTER.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            try:
                yield cursor
            finally:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            return
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s AND name LIKE %s",
            [table, f"%{SUFFIX}"],
        )
        triggers = cursor.fetchall()
        for name, _ in triggers:
            cursor.execute(f"DROP TRIGGER {name}")
        try:
            yield cursor
        finally:
            for _, sql in triggers:
                cursor.execute(sql)


def tamper(sql: str, params=None, *, table: str) -> None:
    """Run one raw statement on a protected table with its guards lifted."""
    from django.db import connection

    with guards_lifted(connection, table) as cursor:
        cursor.execute(sql, params)
