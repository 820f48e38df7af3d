"""Test personas and fixtures shared by every app's tests."""

import ast
import inspect
import os
import textwrap

import pytest

# Helpers in these packages assert too: rewrite them, so their passing asserts are counted (see below).
pytest.register_assert_rewrite(
    "tests",
    *(
        f"{app}.tests"
        for app in (
            "accounts",
            "audit",
            "cases",
            "clinic",
            "demo",
            "dosing",
            "integration",
            "jobs",
            "ops",
            "pages",
            "sessions",
        )
    ),
)

from tests.factories import CoupleFactory, UserFactory  # noqa: E402 - after the rewrite registration

PASSWORD = "correct-horse-battery-staple"

pytest_plugins = ["tests.browser"]


@pytest.fixture(autouse=True)
def _media_and_mail(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "tests.mail_backend.MailServiceStandIn"  # a mail service: messages are "sent"
    # Plain password hashing keeps the suite fast; production keeps Django's default.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _broker_not_paused(monkeypatch):
    """A test that took the broker down leaves no pause behind for the next one (outbox.services)."""
    monkeypatch.setattr("outbox.services._broker_down_until", 0.0)


@pytest.fixture
def therapist(db):
    return UserFactory(username="tara", first_name="Tara", last_name="Therapist", is_therapist=True, password=PASSWORD)


@pytest.fixture
def other_therapist(db):
    return UserFactory(username="omar", first_name="Omar", last_name="Other", is_therapist=True, password=PASSWORD)


@pytest.fixture
def prescriber(db):
    return UserFactory(
        username="priya",
        first_name="Priya",
        last_name="Prescriber",
        credentials="MD",
        is_prescriber=True,
        password=PASSWORD,
    )


@pytest.fixture
def other_prescriber(db):
    return UserFactory(
        username="paul",
        first_name="Paul",
        last_name="Unassigned",
        credentials="NP",
        is_prescriber=True,
        password=PASSWORD,
    )


@pytest.fixture
def clinic_admin(db):
    return UserFactory(username="ada", first_name="Ada", last_name="Admin", is_clinic_admin=True, password=PASSWORD)


@pytest.fixture
def couple(therapist, prescriber):
    """A couple on the therapist's caseload, with the prescriber assigned."""
    return CoupleFactory(therapists=[therapist], prescriber=prescriber)


@pytest.fixture
def other_couple(other_therapist, other_prescriber):
    """A couple on the other therapist's caseload, with another prescriber."""
    return CoupleFactory(therapists=[other_therapist], prescriber=other_prescriber)


@pytest.fixture
def client_for(client):
    """Log a persona in on the test client: client_for(user).

    The session is marked as past two-factor, as if the persona had entered a code: tests of pages
    are not tests of sign-in (accounts/tests test the two-factor gate itself)."""
    from accounts import session_state

    def login(user):
        client.force_login(user)
        session = client.session
        session_state.two_factor_passed(session)
        session.save()
        return client

    return login


@pytest.fixture(autouse=True)
def _records_flushable(request):
    """Django empties tables after a transactional test with DELETE (SQLite) or TRUNCATE (PostgreSQL), which
    the insert-only triggers refuse; empty them first with the triggers lifted (test databases only)."""
    transactional = (
        "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
        or any(marker.kwargs.get("transaction") for marker in request.node.iter_markers("django_db"))
    )
    if not transactional:
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    from django.core.management import call_command
    from django.db import connection

    from records.guards import flush_for_tests

    flush_for_tests(
        connection, lambda: call_command("flush", verbosity=0, interactive=False, inhibit_post_migrate=True)
    )


# -- a test that neither asserts nor expects anything fails ------------------------------------------------
# A test passes this check when at least one of its asserts ran and passed (counted by pytest's assertion
# rewriting, enable_assertion_pass_hook in pytest.ini), or when it, or a helper it calls, expects something
# another way: pytest.raises/warns/fail, a pinned query count, Playwright's expect(), an assert_* helper.
PASSED_ASSERTS = pytest.StashKey[int]()
EXPECTING_CALLS = {
    "raises",
    "warns",
    "fail",
    "deprecated_call",
    "expect",
    "assertNumQueries",
    "django_assert_num_queries",
    "django_assert_max_num_queries",
}


def pytest_assertion_pass(item, lineno, orig, expl):
    item.stash[PASSED_ASSERTS] = item.stash.get(PASSED_ASSERTS, 0) + 1


def _expects_something(function, depth: int = 3, seen=None) -> bool:
    """Whether the function's code (or a function it calls by name, a few levels deep) expects an outcome."""
    seen = seen if seen is not None else set()
    function = inspect.unwrap(function)
    if depth < 0 or function in seen or not inspect.isfunction(function):
        return False
    seen.add(function)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            target = node.func
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
            if name in EXPECTING_CALLS or name.startswith(("assert_", "expect_")):
                return True
            if isinstance(target, ast.Name):
                callee = function.__globals__.get(target.id)
                if callee is not None and _expects_something(callee, depth - 1, seen):
                    return True
    return False


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if (
        report.when == "call"
        and report.passed
        and not hasattr(report, "wasxfail")
        and not item.stash.get(PASSED_ASSERTS, 0)
        and not _expects_something(getattr(item, "obj", None))
    ):
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid} passed without asserting or expecting anything: no assert of it ran, "
            "and it calls no pytest.raises/warns, query-count pin or expect()."
        )
    # Lets the browser fixture know whether the test failed, to keep a screenshot.
    setattr(item, f"rep_{report.when}", report)
    return report


def pytest_sessionstart(session):
    # CI runs the suite on the real PostgreSQL; a silent fall-back to SQLite there would hide bugs.
    if os.environ.get("CI") and not os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql")):
        raise pytest.UsageError("CI=true needs DATABASE_URL pointing at PostgreSQL.")
