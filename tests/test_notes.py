"""Internal notes with @mentions, and the notifications they raise."""

from __future__ import annotations

import pytest
from django.db import connection

from config.errors import DomainError
from mentions.models import Mention, Note
from mentions.services import note_add
from routing.models import Notification
from routing.services.assignment import staff_upsert
from sources.services import ingest_batch_process, mentions_submit
from tests.conftest import web_client
from tests.factories import mention_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def mention(world, in_acme):
    result = mentions_submit(source=world.acme.source, items=[mention_item(text="Die App?")])
    ingest_batch_process(batch_id=result.batch_ids[0])
    return Mention.objects.get()


def test_at_mentions_notify_colleagues_of_this_client_only(world, mention):
    note = note_add(mention=mention, text="@alice bitte übernehmen, cc @bob @nobody", by=world.rita)
    assert note.mentioned_user_ids == [world.alice.pk]  # bob is Globex's, nobody is nobody
    notice = Notification.objects.get(user_id=world.alice.pk)
    assert "Rita Responder mentioned you" in notice.text
    assert notice.link == f"/mentions/{mention.pk}/#note-{note.pk}"


def test_names_and_email_names_both_work_and_self_mentions_do_not_notify(world, mention):
    note_add(mention=mention, text="@vera @Alice.Admin and @rita", by=world.rita)
    assert set(Notification.objects.values_list("user_id", flat=True)) == {
        world.vera.pk,
        world.alice.pk,
    }


def test_staff_who_cannot_see_the_mention_are_not_notified(world, mention):
    staff_upsert(user_id=world.vera.pk, name="Vera", departments=["legal"])
    note_add(mention=mention, text="@vera schau mal", by=world.rita)
    assert not Notification.objects.filter(user_id=world.vera.pk).exists()


def test_empty_notes_are_refused(world, mention):
    with pytest.raises(DomainError):
        note_add(mention=mention, text="   ", by=world.rita)


def test_notes_on_the_page_are_escaped_and_notifications_can_be_read(world, mention):
    connection.set_schema_to_public()
    rita = web_client(world.acme, world.rita)
    rita.post(f"/mentions/{mention.pk}/notes", {"text": "<script>x()</script> @alice"})
    page = rita.get(f"/mentions/{mention.pk}/").content.decode()
    assert "&lt;script&gt;x()&lt;/script&gt;" in page and "<script>x()" not in page
    alice = web_client(world.acme, world.alice)
    listing = alice.get("/notifications/").content.decode()
    assert "Rita Responder mentioned you" in listing
    assert 'class="count unread">1<' in listing
    alice.post("/notifications/")
    assert 'class="count unread"' not in alice.get("/notifications/").content.decode()
    connection.set_tenant(world.acme.client)
    assert Note.objects.count() == 1


def test_viewers_cannot_add_notes(world, mention):
    connection.set_schema_to_public()
    response = web_client(world.acme, world.vera).post(
        f"/mentions/{mention.pk}/notes", {"text": "hi"}
    )
    assert response.status_code == 403
