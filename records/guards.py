"""Rules the database itself keeps, below the ORM: insert-only tables and cross-row checks, as triggers.

One registry (GUARDS, CHECKS) names every protected table and every cross-row rule; each app's migration
installs its own with install_guards/install_checks, and after every `migrate` the post_migrate hook
(records.apps) installs them all again. That matters on SQLite, where a table rebuild (Django does one for
most ALTERs) silently drops the table's triggers, and it bakes the clinic's time zone into the date checks.

PostgreSQL raises restrict_violation (SQLSTATE 23001) and SQLite RAISE(ABORT): both reach Django as
IntegrityError, with the message naming the rule. Only a superuser lifts them (ALTER TABLE ... DISABLE
TRIGGER, session_replication_role = replica), which the runtime role is not (records/roles.py).

This module imports no app: the migrations of every app use it.
"""

import dataclasses
import datetime
import zoneinfo

SUFFIX = "__kept"  # every trigger this module writes ends with it, so tests can find and lift them all


@dataclasses.dataclass(frozen=True)
class Guard:
    """A table whose rows are never changed or deleted, or only while `mutable_while` holds for the old row."""

    table: str
    what: str  # "a signed approval": said in the refusal
    instead: str  # what to do instead: said in the refusal
    mutable_while: str = ""  # SQL on OLD valid on both databases, e.g. "OLD.status = 'draft'"

    @property
    def message(self) -> str:
        kept = "append-only" if self.table == "audit_auditevent" else "insert-only"
        return f"{self.table} is {kept}: {self.what} is never changed or deleted; {self.instead}"


GUARDS: tuple[Guard, ...] = (
    Guard("dosing_approval", "a signed approval", "sign a new approval that supersedes it, or revoke it"),
    Guard("dosing_approvaldose", "an approved dose", "sign a new approval that supersedes it"),
    Guard("dosing_approvalrevocation", "a revocation", "a revoked approval stays revoked; sign a new approval"),
    Guard("dosing_administration", "a dose given", "add a note amendment to correct the record"),
    Guard("dosing_vitalreading", "a vitals reading", "record a new reading"),
    Guard("dosing_holdoverride", "a hold override", "a later reading that holds needs its own override"),
    Guard("dosing_sideeffect", "a side effect record", "add a note amendment to correct the record"),
    Guard("dosing_discharge", "a discharge", "add a note amendment to correct the record"),
    Guard("dosing_stockentry", "a controlled-substance log entry", "record an adjustment with a note"),
    Guard("dosing_inventorycount", "an inventory count", "record a new count"),
    # Re-recorded until the partner's first dose, unless a prescriber has overridden its hold: from then on
    # it is part of the dosing record (the override is the prescriber's decision on exactly those readings).
    Guard(
        "dosing_predosecheck",
        "a pre-dose check after an override or once dosing began",
        "record vitals readings instead",
        mutable_while="OLD.override_by_id IS NULL AND NOT EXISTS (SELECT 1 FROM dosing_administration a "
        "WHERE a.session_id = OLD.session_id AND a.partner_id = OLD.partner_id)",
    ),
    # A draft is edited freely; the signing UPDATE is the last one (it starts from a draft row).
    Guard("clinical_sessions_sessionnote", "a signed note", "add an amendment", mutable_while="OLD.status = 'draft'"),
    Guard("clinical_sessions_noteamendment", "a note amendment", "add another amendment"),
    Guard(
        "cases_item9reviewdecision",
        "a prescriber's decision on PHQ-9 item 9",
        "a new positive item 9 is reviewed with a new decision",
    ),
    Guard("audit_auditevent", "an audit event", "the trail only grows"),
    Guard("records_verificationrun", "a verification result", "run verify_records again"),
)


@dataclasses.dataclass(frozen=True)
class Check:
    """A cross-row rule checked by a BEFORE INSERT/UPDATE trigger; `sqlite` and `postgresql` build the SQL."""

    name: str
    table: str
    sqlite: object  # callable(zone) -> list of statements
    postgresql: object


def _quote(text: str) -> str:
    return text.replace("'", "''")


# -- insert-only ------------------------------------------------------------------------------------------


