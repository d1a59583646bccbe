"""Hot paths issue a fixed number of queries, however many mentions they handle, and the
busiest pages (inbox, mention, alerts) a fixed handful, however many rows they show."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import Role, User
from accounts.services import user_create_or_update
from mentions.models import Mention
from mentions.pipeline import mentions_store
from routing.services.assignment import staff_upsert
from sources.services import ingest_batch_process, mentions_submit
from tests.conftest import PASSWORD, api_client, web_client
from tests.factories import mention_item

pytestmark = pytest.mark.django_db


def queries_to_store(world, count: int) -> int:
    items = [mention_item() for _ in range(count)]
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        mentions_store(source=world.acme.source, items=items)
    return len(queries)


def test_storing_a_batch_takes_the_same_queries_for_5_or_500_mentions(world, in_acme):
    queries_to_store(world, 1)  # warm up: the connection sets its search_path once
    # Up to 100 new mentions are read back for their live events; a bigger batch is
    # announced with one event whose departments come from the rows written (no read).
    small = queries_to_store(world, 5)
    assert small == queries_to_store(world, 100)
    assert queries_to_store(world, 101) == queries_to_store(world, 500) == small - 1


def test_processing_a_batch_is_a_handful_of_queries(world, in_acme):
    # The first batch of a process compiles the client's configuration (`config.stamps`):
    # warm up with a batch of the same shape, so the measured one pays no first-time cost.
    first = mentions_submit(source=world.acme.source, items=[mention_item() for _ in range(300)])
    ingest_batch_process(batch_id=first.batch_ids[0])
    result = mentions_submit(source=world.acme.source, items=[mention_item() for _ in range(300)])
    with CaptureQueriesContext(connection) as queries:
        ingest_batch_process(batch_id=result.batch_ids[0])
    # 14 reads and writes (the claim is one UPDATE … SKIP LOCKED; a batch of more than 100
    # is announced without reading its mentions back). It includes the savepoints of the
    # claim and of the store, one read of every configuration stamp (the client's triage
    # profile, aspects and learned models, routing matrix, SLA policies, listening queries
    # and the event types its webhooks want are compiled once per change, not read per
    # batch; the webhook types no longer cost a Redis read either), and the settings set
    # and reset around the problem-case candidate lookup (`CANDIDATES_SQL`). Measured: 14;
    # 19 when every batch read the configuration tables.
    assert len(queries) <= 14, "\n".join(q["sql"][:160] for q in queries.captured_queries)


def test_inbox_list_api_query_count_does_not_grow_with_page_size(world, in_acme):
    result = mentions_submit(source=world.acme.source, items=[mention_item() for _ in range(60)])
    ingest_batch_process(batch_id=result.batch_ids[0])
    connection.set_schema_to_public()
    api = api_client(world.acme, world.acme.token)

    def count(page_size: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(f"/api/v1/mentions/?page_size={page_size}").status_code == 200
        return len(queries)

    count(5)  # the first request also records the token's last use
    assert count(5) == count(50)


# -- pages: a fixed number of queries, however many rows, colleagues or departments -----


def store_mentions(world, count: int, **fields) -> None:
    items = [mention_item(author={"handle": f"page-author-{n}"}, **fields) for n in range(count)]
    result = mentions_submit(source=world.acme.source, items=items)
    ingest_batch_process(batch_id=result.batch_ids[0])


def page_queries(web, url: str) -> int:
    web.get(url)  # warm up: the session and the connection's search path
    with CaptureQueriesContext(connection) as queries:
        assert web.get(url).status_code == 200
    return len(queries)


def limited_responder(world, email: str) -> User:
    """A responder limited to two departments (each page asks where they work)."""
    user = user_create_or_update(
        email=email,
        password=PASSWORD,
        name="Lena Limited",
        client=world.acme.client,
        role=Role.RESPONDER,
    )
    connection.set_tenant(world.acme.client)
    staff_upsert(user_id=user.pk, name="Lena Limited", departments=["tech-support", "hr"])
    return user


def test_inbox_page_takes_the_same_queries_for_5_or_50_mentions(world, in_acme):
    lena = limited_responder(world, "lena@acme.test")
    store_mentions(world, 5, text="Die App zeigt Fehler beim Login")
    connection.set_schema_to_public()
    pages = {user: web_client(world.acme, user) for user in (world.alice, world.rita, lena)}
    few = {user: page_queries(web, "/?status=all") for user, web in pages.items()}
    connection.set_tenant(world.acme.client)
    store_mentions(world, 45, text="Die App stürzt beim Bezahlen ab")
    connection.set_schema_to_public()
    for user, web in pages.items():
        assert page_queries(web, "/?status=all") == few[user], user.email


@pytest.mark.parametrize(
    ("persona", "most"),
    [
        # Session, user, role, client; views, cases (with their totals), mentions,
        # departments and loads, the alert banner, teams; the header (clients, and its
        # badges in one statement: unread, approvals, training).
        ("alice", 17),
        # A responder limited to departments: their departments are read once per page.
        ("lena", 18),
    ],
)
def test_inbox_page_is_a_fixed_handful_of_queries(world, in_acme, persona, most):
    user = world.alice if persona == "alice" else limited_responder(world, "lena@acme.test")
    store_mentions(world, 20, text="Die App zeigt Fehler beim Login")
    connection.set_schema_to_public()
    assert page_queries(web_client(world.acme, user), "/") <= most
    assert page_queries(web_client(world.acme, user), "/?department=tech-support") <= most


def test_mention_page_does_not_grow_with_colleagues(world, in_acme):
    """Managers see the colleague picker: each colleague's role, load and shift."""

    def add_colleague(n: int) -> None:
        colleague = user_create_or_update(
            email=f"colleague{n}@acme.test",
            password=PASSWORD,
            name=f"Colleague {n}",
            client=world.acme.client,
            role=Role.RESPONDER,
        )
        connection.set_tenant(world.acme.client)
        staff_upsert(user_id=colleague.pk, name=f"Colleague {n}", departments=["hr"])

    store_mentions(world, 1, text="Die App zeigt Fehler beim Login")
    mention = Mention.objects.order_by("-id").first()
    add_colleague(0)
    connection.set_schema_to_public()
    web = web_client(world.acme, world.alice)
    url = f"/mentions/{mention.pk}/"
    before = page_queries(web, url)
    for n in range(1, 5):
        add_colleague(n)
    connection.set_schema_to_public()
    assert page_queries(web, url) == before
    assert before <= 22


def test_alerts_page_is_a_fixed_handful_of_queries(world, in_acme):
    store_mentions(world, 30, text="Die App zeigt Fehler beim Login")
    connection.set_schema_to_public()
    # Alerts, settings, open alerts, the first mention, and the hourly counts of the chart
    # in one statement (three round trips: JIT is switched off for it); the header (its
    # badges in one statement).
    assert page_queries(web_client(world.acme, world.alice), "/alerts/") <= 17
