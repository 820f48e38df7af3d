"""Query strings (what users searched for) never reach the logs, whatever way a library formats its lines."""

import logging

from audit.redaction import DropQueryStringsFilter


def record(msg, args):
    return logging.LogRecord("x", logging.INFO, __file__, 1, msg, args, None)


def test_positional_arguments_lose_their_query_strings():
    line = record('"GET %s HTTP/1.1" %s', ("/couples/?q=Lima", 200))
    DropQueryStringsFilter().filter(line)
    assert line.getMessage() == '"GET /couples/?[query removed] HTTP/1.1" 200'


def test_mapping_arguments_stay_a_mapping():
    # Celery logs "Task %(name)s[%(id)s] succeeded" with a dict; turning it into a tuple broke every task log.
    line = record("Task %(name)s succeeded: %(url)s", {"name": "jobs.tasks.x", "url": "/q/?token=abc"})
    DropQueryStringsFilter().filter(line)
    assert line.getMessage() == "Task jobs.tasks.x succeeded: /q/?[query removed]"
