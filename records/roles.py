"""Database roles for production: the migration role owns the schema; the runtime role the app runs as only reads
and writes rows, never ALTERs, DROPs or TRUNCATEs, and cannot UPDATE or DELETE the insert-only tables.

Run as the migration role (the owner of the tables) after every migrate (`manage.py db_roles_apply`; make serve does):
new tables get their grants then. README, "Database roles".
"""

from psycopg2 import sql

from records.guards import GUARDS

# Kept rows the runtime role may never UPDATE or DELETE (the triggers refuse it too). The note and the pre-dose check
# have a mutable phase (a draft, a check before dosing), which their triggers police row by row.
NO_UPDATE_OR_DELETE = sorted(guard.table for guard in GUARDS if not guard.mutable_while)


def db_roles_apply(*, connection, runtime_role: str, password: str | None) -> list[str]:
    """Create (or update) the runtime role as a login role without privileges of its own, and grant it exactly what the
    app needs on every table of the public schema; returns the statements run. PostgreSQL only; safe to run twice."""
    if connection.vendor != "postgresql":
        raise NotImplementedError("Database roles are for PostgreSQL (SQLite has no roles).")
    role = sql.Identifier(runtime_role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database(), current_user")
        database, owner = cursor.fetchone()
        if runtime_role == owner:
            raise ValueError("The runtime role must not be the role that owns the schema.")
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [runtime_role])
        exists = cursor.fetchone() is not None
        statements = [
            sql.SQL("{} ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS").format(
                sql.SQL("ALTER" if exists else "CREATE"), role
            ),
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), role),
            sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"),
            sql.SQL("REVOKE ALL ON SCHEMA public FROM {}").format(role),
            sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role),
            sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(role),
            sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(role),
            sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(role),
        ]
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        present = {row[0] for row in cursor.fetchall()}
        for table in NO_UPDATE_OR_DELETE:
            if table in present:
                statements.append(sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(sql.Identifier(table), role))
        for statement in statements:
            cursor.execute(statement)
        if password:
            cursor.execute(sql.SQL("ALTER ROLE {} PASSWORD %s").format(role), [password])
        return [statement.as_string(cursor.connection) for statement in statements]