def _sqlite_guard(guard: Guard) -> list[str]:
    when = f"WHEN NOT ({guard.mutable_while})" if guard.mutable_while else ""
    statements = []
    for op in ("UPDATE", "DELETE"):
        name = f"{guard.table}_{op.lower()}{SUFFIX}"
        statements += [
            f"DROP TRIGGER IF EXISTS {name}",
            f"CREATE TRIGGER {name} BEFORE {op} ON {guard.table} {when} "
            f"BEGIN SELECT RAISE(ABORT, '{_quote(guard.message)} ({op} refused)'); END",
        ]
    return statements


_PG_REFUSE_TRUNCATE = f"""
CREATE OR REPLACE FUNCTION records_refuse_truncate{SUFFIX}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE has_rows boolean;
BEGIN
    -- Emptying an empty table loses nothing (and lets a test database be flushed once its rows are gone).
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I)', TG_TABLE_SCHEMA, TG_TABLE_NAME) INTO has_rows;
    IF has_rows THEN
        RAISE EXCEPTION '%', TG_ARGV[0] || ' (TRUNCATE refused)' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NULL;
END;
$$"""


def _pg_guard(guard: Guard) -> list[str]:
    function = f"{guard.table}{SUFFIX}"
    condition = f"NOT ({guard.mutable_while})" if guard.mutable_while else "TRUE"
    message = _quote(guard.message)
    return [
        f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF {condition} THEN
                RAISE EXCEPTION '%', '{message} (' || TG_OP || ' refused)' USING ERRCODE = 'restrict_violation';
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END;
        $$""",
        f"DROP TRIGGER IF EXISTS {guard.table}_row{SUFFIX} ON {guard.table}",
        f"CREATE TRIGGER {guard.table}_row{SUFFIX} BEFORE UPDATE OR DELETE ON {guard.table} "
        f"FOR EACH ROW EXECUTE FUNCTION {function}()",
        _PG_REFUSE_TRUNCATE,
        f"DROP TRIGGER IF EXISTS {guard.table}_truncate{SUFFIX} ON {guard.table}",
        f"CREATE TRIGGER {guard.table}_truncate{SUFFIX} BEFORE TRUNCATE ON {guard.table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION records_refuse_truncate{SUFFIX}('{message}')",
    ]


def _pg_unguard(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_row{SUFFIX} ON {table}",
        f"DROP TRIGGER IF EXISTS {table}_truncate{SUFFIX} ON {table}",
        f"DROP FUNCTION IF EXISTS {table}{SUFFIX}()",
    ]


def _sqlite_unguard(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_{op}{SUFFIX}" for op in ("update", "delete")]


# -- cross-row checks -------------------------------------------------------------------------------------


def _utc_offset_minutes(zone: str) -> int:
    # SQLite has no time zones: it uses the zone's offset now (a session within an hour of midnight across a
    # daylight-saving change may be judged on the neighbouring day; PostgreSQL is exact).
    offset = datetime.datetime.now(zoneinfo.ZoneInfo(zone)).utcoffset() or datetime.timedelta()
    return int(offset.total_seconds() // 60)


_SESSION_APPROVAL_MESSAGE = (
    "clinical_sessions_therapysession: a medicine session's approval must be the couple's "
    "own, not revoked, not superseded, and in force on the session's date"
)


def _session_approval_sqlite(zone: str) -> list[str]:
    day = f"date(NEW.start, '{_utc_offset_minutes(zone):+d} minutes')"
    bad = f"""NEW.approval_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM dosing_approval a WHERE a.id = NEW.approval_id AND a.couple_id = NEW.couple_id
        AND a.valid_from <= {day} AND (a.valid_until IS NULL OR a.valid_until >= {day})
        AND NOT EXISTS (SELECT 1 FROM dosing_approvalrevocation r WHERE r.approval_id = a.id)
        AND NOT EXISTS (SELECT 1 FROM dosing_approval s WHERE s.supersedes_id = a.id))"""
    statements = []
    for op, when in (
        ("INSERT", bad),
        (
            "UPDATE OF approval_id, couple_id, start",
            f"(NEW.approval_id IS NOT OLD.approval_id OR NEW.couple_id IS NOT OLD.couple_id "
            f"OR NEW.start IS NOT OLD.start) AND {bad}",
        ),
    ):
        name = f"session_approval_{op.split()[0].lower()}{SUFFIX}"
        statements += [
            f"DROP TRIGGER IF EXISTS {name}",
            f"CREATE TRIGGER {name} BEFORE {op} ON clinical_sessions_therapysession WHEN {when} "
            f"BEGIN SELECT RAISE(ABORT, '{_quote(_SESSION_APPROVAL_MESSAGE)}'); END",
        ]
    return statements


def _session_approval_postgresql(zone: str) -> list[str]:
    return [
        f"""CREATE OR REPLACE FUNCTION session_approval{SUFFIX}() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE day date := (NEW.start AT TIME ZONE '{_quote(zone)}')::date;
        BEGIN
            IF NEW.approval_id IS NULL THEN RETURN NEW; END IF;
            IF TG_OP = 'UPDATE' AND NEW.approval_id IS NOT DISTINCT FROM OLD.approval_id
               AND NEW.couple_id = OLD.couple_id AND NEW.start = OLD.start THEN
                RETURN NEW;  -- a status change of a session booked under an approval later revoked stays possible
            END IF;
            IF NOT EXISTS (
                SELECT 1 FROM dosing_approval a WHERE a.id = NEW.approval_id AND a.couple_id = NEW.couple_id
                AND a.valid_from <= day AND (a.valid_until IS NULL OR a.valid_until >= day)
                AND NOT EXISTS (SELECT 1 FROM dosing_approvalrevocation r WHERE r.approval_id = a.id)
                AND NOT EXISTS (SELECT 1 FROM dosing_approval s WHERE s.supersedes_id = a.id)) THEN
                RAISE EXCEPTION '{_quote(_SESSION_APPROVAL_MESSAGE)}' USING ERRCODE = 'restrict_violation';
            END IF;
            RETURN NEW;
        END;
        $$""",
        f"DROP TRIGGER IF EXISTS session_approval{SUFFIX} ON clinical_sessions_therapysession",
        f"CREATE TRIGGER session_approval{SUFFIX} BEFORE INSERT OR UPDATE ON clinical_sessions_therapysession "
        f"FOR EACH ROW EXECUTE FUNCTION session_approval{SUFFIX}()",
    ]


_ADMINISTRATION_MESSAGE = (
    "dosing_administration: a dose is given to a dosing partner of the session's approval "
    "and drawn from a lot that was received and holds at least that much"
)
# The balance of a lot from its log: receipts and adjustments add, everything else takes away.
_LOT_BALANCE = """(SELECT COALESCE(SUM(CASE WHEN e.kind IN ('received', 'adjusted') THEN e.amount_mg
                  ELSE -e.amount_mg END), 0) FROM dosing_stockentry e WHERE e.lot_id = {lot})"""
_ADMINISTRATION_OK = f"""EXISTS (
    SELECT 1 FROM dosing_approvaldose d JOIN clinical_sessions_therapysession s ON s.approval_id = d.approval_id
    WHERE d.id = NEW.approved_dose_id AND s.id = NEW.session_id AND d.partner_id = NEW.partner_id)
    AND EXISTS (SELECT 1 FROM dosing_stockentry e WHERE e.lot_id = NEW.lot_id AND e.kind = 'received')
    AND {_LOT_BALANCE.format(lot="NEW.lot_id")} >= NEW.mg"""

_STOCK_MESSAGE = "dosing_stockentry: a lot's balance never goes below zero"
_STOCK_OK = f"""CASE WHEN NEW.kind = 'received' THEN 1
    WHEN NEW.kind = 'adjusted' THEN {_LOT_BALANCE.format(lot="NEW.lot_id")} + NEW.amount_mg >= 0
    ELSE {_LOT_BALANCE.format(lot="NEW.lot_id")} - NEW.amount_mg >= 0 END"""


def _insert_check_sqlite(name: str, table: str, ok: str, message: str) -> list[str]:
    trigger = f"{name}{SUFFIX}"
    return [
        f"DROP TRIGGER IF EXISTS {trigger}",
        f"CREATE TRIGGER {trigger} BEFORE INSERT ON {table} WHEN NOT ({ok}) "
        f"BEGIN SELECT RAISE(ABORT, '{_quote(message)}'); END",
    ]


def _insert_check_postgresql(name: str, table: str, ok: str, message: str, *, lock: str = "") -> list[str]:
    ok = ok.replace("THEN 1", "THEN TRUE")
    return [
        f"""CREATE OR REPLACE FUNCTION {name}{SUFFIX}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {lock}
            IF NOT ({ok}) THEN
                RAISE EXCEPTION '{_quote(message)}' USING ERRCODE = 'restrict_violation';
            END IF;
            RETURN NEW;
        END;
        $$""",
        f"DROP TRIGGER IF EXISTS {name}{SUFFIX} ON {table}",
        f"CREATE TRIGGER {name}{SUFFIX} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {name}{SUFFIX}()",
    ]


# Two doses drawn at once from the last milligrams of a lot must not both pass: the lot row is locked first.
_LOCK_LOT = "PERFORM 1 FROM dosing_stocklot WHERE id = NEW.lot_id FOR UPDATE;"

_DOSED_ENDS_COMPLETED_MESSAGE = (
    "clinical_sessions_therapysession: once a dose is given the medicine session can only end completed, "
    "never cancelled or a no-show"
)
_DOSED_ENDING_BAD = """NEW.status IN ('cancelled', 'no_show') AND NEW.status <> OLD.status
    AND EXISTS (SELECT 1 FROM dosing_administration a WHERE a.session_id = NEW.id)"""


def _dosed_ends_completed_sqlite(zone: str) -> list[str]:
    name = f"session_dosed_ends_completed{SUFFIX}"
    return [
        f"DROP TRIGGER IF EXISTS {name}",
        f"CREATE TRIGGER {name} BEFORE UPDATE OF status ON clinical_sessions_therapysession "
        f"WHEN {_DOSED_ENDING_BAD} BEGIN SELECT RAISE(ABORT, '{_quote(_DOSED_ENDS_COMPLETED_MESSAGE)}'); END",
    ]


def _dosed_ends_completed_postgresql(zone: str) -> list[str]:
    name = f"session_dosed_ends_completed{SUFFIX}"
    return [
        f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF {_DOSED_ENDING_BAD} THEN
                RAISE EXCEPTION '{_quote(_DOSED_ENDS_COMPLETED_MESSAGE)}' USING ERRCODE = 'restrict_violation';
            END IF;
            RETURN NEW;
        END;
        $$""",
        f"DROP TRIGGER IF EXISTS {name} ON clinical_sessions_therapysession",
        f"CREATE TRIGGER {name} BEFORE UPDATE ON clinical_sessions_therapysession "
        f"FOR EACH ROW EXECUTE FUNCTION {name}()",
    ]


