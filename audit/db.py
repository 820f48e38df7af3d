"""The audit table's first triggers (migration 0002). Migration 0003 replaces them with records.guards, which
protects every insert-only table the same way (and reinstalls them after each migrate)."""

TABLE = "audit_auditevent"

_SQLITE_INSTALL = [
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: UPDATE refused'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: DELETE refused'); END""",
]
_SQLITE_REMOVE = [f"DROP TRIGGER IF EXISTS {TABLE}_no_update", f"DROP TRIGGER IF EXISTS {TABLE}_no_delete"]

# restrict_violation (SQLSTATE 23001) surfaces as IntegrityError, as SQLite's RAISE(ABORT) does.
_POSTGRES_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION {TABLE}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{TABLE} is append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
        END;
        $$""",
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
    f"""CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only()""",
]
_POSTGRES_REMOVE = [
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
    f"DROP FUNCTION IF EXISTS {TABLE}_append_only()",
]


def _run(schema_editor, statements) -> None:
    for statement in statements:
        schema_editor.execute(statement, params=None)  # None: the % in plpgsql is not a placeholder


def install_append_only_triggers(schema_editor) -> None:
    """Create the UPDATE/DELETE-refusing triggers for this database; other vendors are refused."""
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, _SQLITE_INSTALL)
    elif vendor == "postgresql":
        _run(schema_editor, _POSTGRES_INSTALL)
    else:
        raise NotImplementedError(f"No append-only trigger for {vendor}; the audit trail needs one.")


def remove_append_only_triggers(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    _run(schema_editor, _SQLITE_REMOVE if vendor == "sqlite" else _POSTGRES_REMOVE)
