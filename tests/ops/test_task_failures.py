"""Failed background tasks are recorded for the clinic admins, with ids and the kind of error, never PHI."""

import pytest
from celery import shared_task
from django.db import OperationalError
from django.template.loader import render_to_string

from ops.models import TaskFailure
from ops.services import WITHHELD
from pages import selectors as pages

pytestmark = pytest.mark.django_db


@shared_task(name="tests.ops.fails_with_a_value_error")
def fails_with_a_value_error(session_id, note_text, **kwargs):
    raise ValueError(f"Could not summarise {note_text}")


@shared_task(name="tests.ops.fails_with_a_database_error")
def fails_with_a_database_error(summary_id):
    raise OperationalError(
        'connection to server at "db.clinic.example" (10.0.0.7), port 5432 failed: '
        'FATAL: password authentication failed for user "jane.doe@clinic.example"'
    )


def test_a_failed_task_is_recorded_with_ids_only_and_its_message_withheld():
    fails_with_a_value_error.apply(
        args=(42, "Jane Doe's note"), kwargs={"summary": "5b0e8a6e-08d4-4a59-9d0b-8e52b2b7c7a1", "who": "Jane"}
    )
    failure = TaskFailure.objects.get()
    assert failure.task_name == "tests.ops.fails_with_a_value_error"
    assert failure.task_id
    assert failure.args == [42, "<str>"]
    assert failure.kwargs == {"summary": "5b0e8a6e-08d4-4a59-9d0b-8e52b2b7c7a1", "who": "<str>"}
    assert failure.exception == "builtins.ValueError"
    assert failure.message == WITHHELD
    assert failure.location.startswith("tests/ops/test_task_failures.py:")


def test_an_infrastructure_error_keeps_its_message_scrubbed():
    fails_with_a_database_error.apply(args=(7,))
    failure = TaskFailure.objects.get()
    assert failure.exception == "django.db.utils.OperationalError"
    assert failure.message.startswith("connection to server at '…' (…), port 5432 failed")
    assert "jane" not in failure.message and "10.0.0.7" not in failure.message


def test_failed_tasks_are_listed_for_clinic_admins_only(client_for, clinic_admin, therapist):
    fails_with_a_value_error.apply(args=(1, "x"))
    response = client_for(clinic_admin).get("/admin/ops/taskfailure/")
    assert response.status_code == 200
    assert "tests.ops.fails_with_a_value_error" in response.content.decode()
    assert (
        client_for(clinic_admin).get(f"/admin/ops/taskfailure/{TaskFailure.objects.get().pk}/change/").status_code
        == 200
    )  # shown read-only
    response = client_for(therapist).get("/admin/ops/taskfailure/")
    assert response.status_code in (302, 403)


def test_the_admin_home_notice_counts_this_weeks_failures():
    def render():
        home = pages.admin_home()
        return render_to_string(
            "ops/partials/task_failures_notice.html", {"count": home.task_failures, "days": home.task_failure_days}
        )

    assert render().strip() == ""
    fails_with_a_value_error.apply(args=(1, "x"))
    fails_with_a_value_error.apply(args=(2, "y"))
    rendered = render()
    assert "2 background tasks failed in the last 7 days" in rendered
    assert "/admin/ops/taskfailure/" in rendered
