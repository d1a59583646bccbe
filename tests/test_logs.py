"""Structured JSON logs: request id, client slug and user id on request lines, the Celery
task id on a worker's lines; the request id comes back in X-Request-ID."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
import structlog
from django.db import connection

from config.celery import app
from config.logs import logging_config, structlog_configure
from tests.conftest import api_client

pytestmark = pytest.mark.django_db


@app.task(name="tests.log_a_line")
def log_a_line() -> None:
    logging.getLogger("lotse.test").warning("batch step %s", "stored")


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Every record at INFO and above, formatted as production formats it."""
    config = logging_config(log_format="json", level="INFO")
    formatter_spec = dict(config["formatters"]["structured"])
    formatter = formatter_spec.pop("()")(**formatter_spec)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    structlog.reset_defaults()
    structlog_configure()
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_request_line_has_request_id_client_and_user(world, json_lines):
    api = api_client(world.acme, world.acme.token)
    response = api.get("/api/v1/mentions/", HTTP_X_REQUEST_ID="lb-1234-abcd")
    assert response["X-Request-ID"] == "lb-1234-abcd"
    request_lines = [line for line in lines(json_lines) if line["event"] == "request"]
    assert request_lines, json_lines.getvalue()
    line = request_lines[-1]
    assert line["request_id"] == "lb-1234-abcd"
    assert line["client"] == "acme"
    assert line["user_id"] == world.rita.pk
    assert line["route"] == "/api/v1/mentions/" and line["status"] == 200
    assert line["level"] == "info" and "timestamp" in line


def test_a_request_id_that_is_not_a_plain_token_is_replaced(world, json_lines):
    response = api_client(world.acme).get("/login/", HTTP_X_REQUEST_ID="evil\nline; x" * 10)
    new_id = response["X-Request-ID"]
    assert len(new_id) == 32 and new_id.isalnum()
    assert lines(json_lines)[-1]["request_id"] == new_id


def test_worker_lines_carry_the_task_id_and_client(world, json_lines):
    connection.set_tenant(world.globex.client)
    log_a_line.apply(task_id="task-42")
    line = [line for line in lines(json_lines) if line["event"] == "batch step stored"][-1]
    assert line["task_id"] == "task-42" and line["task"] == "tests.log_a_line"
    assert line["client"] == "globex" and line["logger"] == "lotse.test"
    assert "request_id" not in line


def test_sentry_is_switched_on_only_by_a_dsn():
    script = "import django, sentry_sdk; django.setup(); print(sentry_sdk.get_client().is_active())"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"}
    env.pop("LOTSE_SENTRY_DSN", None)
    off = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert off.stdout.strip() == "False"
    env["LOTSE_SENTRY_DSN"] = "http://public@127.0.0.1:9/1"
    on = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert on.stdout.strip() == "True"
