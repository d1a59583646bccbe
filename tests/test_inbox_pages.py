"""The server-rendered inbox and mention pages."""

from __future__ import annotations

import pytest
from django.db import connection

from mentions.models import Mention
from sources.services import ingest_batch_process, mentions_submit
from tests.conftest import web_client
from tests.factories import mention_item

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def stored(world, in_acme):
    def store(**fields):
        result = mentions_submit(source=world.acme.source, items=[mention_item(**fields)])
        ingest_batch_process(batch_id=result.batch_ids[0])
        return Mention.objects.order_by("-id").first()

    yield store
    connection.set_schema_to_public()


def test_login_page_is_keyboard_friendly(world):
    page = web_client(world.acme).get("/login/").content.decode()
    assert 'type="email"' in page and "autofocus" in page


def test_anonymous_inbox_redirects_to_login(world):
    response = web_client(world.acme).get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_empty_inbox_says_so(world):
    page = web_client(world.acme, world.rita).get("/").content.decode()
    assert "Nothing here yet" in page


def test_hostile_text_is_escaped_in_inbox_and_detail(world, stored):
    mention = stored(text=SCRIPT, author={"handle": "<b>h</b>", "name": "<i>n</i>"})
    web = web_client(world.acme, world.rita)
    for url in ("/", f"/mentions/{mention.pk}/"):
        page = web.get(url).content.decode()
        assert SCRIPT not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
        assert "<b>h</b>" not in page


def test_inbox_filters_by_department_and_status(world, stored):
    stored(text="Die App zeigt nur Fehler")
    stored(text="Ganz normaler Kommentar")
    web = web_client(world.acme, world.rita)
    tech = web.get("/?department=tech-support").content.decode()
    assert "Die App zeigt nur Fehler" in tech and "Ganz normaler Kommentar" not in tech
    resolved = web.get("/?status=resolved").content.decode()
    assert "Die App" not in resolved and "Nothing here yet" in resolved


def test_detail_shows_author_and_why_it_was_routed(world, stored):
    mention = stored(text="Login geht nicht", author={"handle": "kunde", "followers": 1234})
    page = web_client(world.acme, world.rita).get(f"/mentions/{mention.pk}/").content.decode()
    assert "@kunde" in page and "1234 followers" in page
    assert "text contains &quot;login&quot;" in page
    assert "Tech support" in page


def test_responder_assigns_to_self_and_resolves(world, stored):
    mention = stored(text="Hilfe bitte")
    web = web_client(world.acme, world.rita)
    web.post(f"/mentions/{mention.pk}/action", {"action": "assign_me"})
    web.post(f"/mentions/{mention.pk}/action", {"action": "resolved"})
    connection.set_tenant(world.acme.client)
    mention.refresh_from_db()
    assert mention.assignee_id == world.rita.pk
    assert mention.status == "resolved"


def test_viewer_sees_but_cannot_act(world, stored):
    mention = stored(text="Nur lesen")
    web = web_client(world.acme, world.vera)
    page = web.get(f"/mentions/{mention.pk}/").content.decode()
    assert "Nur lesen" in page and "Assign to me" not in page
    assert web.post(f"/mentions/{mention.pk}/action", {"action": "resolved"}).status_code == 403


def test_unknown_action_is_a_400(world, stored):
    mention = stored(text="x")
    response = web_client(world.acme, world.rita).post(
        f"/mentions/{mention.pk}/action", {"action": "explode"}
    )
    assert response.status_code == 400


@pytest.mark.parametrize("query", ["?before=%C2%B2", "?department=%00", "?status=%00&before=-1"])
def test_odd_inbox_parameters_do_not_break_the_page(world, query):
    assert web_client(world.acme, world.rita).get("/" + query).status_code == 200


def test_mention_page_shows_its_thread(world, stored):
    root = stored(external_id="root", text="Ist die Strecke gesperrt?")
    reply = stored(external_id="r1", text="Ja, seit heute früh", in_reply_to="root")
    stored(external_id="r2", text="Bei mir auch", in_reply_to="root")
    orphan = stored(external_id="o1", text="Antwort ins Leere", in_reply_to="missing-post")
    web = web_client(world.acme, world.rita)
    root_page = web.get(f"/mentions/{root.pk}/").content.decode()
    assert "2 replies" in root_page and "Ja, seit heute früh" in root_page
    reply_page = web.get(f"/mentions/{reply.pk}/").content.decode()
    assert "In reply to" in reply_page and "Ist die Strecke gesperrt?" in reply_page
    assert "has not seen" in web.get(f"/mentions/{orphan.pk}/").content.decode()


def test_acting_on_a_mention_changed_meanwhile_asks_first(world, stored):
    from frontend.templatetags.lotse import change_token

    mention = stored(text="Wer antwortet?")
    seen = change_token(mention.updated_at)
    alice = web_client(world.acme, world.alice)
    alice.post(f"/mentions/{mention.pk}/action", {"action": "assign_me"})  # Alice got there first
    rita = web_client(world.acme, world.rita)
    response = rita.post(f"/mentions/{mention.pk}/action", {"action": "resolved", "seen": seen})
    assert response.status_code == 409
    assert "changed while you had it open" in response.content.decode()
    assert "assigned to Alice Admin" in response.content.decode()
    connection.set_tenant(world.acme.client)
    mention.refresh_from_db()
    assert mention.status == "assigned"  # nothing overwritten
    connection.set_schema_to_public()
    confirmed = rita.post(
        f"/mentions/{mention.pk}/action", {"action": "resolved", "seen": seen, "confirm": "1"}
    )
    assert confirmed.status_code == 302
    fresh = rita.post(
        f"/mentions/{mention.pk}/action", {"action": "new", "seen": "0"}
    )  # a stale token without confirm
    assert fresh.status_code == 409


def test_bulk_actions_change_many_visible_mentions_at_once(world, stored):
    picked = [stored(text=f"Frage {n}?").pk for n in range(3)]
    untouched = stored(text="Bleibt offen?").pk
    connection.set_schema_to_public()
    web = web_client(world.acme, world.rita)
    response = web.post(
        "/mentions/bulk", {"ids": [*picked, 999999], "action": "resolved", "next": "/?status=all"}
    )
    assert response.status_code == 302 and response["Location"] == "/?status=all"
    connection.set_tenant(world.acme.client)
    assert set(Mention.objects.filter(status="resolved").values_list("pk", flat=True)) == set(
        picked
    )
    assert Mention.objects.get(pk=untouched).status == "new"
    connection.set_schema_to_public()
    bad = web.post("/mentions/bulk", {"ids": picked, "action": "explode", "next": "//evil"})
    assert bad["Location"] == "/"
    assert (
        web_client(world.acme, world.vera)
        .post("/mentions/bulk", {"ids": picked, "action": "resolved"})
        .status_code
        == 403
    )
