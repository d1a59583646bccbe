"""Pushing mentions: signatures, per-item validation, hostile text, dedupe."""

from __future__ import annotations

import pytest
from django.db import connection

from mentions.models import Author, Mention
from sources.models import BatchStatus, IngestBatch
from sources.services import ingest_batch_process
from tests.conftest import api_client, push
from tests.factories import mention_item

pytestmark = pytest.mark.django_db


def process_pending() -> None:
    for batch_id in IngestBatch.objects.filter(status=BatchStatus.PENDING).values_list(
        "pk", flat=True
    ):
        ingest_batch_process(batch_id=batch_id)


@pytest.mark.parametrize(
    "signature",
    [None, "", "sha256=" + "0" * 64, "sha1=abc", "garbage"],
    ids=["missing", "empty", "wrong-hex", "wrong-algo", "garbage"],
)
def test_push_with_bad_signature_is_rejected_with_401(world, signature):
    response = push(api_client(world.acme), world.acme, {"mentions": [mention_item()]}, signature)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    connection.set_tenant(world.acme.client)
    assert not IngestBatch.objects.exists()


def test_push_signed_with_another_clients_secret_is_rejected(world):
    body_payload = {"mentions": [mention_item()]}
    from tests.conftest import signed_body

    _, globex_signature = signed_body(world.globex, body_payload)
    response = push(api_client(world.acme), world.acme, body_payload, globex_signature)
    assert response.status_code == 401


def test_valid_items_are_kept_when_others_are_invalid(world):
    items = [
        mention_item(external_id="good-1"),
        {"external_id": "no-text", "published_at": "2026-01-01T00:00:00Z"},
        mention_item(external_id="good-2"),
        "not an object",
        mention_item(external_id="bad-date", published_at="yesterday"),
    ]
    response = push(api_client(world.acme), world.acme, {"mentions": items})
    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 2
    assert body["rejected"] == 3
    assert [error["index"] for error in body["errors"]] == [1, 3, 4]
    assert "text" in body["errors"][0]["errors"]
    assert "author" in body["errors"][0]["errors"]
    assert "published_at" in body["errors"][2]["errors"]

    connection.set_tenant(world.acme.client)
    process_pending()
    assert set(Mention.objects.values_list("external_id", flat=True)) == {"good-1", "good-2"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\xff\xfe not utf-8", "not valid UTF-8"),
        (b"{not json", "not valid JSON"),
        (b'{"items": []}', "must be"),
        (b"[1, 2]", "must be"),
    ],
)
def test_malformed_bodies_get_a_clear_400(world, body, message):
    response = push(api_client(world.acme), world.acme, body)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


def test_more_than_1000_mentions_per_request_is_refused(world):
    items = [mention_item() for _ in range(1001)]
    response = push(api_client(world.acme), world.acme, {"mentions": items})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["mentions"] == ["too many"]


def test_the_same_external_id_is_stored_once(world):
    api = api_client(world.acme)
    first = mention_item(external_id="same")
    push(api, world.acme, {"mentions": [first, mention_item(external_id="same")]})
    push(api, world.acme, {"mentions": [mention_item(external_id="same"), mention_item()]})
    connection.set_tenant(world.acme.client)
    process_pending()
    assert Mention.objects.filter(external_id="same").count() == 1
    assert Mention.objects.count() == 2
    stats = list(IngestBatch.objects.order_by("pk").values_list("stored", "duplicates"))
    assert stats == [(1, 1), (1, 1)]


def test_authors_are_upserted_and_counted(world):
    api = api_client(world.acme)
    items = [
        mention_item(author={"handle": "jo", "followers": 5, "name": "Jo"}),
        mention_item(author={"handle": "jo", "followers": 7, "name": ""}),
    ]
    push(api, world.acme, {"mentions": items})
    connection.set_tenant(world.acme.client)
    process_pending()
    author = Author.objects.get(handle="jo")
    assert (author.name, author.followers, author.mention_count) == ("Jo", 7, 2)


def test_a_processed_batch_is_not_processed_twice(world, in_acme):
    from sources.services import mentions_submit

    result = mentions_submit(source=world.acme.source, items=[mention_item()])
    batch_id = result.batch_ids[0]
    assert ingest_batch_process(batch_id=batch_id) is not None
    assert ingest_batch_process(batch_id=batch_id) is None
    assert Mention.objects.count() == 1