CHECKS: tuple[Check, ...] = (
    Check(
        "session_approval", "clinical_sessions_therapysession", _session_approval_sqlite, _session_approval_postgresql
    ),
    Check(
        "administration_partner_lot",
        "dosing_administration",
        lambda zone: _insert_check_sqlite(
            "administration_partner_lot", "dosing_administration", _ADMINISTRATION_OK, _ADMINISTRATION_MESSAGE
        ),
        lambda zone: _insert_check_postgresql(
            "administration_partner_lot",
            "dosing_administration",
            _ADMINISTRATION_OK,
            _ADMINISTRATION_MESSAGE,
            lock=_LOCK_LOT,
        ),
    ),
    Check(
        "stock_balance",
        "dosing_stockentry",
        lambda zone: _insert_check_sqlite("stock_balance", "dosing_stockentry", _STOCK_OK, _STOCK_MESSAGE),
        lambda zone: _insert_check_postgresql(
            "stock_balance", "dosing_stockentry", _STOCK_OK, _STOCK_MESSAGE, lock=_LOCK_LOT
        ),
    ),
    # CLINICAL.md: once any dose is given the session can only end completed, whatever writes the row.
    Check(
        "session_dosed_ends_completed",
        "clinical_sessions_therapysession",
        _dosed_ends_completed_sqlite,
        _dosed_ends_completed_postgresql,
    ),
)


