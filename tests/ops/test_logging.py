"""Request ids and structured logs: ids from the proxy or made here, JSON lines without query strings or PHI."""

import io
import json
import logging
import re

import pytest

from audit.redaction import DropQueryStringsFilter
from ops.logging import JSONFormatter, RequestIdFilter, TaskErrorsFilter, request_id_var


@pytest.fixture
def json_log():
    """The kapcouples.request and test loggers, captured as production writes them (JSON, same filters)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JSONFormatter())
    for f in (DropQueryStringsFilter(), TaskErrorsFilter(), RequestIdFilter()):
        handler.addFilter(f)
    loggers = [logging.getLogger("kapcouples.request"), logging.getLogger("tests.ops")]
    saved = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    for lg, level in saved:
        lg.removeHandler(handler)
        lg.setLevel(level)


def test_request_id_from_the_proxy_is_kept(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="0123456789abcdef0123456789abcdef")
    assert response["X-Request-ID"] == "0123456789abcdef0123456789abcdef"


def test_malformed_request_id_is_replaced(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="x\r\nlevel=ERROR forged")
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_request_line_has_path_without_query_and_user_id_not_name(client_for, therapist, json_log):
    client = client_for(therapist)
    response = client.get("/couples/?q=Smithson", HTTP_X_REQUEST_ID="proxy-request-0001")
    assert response.status_code == 200
    lines = [line for line in json_log() if line["logger"] == "kapcouples.request"]
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == "proxy-request-0001"
    assert (line["method"], line["path"], line["status"], line["user_id"]) == ("GET", "/couples/", 200, therapist.pk)
    assert isinstance(line["duration_ms"], float)
    text = json.dumps(lines)
    assert "Smithson" not in text and therapist.username not in text and therapist.last_name not in text


def test_log_lines_written_during_a_request_carry_its_id(json_log):
    token = request_id_var.set("req-12345678")
    try:
        logging.getLogger("tests.ops").info("something happened")
    finally:
        request_id_var.reset(token)
    assert json_log()[0]["request_id"] == "req-12345678"


def test_an_exception_is_logged_with_its_frames_but_not_its_message(json_log):
    try:
        raise ValueError("Partner Jane Doe, born 1970-01-01")
    except ValueError:
        logging.getLogger("tests.ops").exception("Could not build the summary")
    line = json_log()[0]
    assert line["exception"] == "builtins.ValueError"
    assert any("test_logging.py" in frame for frame in line["traceback"])
    assert "Jane" not in json.dumps(line)


def test_celery_failure_lines_keep_the_exception_class_only(json_log):
    # Celery's trace logger passes a mapping with the exception in it.
    record = logging.LogRecord(
        "celery.app.trace",
        logging.ERROR,
        __file__,
        1,
        "Task %(name)s[%(id)s] raised: %(exc)s",
        ({"name": "jobs.tasks.summary_render", "id": "abc", "exc": KeyError("Jane Doe")},),
        None,
    )
    handler = logging.getLogger("tests.ops").handlers[-1]
    handler.handle(record)
    line = json_log()[-1]
    assert line["message"] == "Task jobs.tasks.summary_render[abc] raised: KeyError"
