"""Mail leaves from a worker: web requests queue a `lotse.mail_send` task after commit (in
the schema of the client the mail is about), and the task hands the message to the mail
backend, trying again while the server is temporarily away."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail

from config.celery import task_lookup
from config.mail import MAIL_MAX_RETRIES, MAIL_QUEUE
from config.shared_redis import redis_broker
from tests.conftest import web_client
from tests.smtp_server import SmtpServer

pytestmark = pytest.mark.django_db

MAIL_TASK = "lotse.mail_send"


def _queued_mail() -> list[tuple[bytes, list[Any]]]:
    """The mail tasks waiting in the broker (Redis keeps each queue as a list): each raw
    message with its arguments."""
    broker = redis_broker()
    assert broker is not None
    found = []
    for raw in broker.lrange(MAIL_QUEUE, 0, -1):
        message = json.loads(raw)
        if message["headers"].get("task") != MAIL_TASK:
            continue
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        found.append((raw, args))
    return found


@pytest.fixture
def broker_mail() -> Iterator[list[tuple[bytes, list[Any]]]]:
    """Mail tasks this test queues (none left behind for a later worker)."""
    before = {raw for raw, _ in _queued_mail()}
    queued: list[tuple[bytes, list[Any]]] = []
    yield queued
    broker = redis_broker()
    assert broker is not None
    for raw, _ in _queued_mail():
        if raw not in before:
            broker.lrem(MAIL_QUEUE, 0, raw)


def _new_mail(before: set[bytes]) -> list[list[Any]]:
    return [args for raw, args in _queued_mail() if raw not in before]


def test_an_invitation_is_queued_for_a_worker_on_commit_and_the_worker_sends_it(
    world, broker_mail, django_capture_on_commit_callbacks
):
    web = web_client(world.acme, world.alice)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = web.post("/staff/invitations", {"email": "nina@acme.test", "role": "viewer"})
    assert response.status_code == 302
    before = {raw for raw, _ in _queued_mail()}
    assert _new_mail(before) == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert mail.outbox == []  # the request sent nothing itself
    (args,) = _new_mail(before)
    schema, subject, body, to = args
    assert schema == "c_acme" and to == ["nina@acme.test"]
    assert subject == "You are invited to Acme Rail on Lotse"
    assert re.search(r"http://acme\.localhost/invitations/[^\s/]+/", body)

    result = task_lookup(MAIL_TASK).apply(args=args, throw=True)
    assert result.successful() and result.result is True
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nina@acme.test"] and mail.outbox[0].body == body


def test_a_password_reset_is_queued_not_sent_in_the_request(
    world, broker_mail, django_capture_on_commit_callbacks
):
    before = {raw for raw, _ in _queued_mail()}
    with django_capture_on_commit_callbacks(execute=True):
        response = web_client(None).post("/password-reset/", {"email": "ada@agency.test"})
    assert response.status_code == 302
    assert mail.outbox == []
    (args,) = _new_mail(before)
    schema, _subject, _body, to = args
    assert schema == "public" and to == ["ada@agency.test"]
    task_lookup(MAIL_TASK).apply(args=args, throw=True)
    assert "http://localhost/password-reset/" in mail.outbox[0].body


@pytest.fixture
def smtp(settings) -> Iterator[SmtpServer]:
    server = SmtpServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.close()


def _send(world) -> Any:
    args = ["c_acme", "Hello", "A body.", ["rita@acme.test"]]
    return task_lookup(MAIL_TASK).apply(args=args)


def test_a_busy_mail_server_is_tried_again_until_it_takes_the_mail(world, smtp):
    smtp.busy_first = 2
    result = _send(world)
    assert result.successful() and result.result is True
    assert smtp.connections == 3
    assert len(smtp.messages) == 1 and "A body." in smtp.messages[0]


def test_a_mail_server_that_stays_away_is_tried_a_bounded_number_of_times(world, smtp):
    smtp.busy_first = 1000
    result = _send(world)
    assert result.failed()
    assert smtp.connections == MAIL_MAX_RETRIES + 1 and smtp.messages == []


def test_a_mailbox_refused_for_good_is_not_tried_again(world, smtp):
    smtp.refuse_recipients = True
    result = _send(world)
    assert result.successful() and result.result is False
    assert smtp.connections == 1 and smtp.messages == []
