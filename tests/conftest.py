"""Personas and tenants for the whole suite.

Two clients, created once per run in the real PostgreSQL test database: `acme` (alice the
client admin, rita the responder, vera the viewer) and `globex` (bob, its admin). Ada is the
agency admin, olga an outsider with no membership. Tests that use `db` run in a transaction
that is rolled back; tests that need committed data (threads, a worker, a server) use
`live_db`, which empties the tenant tables afterwards.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connection, transaction
from django.test import Client as DjangoClient
from django_tenants.utils import schema_context, tenant_context
from rest_framework.test import APIClient
from xdist.scheduler import LoadScopeScheduling

import config.mail
from accounts.models import Client, Role, User
from accounts.services import (
    agency_ensure,
    api_token_create,
    tenant_template_ensure,
    user_create_or_update,
)
from config.celery import task_lookup
from sources.models import Source
from sources.services import signature_compute, source_create
from sources.services.onboarding import client_create
from tests.faults.template import database_dump


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Unit tests first, then the end-to-end tests, then the fault tests.

    The end-to-end stack (a web server, a worker and beat on the test database) lives for the
    rest of the session once started; run before unit tests, its beat's periodic tasks would
    read the tables that unit tests truncate, and the two can deadlock."""

    def stage(item: pytest.Item) -> int:
        if item.get_closest_marker("faults"):
            return 2
        if item.get_closest_marker("e2e"):
            return 1
        return 0

    items.sort(key=stage)  # stable: each stage keeps its own order


class LiveBesideFaults(LoadScopeScheduling):
    """`make test`'s second stage on two workers (`-n 2 --dist loadgroup`): one runs the fault
    tests, the other everything else (the `serial` tests, then the end-to-end tests), each
    one test at a time and in the order above. The fault tests bring a PostgreSQL cluster and
    Redis of their own on spare ports, each worker has its own test database and Redis
    database, and most of the fault tests' time is spent waiting for an outage to pass, which
    now overlaps the browser tests. (pytest-xdist 3.8's own `loadgroup` renames test ids in a
    way pytest 9 ignores, so the two groups are made here, from the tests' folders.)"""

    def _split_scope(self, nodeid: str) -> str:
        return "faults" if nodeid.startswith("tests/faults/") else "live"


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LiveBesideFaults | None:
    return LiveBesideFaults(config, log) if config.getoption("dist") == "loadgroup" else None


PASSWORD = "correct horse battery"
TENANT_TABLES = (
    "mentions_mention",
    "mentions_problemcluster",
    "mentions_author",
    "sources_ingestbatch",
    "audit_auditentry",
    "routing_staffmember",
    "reports_alert",
    "reports_alertsettings",
    "reports_reportdelivery",
    "reports_reportschedule",
    "routing_notification",
    "routing_responsepolicy",
    "mentions_savedreply",
    "mentions_savedview",
    "sources_listeningquery",
    # Training (levels stay: every schema has its two defaults from the migration).
    "training_module",
    "training_certificate",
    "training_guideline",
    "webhooks_delivery",
    "webhooks_event",
    "webhooks_subscription",
)


@dataclass
class Tenant:
    client: Client
    host: str
    source: Source
    token: str
    read_token: str = ""


@dataclass
class World:
    acme: Tenant
    globex: Tenant
    alice: User
    rita: User
    vera: User
    bob: User
    ada: User
    olga: User


def _build_world() -> World:
    agency_ensure()
    acme = client_create(slug="acme", name="Acme Rail")
    globex = client_create(slug="globex", name="Globex Mobile")

    def person(email: str, name: str, client: Client | None, role: str) -> User:
        return user_create_or_update(
            email=email, password=PASSWORD, name=name, client=client, role=role
        )

    alice = person("alice@acme.test", "Alice Admin", acme, Role.CLIENT_ADMIN)
    rita = person("rita@acme.test", "Rita Responder", acme, Role.RESPONDER)
    vera = person("vera@acme.test", "Vera Viewer", acme, Role.VIEWER)
    bob = person("bob@globex.test", "Bob Globex", globex, Role.CLIENT_ADMIN)
    ada = person("ada@agency.test", "Ada Agency", None, Role.AGENCY_ADMIN)
    olga = User.objects.create_user(email="olga@nowhere.test", password=PASSWORD, name="Olga")

    tenants = []
    for client, owner in ((acme, rita), (globex, bob)):
        with tenant_context(client):
            source = source_create(kind="webhook", name="Push", network="test")
        _, token = api_token_create(client=client, user=owner)
        _, read_token = api_token_create(client=client, user=owner, scope="read")
        tenants.append(Tenant(client, f"{client.slug}.localhost", source, token, read_token))
    return World(tenants[0], tenants[1], alice, rita, vera, bob, ada, olga)


