"""Client admins edit sources and delete them softly, on the page and through the API."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.audit.models import AuditEntry
from accounts.services import api_token_create
from config.errors import DomainError
from mentions.models import Mention
from mentions.pipeline import mentions_store
from sources.formats import mention_item_validate
from sources.models import Source
from sources.services.editing import source_delete, source_update
from sources.services.polling import source_create_polled, source_ids_due
from tests.conftest import api_client, push, web_client
from tests.factories import mention_item

pytestmark = pytest.mark.django_db


def _feed(name: str = "Pendlerblog") -> Source:
    return source_create_polled(kind="rss", name=name, config={"url": "https://blog.example/feed"})


def _admin_api(world):
    connection.set_schema_to_public()
    _, token = api_token_create(client=world.acme.client, user=world.alice)
    return api_client(world.acme, token)


def test_an_edit_changes_settings_restarts_polling_and_is_audited(world, in_acme):
    source = _feed()
    Source.objects.filter(pk=source.pk).update(
        cursor={"etag": "old"}, consecutive_failures=3, next_poll_at=None
    )
    source.refresh_from_db()
    source_update(
        source=source,
        changes={
            "name": "Pendlerblog (new)",
            "config": {"url": "https://new.example/rss"},
            "poll_interval_seconds": 600,
        },
        by=world.alice,
    )
    source.refresh_from_db()
    assert (source.name, source.config, source.poll_interval_seconds) == (
        "Pendlerblog (new)",
        {"url": "https://new.example/rss"},
        600,
    )
    assert source.cursor == {} and source.consecutive_failures == 0
    assert source.pk in source_ids_due()
    entry = AuditEntry.objects.get(action="source.updated")
    assert entry.actor_id == world.alice.pk and entry.target_id == source.pk
    assert entry.before["config"] == {"url": "https://blog.example/feed"}
    assert entry.after["name"] == "Pendlerblog (new)"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"poll_interval_seconds": 5}, "poll_interval_seconds"),
        ({"poll_interval_seconds": "often"}, "poll_interval_seconds"),
        ({"config": {"url": "ftp://x"}}, "config.url"),
        ({"enabled": "yes"}, "enabled"),
        ({"secret": "mine"}, "secret"),
    ],
)
def test_invalid_edits_are_refused_field_by_field(world, in_acme, changes, field):
    source = _feed()
    with pytest.raises(DomainError) as info:
        source_update(source=source, changes=changes, by=world.alice)
    assert field in info.value.fields
    source.refresh_from_db()
    assert (
        source.name == "Pendlerblog"
        and not AuditEntry.objects.filter(action__startswith="source.").exists()
    )


def test_a_deleted_source_stops_and_leaves_lists_but_its_mentions_keep_its_name(world, in_acme):
    source = _feed()
    item = mention_item_validate(mention_item(text="Zug fällt aus"))[0]
    mentions_store(source=source, items=[item])
    source_delete(source=source, by=world.alice)

    assert not Source.objects.filter(pk=source.pk).exists()
    assert source.pk not in source_ids_due()
    kept = Source.all_objects.get(pk=source.pk)
    assert kept.deleted_at is not None and not kept.enabled
    mention = Mention.objects.select_related("source").get()
    assert mention.source.name == "Pendlerblog"
    assert AuditEntry.objects.filter(action="source.deleted", target_id=source.pk).exists()


def test_a_deleted_push_source_refuses_pushes(world, in_acme):
    api = api_client(world.acme, world.acme.token)
    connection.set_schema_to_public()
    assert push(api, world.acme, {"mentions": [mention_item()]}).status_code == 202
    connection.set_tenant(world.acme.client)
    source_delete(source=world.acme.source, by=world.alice)
    connection.set_schema_to_public()
    # Refused like a disabled source's: whether it ever existed is not told.
    assert push(api, world.acme, {"mentions": [mention_item()]}).status_code == 401


def test_the_page_edits_and_deletes_a_source(world, in_acme):
    source = _feed()
    item = mention_item_validate(mention_item(text="Weichenstörung in Uelzen"))[0]
    mentions_store(source=source, items=[item])
    connection.set_schema_to_public()
    web = web_client(world.acme, world.alice)

    form = web.get(f"/sources/{source.pk}/edit").content.decode()
    assert 'value="https://blog.example/feed"' in form and "Delete Pendlerblog" in form
    bad = web.post(
        f"/sources/{source.pk}/edit",
        {"name": "Blog", "config_url": "ftp://x", "poll_interval": "300", "enabled": "on"},
    )
    assert bad.status_code == 400 and b"http(s) URL" in bad.content
    saved = web.post(
        f"/sources/{source.pk}/edit",
        {"name": "Blog <b>", "config_url": "https://blog.example/atom", "poll_interval": "900"},
    )
    assert saved.status_code == 302
    page = web.get("/sources/").content.decode()
    assert "Blog &lt;b&gt;" in page and "disabled" in page

    web.post(f"/sources/{source.pk}/action", {"action": "delete"})
    assert f'id="source-{source.pk}"' not in web.get("/sources/").content.decode()
    assert web.get(f"/sources/{source.pk}/edit").status_code == 404
    connection.set_tenant(world.acme.client)
    mention = Mention.objects.get()
    connection.set_schema_to_public()
    shown = web.get(f"/mentions/{mention.pk}/").content.decode()
    assert "Weichenstörung" in shown and "on Blog &lt;b&gt;" in shown


def test_only_client_admins_edit_on_the_page(world, in_acme):
    source = _feed()
    connection.set_schema_to_public()
    responder = web_client(world.acme, world.rita)
    assert responder.get(f"/sources/{source.pk}/edit").status_code == 403
    assert responder.post(f"/sources/{source.pk}/action", {"action": "delete"}).status_code == 403


def test_the_api_patches_and_deletes_a_source(world, in_acme):
    source = _feed()
    api = _admin_api(world)
    url = f"/api/v1/sources/{source.pk}/"

    changed = api.patch(url, {"name": "Renamed", "poll_interval_seconds": 120}, format="json")
    assert changed.status_code == 200, changed.content
    assert (changed.json()["name"], changed.json()["poll_interval_seconds"]) == ("Renamed", 120)

    refused = api.patch(url, {"config": {"url": "nope"}, "kind": "x"}, format="json")
    assert refused.status_code == 400
    assert (
        refused.json()["error"]["code"] == "invalid" and "kind" in refused.json()["error"]["fields"]
    )
    refused = api.patch(url, {"poll_interval_seconds": 1}, format="json")
    assert refused.status_code == 400
    assert "poll_interval_seconds" in refused.json()["error"]["fields"]
    assert api.patch(url, ["a list"], format="json").status_code == 400

    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404
    assert api.delete(url).json()["error"]["code"] == "not_found"
    assert "Renamed" not in api.get("/api/v1/sources/").content.decode()


def test_the_api_answers_404_for_another_clients_source(world, in_acme):
    source = _feed()
    connection.set_schema_to_public()
    globex = api_client(world.globex, world.globex.token)
    url = f"/api/v1/sources/{source.pk}/"
    for response in (
        globex.get(url),
        globex.patch(url, {"name": "stolen"}, format="json"),
        globex.delete(url),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    connection.set_tenant(world.acme.client)
    assert Source.objects.get(pk=source.pk).name == "Pendlerblog"


def test_responders_and_read_tokens_may_not_change_sources(world, in_acme):
    source = _feed()
    connection.set_schema_to_public()
    url = f"/api/v1/sources/{source.pk}/"
    responder = api_client(world.acme, world.acme.token)
    assert responder.patch(url, {"name": "x"}, format="json").status_code == 403
    assert responder.delete(url).status_code == 403
    assert responder.get(url).status_code == 403  # as the sources page: managers and up
    assert responder.get("/api/v1/sources/").status_code == 200


def test_a_pushed_source_is_renamed_and_switched_off_on_the_page(world, in_acme):
    push_source = world.acme.source
    connection.set_schema_to_public()
    web = web_client(world.acme, world.alice)
    form = web.get(f"/sources/{push_source.pk}/edit").content.decode()
    assert "Webhook push" in form and "Poll every" not in form and "config_" not in form
    saved = web.post(f"/sources/{push_source.pk}/edit", {"name": "CRM bridge"})
    assert saved.status_code == 302
    connection.set_tenant(world.acme.client)
    push_source.refresh_from_db()
    assert (push_source.name, push_source.enabled) == ("CRM bridge", False)


def test_a_disabled_pushed_source_offers_no_connection_test_or_backfill(world, in_acme):
    Source.objects.filter(pk=world.acme.source.pk).update(enabled=False)
    connection.set_schema_to_public()
    page = web_client(world.acme, world.alice).get("/sources/").content.decode()
    row = page.split(f'id="source-{world.acme.source.pk}"')[1].split("</tr>")[0]
    assert 'value="enable"' in row and "Test connection" not in row and "Backfill" not in row


def test_a_connection_test_asked_by_the_page_script_is_queued_without_a_reload(
    world, in_acme, django_capture_on_commit_callbacks
):
    source = _feed()
    connection.set_schema_to_public()
    web = web_client(world.acme, world.alice)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = web.post(
            f"/sources/{source.pk}/action",
            {"action": "test"},
            headers={"X-Requested-With": "fetch"},
        )
    assert response.status_code == 202 and len(queued) == 1
    assert "Testing" not in web.get("/sources/").content.decode()  # no message left behind