# -- installing -------------------------------------------------------------------------------------------


def _vendor(schema_editor_or_connection) -> tuple[str, object]:
    connection = schema_editor_or_connection
    if not hasattr(connection, "vendor"):  # a schema editor
        connection = connection.connection
    if connection.vendor not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"No insert-only triggers for {connection.vendor}; the records need them.")
    return connection.vendor, connection


def _run(connection, statements) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, None)  # None: a % in plpgsql is not a placeholder


def _tables(connection) -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def install_guards(schema_editor, tables=None) -> None:
    """Create (or refresh) the insert-only triggers of these tables (all registered ones by default)."""
    vendor, connection = _vendor(schema_editor)
    for guard in GUARDS:
        if tables is None or guard.table in tables:
            _run(connection, _sqlite_guard(guard) if vendor == "sqlite" else _pg_guard(guard))


def remove_guards(schema_editor, tables) -> None:
    """Drop the insert-only triggers of these tables (a migration's reverse)."""
    vendor, connection = _vendor(schema_editor)
    for table in tables:
        _run(connection, _sqlite_unguard(table) if vendor == "sqlite" else _pg_unguard(table))


def install_checks(schema_editor, names=None, *, zone: str | None = None) -> None:
    """Create (or refresh) the cross-row triggers, with dates judged in the clinic's time zone."""
    from django.conf import settings

    vendor, connection = _vendor(schema_editor)
    zone = zone or settings.TIME_ZONE
    for check in CHECKS:
        if names is None or check.name in names:
            _run(connection, getattr(check, vendor)(zone))