HOSTILE = {
    "html": '<img src=x onerror="alert(1)"><b>bold</b> & "quotes"',
    "script": "<script>document.title='pwned'</script>Bahn kaputt",
    "rtl": "\u202eتأخر القطار مرة أخرى\u202c שלום",
    "emoji": "Zug fällt aus 😡🚆👩‍👩‍👧‍👦 🇩🇪",
    "huge": ("Verspätung! " * 9000)[:100_000],
    "control": "tab\there\r\nnew line \u200b zero width",
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_text_is_stored_intact(world, name):
    text = HOSTILE[name]
    response = push(api_client(world.acme), world.acme, {"mentions": [mention_item(text=text)]})
    assert response.status_code == 202, response.content
    connection.set_tenant(world.acme.client)
    process_pending()
    assert Mention.objects.get().text == text


def test_lone_surrogates_and_nul_become_replacement_characters(world):
    raw = (
        b'{"mentions": [{"external_id": "s1", "text": "bad \\ud800 half \\u0000 nul '
        b'\\ud83d\\ude00 ok", "published_at": "2026-11-23T10:00:00Z", '
        b'"author": {"handle": "x\\udfff"}, "raw": {"k\\u0000": "\\udc00"}}]}'
    )
    response = push(api_client(world.acme), world.acme, raw)
    assert response.status_code == 202, response.content
    connection.set_tenant(world.acme.client)
    process_pending()
    mention = Mention.objects.select_related("author").get()
    assert mention.text == "bad \ufffd half \ufffd nul 😀 ok"
    assert mention.author.handle == "x\ufffd"
    assert mention.raw == {"k\ufffd": "\ufffd"}


@pytest.mark.parametrize(
    "body",
    [
        b'{"mentions": [{"n": ' + b"9" * 5000 + b"}]}",
        b'{"mentions": [{"raw": {"x": NaN}}]}',
        b'{"mentions": [{"raw": {"x": Infinity}}]}',
        b'{"mentions": [{"raw": {"x": 1e400}}]}',
    ],
    ids=["huge-int", "nan", "infinity", "overflow"],
)
def test_numbers_json_allows_but_postgresql_refuses_get_a_400(world, body):
    response = push(api_client(world.acme), world.acme, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_a_non_ascii_signature_header_is_a_401_not_a_500(world):
    response = push(api_client(world.acme), world.acme, {"mentions": []}, "sha256=\u00e9\u00e9")
    assert response.status_code == 401


def test_follower_counts_beyond_bigint_are_rejected_per_item(world):
    items = [mention_item(author={"followers": 2**63}), mention_item()]
    body = push(api_client(world.acme), world.acme, {"mentions": items}).json()
    assert (body["accepted"], body["rejected"]) == (1, 1)
    assert "followers" in body["errors"][0]["errors"]["author"]


def test_an_unknown_follower_count_keeps_the_known_one(world):
    api = api_client(world.acme)
    push(api, world.acme, {"mentions": [mention_item(author={"handle": "kim", "followers": 900})]})
    later = mention_item(author={"handle": "kim"})
    del later["author"]["followers"]
    push(api, world.acme, {"mentions": [later]})
    connection.set_tenant(world.acme.client)
    process_pending()
    assert Author.objects.get(handle="kim").followers == 900


def test_a_batch_that_keeps_failing_is_given_up_after_five_attempts(world, in_acme, monkeypatch):
    from sources import services

    result = services.mentions_submit(source=world.acme.source, items=[mention_item()])
    batch_id = result.batch_ids[0]

    def explode(**kwargs):
        raise RuntimeError("poisoned")

    monkeypatch.setattr("sources.services.ingest.mentions_store", explode)
    for _ in range(5):
        with pytest.raises(RuntimeError):
            ingest_batch_process(batch_id=batch_id)
    batch = IngestBatch.objects.get(pk=batch_id)
    assert batch.status == "failed" and "poisoned" in batch.error
    assert ingest_batch_process(batch_id=batch_id) is None


def test_items_of_one_source_may_share_a_url(world):
    """Comments pushed with their article's URL are distinct mentions, not duplicates."""
    items = [mention_item(url="https://blog.example/post?utm_source=x") for _ in range(3)]
    push(api_client(world.acme), world.acme, {"mentions": items})
    connection.set_tenant(world.acme.client)
    process_pending()
    assert Mention.objects.filter(canonical_url="https://blog.example/post").count() == 3
