"""API rate limits per token and per pushing source: 429 with Retry-After and X-RateLimit-*
headers, budgets per client, reads and pushes counted apart, clients apart."""

from __future__ import annotations

import pytest

from accounts.models import Client
from accounts.services import api_token_create
from config.shared_redis import redis_shared
from tests.conftest import api_client, push
from tests.factories import mention_item

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters(settings):
    settings.LOTSE_API_RATE_LIMITS = True

    def clear():
        keys = list(redis_shared().scan_iter("lotse:rl:*"))
        if keys:
            redis_shared().delete(*keys)

    clear()
    yield
    clear()


def _limits(client: Client, *, read: int, push: int) -> None:
    Client.objects.filter(pk=client.pk).update(api_read_per_minute=read, api_push_per_minute=push)


def test_reads_beyond_the_clients_budget_answer_429_with_headers(world):
    _limits(world.acme.client, read=3, push=100)
    api = api_client(world.acme, world.acme.token)
    answers = [api.get("/api/v1/mentions/") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert all(a["X-RateLimit-Limit"] == "3" and a["X-RateLimit-Budget"] == "read" for a in answers)
    refused = answers[-1]
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert 1 <= int(refused["X-RateLimit-Reset"]) <= 60
    body = refused.json()["error"]
    assert body["code"] == "throttled" and "read limit of 3" in body["message"]


def test_writes_have_their_own_budget(world):
    _limits(world.acme.client, read=2, push=100)
    _, key = api_token_create(client=world.acme.client, user=world.alice)
    api = api_client(world.acme, key)
    for _ in range(2):
        assert api.get("/api/v1/mentions/").status_code == 200
    assert api.get("/api/v1/mentions/").status_code == 429
    write = api.post("/api/v1/routing/departments/", {"name": ""}, format="json")
    assert write.status_code != 429
    assert write["X-RateLimit-Budget"] == "push" and write["X-RateLimit-Limit"] == "100"


def test_each_token_and_each_client_counts_apart(world):
    _limits(world.acme.client, read=1, push=100)
    acme = api_client(world.acme, world.acme.token)
    assert acme.get("/api/v1/mentions/").status_code == 200
    assert acme.get("/api/v1/mentions/").status_code == 429
    assert api_client(world.acme, world.acme.read_token).get("/api/v1/mentions/").status_code == 200
    globex = api_client(world.globex, world.globex.token)
    answer = globex.get("/api/v1/mentions/")
    assert answer.status_code == 200 and answer["X-RateLimit-Limit"] == "600"  # the default


def test_signed_pushes_count_against_the_push_budget_per_source(world):
    _limits(world.acme.client, read=100, push=2)
    api = api_client(world.acme)
    payload = {"mentions": [mention_item(text="Where is my train?")]}
    answers = [push(api, world.acme, payload) for _ in range(3)]
    assert [a.status_code for a in answers] == [202, 202, 429]
    assert answers[-1]["Retry-After"] and answers[-1]["X-RateLimit-Budget"] == "push"
    assert "Push limit of 2" in answers[-1].json()["error"]["message"]
    # A push with a wrong signature is refused before it can spend the source's budget.
    assert push(api, world.acme, payload, signature="sha256=00").status_code == 401


def test_browser_sessions_are_not_limited(world):
    _limits(world.acme.client, read=1, push=1)
    web = api_client(world.acme)
    web.force_login(world.alice)
    for _ in range(3):
        answer = web.get("/api/v1/mentions/")
        assert answer.status_code == 200 and "X-RateLimit-Limit" not in answer


def test_limits_can_be_switched_off_for_the_whole_installation(world, settings):
    settings.LOTSE_API_RATE_LIMITS = False
    _limits(world.acme.client, read=1, push=1)
    api = api_client(world.acme, world.acme.token)
    for _ in range(3):
        assert api.get("/api/v1/mentions/").status_code == 200