def remove_checks(schema_editor, names) -> None:
    vendor, connection = _vendor(schema_editor)
    for check in CHECKS:
        if check.name in names:
            if vendor == "sqlite":
                _run(
                    connection,
                    [f"DROP TRIGGER IF EXISTS {check.name}_{op}{SUFFIX}" for op in ("insert", "update")]
                    + [f"DROP TRIGGER IF EXISTS {check.name}{SUFFIX}"],
                )
            else:
                _run(
                    connection,
                    [
                        f"DROP TRIGGER IF EXISTS {check.name}{SUFFIX} ON {check.table}",
                        f"DROP FUNCTION IF EXISTS {check.name}{SUFFIX}()",
                    ],
                )


def install_all(connection) -> None:
    """Every guard and check whose table exists: run after each migrate (records.apps)."""
    tables = _tables(connection)
    install_guards(connection, {g.table for g in GUARDS} & tables)
    needed = {
        "dosing_approval",
        "dosing_approvalrevocation",
        "dosing_stockentry",
        "dosing_approvaldose",
        "clinical_sessions_therapysession",
        "dosing_administration",
    }
    if needed <= tables:
        install_checks(connection)


def installed_triggers(connection) -> set[str]:
    """The names of this module's triggers present in the database (for tests and verify_records)."""
    _, connection = _vendor(connection)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s", [f"%{SUFFIX}"])
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE %s AND tgenabled <> 'D'",
                [f"%{SUFFIX}"],
            )
        return {row[0] for row in cursor.fetchall()}


def expected_triggers(vendor: str) -> set[str]:
    """The trigger names install_all writes on this database."""
    names = set()
    for guard in GUARDS:
        if vendor == "sqlite":
            names |= {f"{guard.table}_update{SUFFIX}", f"{guard.table}_delete{SUFFIX}"}
        else:
            names |= {f"{guard.table}_row{SUFFIX}", f"{guard.table}_truncate{SUFFIX}"}
    if vendor == "sqlite":
        names |= {
            f"session_approval_insert{SUFFIX}",
            f"session_approval_update{SUFFIX}",
            f"administration_partner_lot{SUFFIX}",
            f"stock_balance{SUFFIX}",
            f"session_dosed_ends_completed{SUFFIX}",
        }
    else:
        names |= {f"{check.name}{SUFFIX}" for check in CHECKS}
    return names


def flush_for_tests(connection, flush) -> None:
    """Run flush() with every guard lifted, on a test database only: Django empties tables after a
    transactional test with DELETE (SQLite) or TRUNCATE (PostgreSQL), which the guards refuse."""
    if (
        not connection.settings_dict["NAME"].startswith("test_")
        and "mode=memory" not in str(connection.settings_dict["NAME"])
        and connection.settings_dict["NAME"] != ":memory:"
    ):
        raise RuntimeError("flush_for_tests runs on test databases only.")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")  # superuser only: the test database's owner
        try:
            flush()
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s", [f"%{SUFFIX}"])
        triggers = cursor.fetchall()
        for name, _ in triggers:
            cursor.execute(f"DROP TRIGGER {name}")
    try:
        flush()
    finally:
        _run(connection, [sql for _, sql in triggers])
