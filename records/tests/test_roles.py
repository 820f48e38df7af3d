"""The runtime role reads and writes rows but never changes the schema, empties a table or rewrites a kept row."""

import secrets

import pytest
from django.db import DatabaseError, connection, transaction

from records.roles import NO_UPDATE_OR_DELETE, db_roles_apply

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="roles are PostgreSQL's"),
]


@pytest.fixture
def runtime_role():
    name = f"records_test_runtime_{secrets.token_hex(4)}"
    db_roles_apply(connection=connection, runtime_role=name, password=None)
    yield name
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
        cursor.execute(f'DROP OWNED BY "{name}"')
        cursor.execute(f'DROP ROLE "{name}"')


def as_role(role, statement, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL ROLE "{role}"')
        cursor.execute(statement, params)


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE dosing_approval ADD COLUMN x integer",
        "DROP TABLE dosing_stockentry CASCADE",
        "TRUNCATE cases_couple CASCADE",
        "CREATE TABLE scratch (id integer)",
        "ALTER TABLE dosing_approval DISABLE TRIGGER USER",
    ],
)
def test_the_runtime_role_cannot_change_the_schema(runtime_role, statement):
    with pytest.raises(DatabaseError, match="permission denied|must be owner|must be the owner"):
        as_role(runtime_role, statement)


@pytest.mark.parametrize("table", NO_UPDATE_OR_DELETE)
def test_the_runtime_role_has_no_update_or_delete_on_kept_tables(runtime_role, table):
    for statement in (f"UPDATE {table} SET id = id WHERE false", f"DELETE FROM {table} WHERE false"):
        with pytest.raises(DatabaseError, match="permission denied"):
            as_role(runtime_role, statement)


def test_the_runtime_role_reads_and_inserts(runtime_role, couple):
    as_role(runtime_role, "SELECT count(*) FROM cases_couple")
    as_role(runtime_role, "UPDATE cases_couple SET treatment_goals = treatment_goals WHERE id = %s", [couple.pk])
    as_role(runtime_role, "SELECT count(*) FROM dosing_approval")