_world: World | None = None
_migrated_dump: Path | None = None


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    django_test_environment: None,
    django_db_blocker: Any,
    django_db_modify_db_settings: None,
) -> Iterator[None]:
    """Create the test database for every run, whichever tests were selected.

    (pytest-django only creates it when a collected test is marked `django_db`; the live
    tests are not, and must never fall through to the development database.)

    When fault tests were collected, the freshly migrated database (with the template schema
    that new clients are copied from) is dumped before any test writes to it: their own
    PostgreSQL cluster restores it instead of migrating.
    """
    from django.test.utils import setup_databases, teardown_databases

    global _world, _migrated_dump
    with django_db_blocker.unblock():
        db_cfg = setup_databases(verbosity=0, interactive=False, aliases={"default"})
        assert connection.settings_dict["NAME"].startswith("test_"), "not a test database"
        if any(item.get_closest_marker("faults") for item in request.session.items):
            tenant_template_ensure()  # new clients are copied from it, not migrated
            path = tmp_path_factory.mktemp("migrated") / "migrated.dump"
            if database_dump(settings=connection.settings_dict, path=path):
                _migrated_dump = path
        _world = _build_world()
    yield
    with django_db_blocker.unblock():
        # Servers and workers of the live tests have exited, but PostgreSQL may not have
        # noticed yet; end their sessions so the test database can be dropped.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        connection.close()
        teardown_databases(db_cfg, verbosity=0)


@pytest.fixture(scope="session")
def migrated_database_dump(django_db_setup: None) -> Path | None:
    """A dump of the freshly migrated test database (None when it could not be taken)."""
    return _migrated_dump


@pytest.fixture
def world(django_db_setup: None) -> World:
    assert _world is not None
    return _world


@pytest.fixture(autouse=True)
def _public_schema_after_each_test() -> Iterator[None]:
    yield
    connection.set_schema_to_public()


def _empty_tenant_tables(*, attempts: int = 20) -> None:
    """TRUNCATE locks its tables one by one while a live worker or beat task may hold one of
    them and wait for another: PostgreSQL then ends one side with "deadlock detected" (a CI
    run lost the TRUNCATE that way). Each schema is emptied in its own transaction, tried
    again after a deadlock or a lock wait over 2 s, while the worker's task finishes."""
    for schema in ("c_acme", "c_globex"):
        for attempt in range(attempts):
            try:
                with schema_context(schema), transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '2s'")
                    cursor.execute(f"TRUNCATE {', '.join(TENANT_TABLES)} CASCADE")
                break
            except OperationalError:
                if attempt == attempts - 1:
                    raise
                time.sleep(0.2)


@pytest.fixture
def live_db(world: World, django_db_blocker: Any) -> Iterator[World]:
    """Committed data, visible to other threads and processes; emptied afterwards."""
    with django_db_blocker.unblock():
        yield world
        _empty_tenant_tables()
        connection.set_schema_to_public()


@pytest.fixture
def mail_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mail queued for a worker (`config.mail`) is handed at once to the real mail task, run
    here as a worker runs it (retries included), so tests read `mail.outbox` as before.
    Without this fixture the message goes to the broker (tests/test_mail.py reads it there)."""

    def run_here(name: str, *args: Any) -> None:
        tenant = connection.tenant
        try:
            task_lookup(name).apply(args=args, throw=True)
        finally:
            connection.set_tenant(tenant)  # the task switches schemas; the caller goes on

    monkeypatch.setattr(config.mail, "task_send", run_here)


@pytest.fixture
def in_acme(world: World) -> Iterator[Client]:
    connection.set_tenant(world.acme.client)
    yield world.acme.client


def api_client(tenant: Tenant, token: str | None = None) -> APIClient:
    api = APIClient(HTTP_HOST=tenant.host)
    if token:
        api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


def web_client(tenant: Tenant | None, user: User | None = None) -> DjangoClient:
    web = DjangoClient(HTTP_HOST=tenant.host if tenant else "localhost")
    if user is not None:
        response = web.post("/login/", {"username": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.content
    return web


def signed_body(tenant: Tenant, payload: Any) -> tuple[bytes, str]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return body, signature_compute(secret=tenant.source.secret, body=body)


def push(api: APIClient, tenant: Tenant, payload: Any, signature: str | None = "auto") -> Any:
    body, good = signed_body(tenant, payload)
    headers = {}
    if signature == "auto":
        headers["HTTP_X_LOTSE_SIGNATURE"] = good
    elif signature is not None:
        headers["HTTP_X_LOTSE_SIGNATURE"] = signature
    return api.generic(
        "POST",
        f"/api/v1/sources/{tenant.source.pk}/mentions",
        body,
        content_type="application/json",
        **headers,
    )
