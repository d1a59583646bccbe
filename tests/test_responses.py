"""Responses: policy checks, approval, delivery through the connector, the 409 when someone
answered meanwhile, saved replies, the policy API, and isolation between clients."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from accounts.audit.models import AuditEntry
from accounts.models import Role
from accounts.services import user_create_or_update
from mentions.models import Channel, Kind, Mention, Response, ResponseStatus
from mentions.responses import (
    DASH,
    PolicyInput,
    policy_evaluate,
    response_create,
    response_deliver,
    variables_fill,
)
from routing.models import Notification, ResponsePolicy
from routing.services.assignment import staff_upsert
from routing.training.services import staff_certification_set
from sources.services import ingest_batch_process, mentions_submit
from sources.services.polling import source_create_polled
from tests.conftest import PASSWORD, api_client, web_client
from tests.factories import mention_item
from tests.replay import ReplayServer

pytestmark = pytest.mark.django_db


# -- policy checks, as a table ---------------------------------------------------------
def policy(**overrides):
    values = {
        "banned_phrases": ["Schnauze", "guaranteed refund"],
        "require_signature": True,
        "approval_uncertified": True,
        "approval_crisis": True,
        "approval_min_followers": 10_000,
        "approval_segments": ["mass_connector"],
    }
    return ResponsePolicy(**{**values, **overrides})


def draft(**overrides):
    values = {
        "text": "Danke, wir kümmern uns!",
        "channel": Channel.PUBLIC,
        "agent_name": "Rita Responder",
        "signature": "",
        "approver": False,
        "certified": True,
        "mention_kind": Kind.COMPLAINT,
        "author_followers": 10,
        "author_segment": "regular",
        "routed_approval": False,
        "max_chars": 500,
    }
    return PolicyInput(**{**values, **overrides})


@pytest.mark.parametrize(
    ("item", "rules", "text", "codes", "reasons"),
    [
        # Signed for the agent, nothing else to say.
        (
            draft(),
            policy(),
            f"Danke, wir kümmern uns!\n{DASH} Rita Responder",
            ["signature_added"],
            [],
        ),
        # Already signed (own signature, any case): left alone.
        (draft(text="Danke! ^rr", signature="^RR"), policy(), "Danke! ^rr", [], []),
        # No signing asked for.
        (draft(), policy(require_signature=False), "Danke, wir kümmern uns!", [], []),
        # Nobody to sign with: blocked.
        (draft(agent_name=""), policy(), "Danke, wir kümmern uns!", ["unsigned"], []),
        # Banned phrases, any case, every occurrence.
        (
            draft(text="Halt die SCHNAUZE, schnauze!", signature="R"),
            policy(),
            f"Halt die SCHNAUZE, schnauze!\n{DASH} R",
            ["signature_added", "banned_phrase", "banned_phrase"],
            [],
        ),
        # Too long for Mastodon once signed.
        (draft(text="x" * 490), policy(), None, ["signature_added", "too_long"], []),
        # Approval: uncertified, crisis, influencer, the routing rule; all named.
        (
            draft(
                certified=False,
                mention_kind=Kind.CRISIS,
                author_followers=50_000,
                routed_approval=True,
            ),
            policy(),
            None,
            ["signature_added", "approval"],
            [
                "you are not certified to answer publicly yet",
                "crisis mention",
                "influential author (50,000 followers)",
                "the routing rule requires approval",
            ],
        ),
        # Segments (from the author's influence), as the policy names them.
        (
            draft(author_segment="mass_connector"),
            policy(),
            None,
            ["signature_added", "approval"],
            ["author is a mass connector"],
        ),
        (draft(author_segment="mass_maven"), policy(), None, ["signature_added"], []),
        # The policy can switch each reason off.
        (
            draft(certified=False, mention_kind=Kind.CRISIS, author_followers=50_000),
            policy(
                approval_uncertified=False,
                approval_crisis=False,
                approval_min_followers=None,
                approval_segments=[],
            ),
            None,
            ["signature_added"],
            [],
        ),
        # Managers approve; they are not queued themselves.
        (draft(approver=True, certified=False, mention_kind=Kind.CRISIS), policy(), None, None, []),
        # Answered elsewhere: recorded as written, no signature, no approval, but no
        # banned phrases either.
        (
            draft(channel=Channel.PHONE, certified=False, text="Guaranteed refund!"),
            policy(),
            "Guaranteed refund!",
            ["banned_phrase"],
            [],
        ),
        (draft(text="   "), policy(), "", ["empty"], []),
    ],
)
def test_policy_checks(item, rules, text, codes, reasons):
    check = policy_evaluate(item, policy=rules)
    if text is not None:
        assert check.text == text
    if codes is not None:
        assert [finding.code for finding in check.findings] == codes
    assert check.approval_reasons == reasons
    assert check.blocked == any(
        code in {"unsigned", "banned_phrase", "too_long", "empty"} for code in codes or []
    )


def test_banned_phrases_say_where_they_are():
    check = policy_evaluate(draft(text="Ok, Schnauze.", signature="R"), policy=policy())
    [banned] = [f for f in check.findings if f.code == "banned_phrase"]
    assert check.text[banned.start : banned.end] == "Schnauze"


# -- fixtures ------------------------------------------------------------------------------
def ingest(source, **item):
    data = mention_item(**item)
    result = mentions_submit(source=source, items=[data])
    ingest_batch_process(batch_id=result.batch_ids[0])
    return Mention.objects.select_related("author", "source").get(
        source=source, external_id=data["external_id"]
    )


@pytest.fixture
def server():
    with ReplayServer() as replay:
        yield replay


@pytest.fixture
def mastodon(in_acme, server):
    return source_create_polled(
        kind="mastodon",
        name="Fediverse",
        config={"instance": server.url, "hashtags": ["acme"], "search": False},
        credentials={"access_token": "tok"},
    )


@pytest.fixture
def toot(world, mastodon):
    """A complaint on Mastodon, its status id 1090 on the instance."""
    return ingest(
        mastodon,
        external_id="1090",
        text="Zug fällt schon wieder aus, danke für nichts",
        author={"handle": "pendlerin", "followers": 120},
    )


@pytest.fixture
def pushed(world, in_acme):
    """A mention pushed by an integrator: no connector can reply to it."""
    return ingest(world.acme.source, text="Wo bleibt meine Erstattung?")


def posted_status(server, status_id="2001"):
    server.add(
        "POST",
        "/api/v1/statuses",
        body={"id": status_id, "url": f"https://social.example/@acme/{status_id}"},
    )


def public_api(world, user=None):
    connection.set_schema_to_public()
    api = api_client(world.acme, None if user else world.acme.token)
    if user is not None:
        api.force_login(user)
    return api


# -- answering elsewhere -------------------------------------------------------------------
def test_answered_elsewhere_is_recorded_and_stamps_the_first_response(world, pushed):
    response = response_create(
        mention=pushed, text="Per Telefon geklärt", channel="phone", by=world.rita
    )
    pushed.refresh_from_db()
    assert response.status == ResponseStatus.RECORDED
    assert response.is_first and response.sent_at is not None
    assert response.response_seconds is not None and response.response_seconds >= 0
    assert pushed.status == "responded" and pushed.first_response_at == response.sent_at
    later = response_create(
        mention=pushed, text="Nochmal per Mail", channel="email", by=world.rita, confirm=True
    )
    assert not later.is_first
    assert AuditEntry.objects.filter(action="response.created", target_id=pushed.pk).count() == 2


def test_public_replies_are_offered_only_where_the_network_takes_them(world, pushed):
    api = public_api(world)
    response = api.post(
        f"/api/v1/mentions/{pushed.pk}/responses",
        {"text": "Hallo", "channel": "public"},
        format="json",
    )
    assert response.status_code == 400
    assert "answered elsewhere" in response.json()["error"]["message"]


# -- approval flow, end to end ----------------------------------------------------------
def test_approval_flow_through_the_api_and_the_connector(world, toot, server):
    posted_status(server)
    rita = public_api(world)
    created = rita.post(
        f"/api/v1/mentions/{toot.pk}/responses",
        {"text": "Das tut uns leid, {author}!", "channel": "public", "seen_response_id": 0},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "pending_approval"
    assert body["text"] == f"Das tut uns leid, {{author}}!\n{DASH} Rita Responder"
    assert body["approval_reasons"] == ["you need the Responder certificate"]

    # Responders cannot approve; the queue shows it to managers.
    assert rita.post(f"/api/v1/responses/{body['id']}/approve").status_code == 403
    alice = public_api(world, world.alice)
    queue = alice.get("/api/v1/responses/?status=pending_approval").json()["results"]
    assert [item["id"] for item in queue] == [body["id"]]

    approved = alice.post(f"/api/v1/responses/{body['id']}/approve")
    assert approved.status_code == 200
    assert approved.json()["status"] == "queued"
    assert approved.json()["decided_by"]["name"] == "Alice Admin"
    assert alice.post(f"/api/v1/responses/{body['id']}/approve").status_code == 409

    # The worker's part (the task calls exactly this), against the fake Mastodon.
    connection.set_tenant(world.acme.client)
    sent = response_deliver(response_id=body["id"])
    assert sent.status == ResponseStatus.SENT
    assert (sent.external_id, sent.external_url) == ("2001", "https://social.example/@acme/2001")
    [post] = [r for r in server.requests if r.method == "POST"]
    assert post.headers["Authorization"] == "Bearer tok"
    assert parse_qs(post.body.decode()) == {
        "status": [f"Das tut uns leid, {{author}}!\n{DASH} Rita Responder"],
        "in_reply_to_id": ["1090"],
    }
    toot.refresh_from_db()
    assert toot.status == "responded" and toot.first_response_at == sent.sent_at
    assert sent.is_first
    assert response_deliver(response_id=body["id"]).status == ResponseStatus.SENT  # idempotent
    assert len([r for r in server.requests if r.method == "POST"]) == 1
    assert Notification.objects.filter(user_id=world.rita.pk, text__contains="approved").exists()
    actions = list(
        AuditEntry.objects.filter(target_id=toot.pk, action__startswith="response.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["response.created", "response.approved", "response.sent"]
    listed = public_api(world).get(f"/api/v1/mentions/{toot.pk}/responses").json()
    assert [(r["status"], r["external_id"]) for r in listed] == [("sent", "2001")]


def test_rejection_needs_a_reason_and_tells_the_author(world, toot):
    response = response_create(mention=toot, text="Pech gehabt", channel="public", by=world.rita)
    alice = public_api(world, world.alice)
    missing = alice.post(f"/api/v1/responses/{response.pk}/reject", {"reason": ""}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()["error"]["fields"]
    rejected = alice.post(
        f"/api/v1/responses/{response.pk}/reject", {"reason": "Zu flapsig"}, format="json"
    )
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    connection.set_tenant(world.acme.client)
    notice = Notification.objects.get(user_id=world.rita.pk)
    assert "rejected your reply" in notice.text and "Zu flapsig" in notice.text
    toot.refresh_from_db()
    assert toot.first_response_at is None
    assert AuditEntry.objects.filter(action="response.rejected").exists()


def test_certified_staff_reply_without_approval_and_failures_can_be_retried(world, toot, server):
    staff_certification_set(user=world.rita, certified=True, by=world.alice)
    server.add("POST", "/api/v1/statuses", status=503, body={"error": "Down for maintenance"})
    posted_status(server, "2002")
    response = response_create(
        mention=toot, text="Wir prüfen das.", channel="public", by=world.rita
    )
    assert response.status == ResponseStatus.QUEUED and response.approval_reasons == []
    failed = response_deliver(response_id=response.pk)
    assert failed.status == ResponseStatus.FAILED
    assert "503: Down for maintenance" in failed.error
    toot.refresh_from_db()
    assert toot.first_response_at is None

    api = public_api(world)
    retried = api.post(f"/api/v1/responses/{response.pk}/retry")
    assert retried.status_code == 200 and retried.json()["status"] == "queued"
    connection.set_tenant(world.acme.client)
    sent = response_deliver(response_id=response.pk)
    assert sent.status == ResponseStatus.SENT and sent.attempts == 2
    assert AuditEntry.objects.filter(action="staff.certified", target_id=world.rita.pk).exists()


def test_crisis_and_influencer_mentions_need_approval_even_for_certified_staff(world, mastodon):
    staff_certification_set(user=world.rita, certified=True, by=world.alice)
    star = ingest(
        mastodon, text="Schöne Fahrt heute", author={"handle": "star", "followers": 250_000}
    )
    fire = ingest(mastodon, text="Feuer im Zug, Verletzte!")
    assert response_create(
        mention=star, text="Danke!", channel="public", by=world.rita
    ).approval_reasons == [
        "influential author (250,000 followers)",
        "author is a mass connector",  # the author's influence segment, from triage
    ]
    assert response_create(
        mention=fire, text="Wir sind dran.", channel="public", by=world.rita
    ).approval_reasons == ["crisis mention"]


def test_replies_over_the_networks_limit_get_a_clear_error(world, toot):
    api = public_api(world)
    response = api.post(
        f"/api/v1/mentions/{toot.pk}/responses",
        {"text": "ä" * 490, "channel": "public"},
        format="json",
    )
    assert response.status_code == 400
    assert "at most 500" in response.json()["error"]["fields"]["text"][0]


# -- collisions ----------------------------------------------------------------------------
def test_sending_after_a_colleague_answered_is_a_409_until_confirmed(world, pushed):
    api = public_api(world)
    seen = 0  # rita opened the composer: no responses yet
    connection.set_tenant(world.acme.client)
    response_create(mention=pushed, text="Per DM beantwortet", channel="dm", by=world.alice)
    api = public_api(world)
    url = f"/api/v1/mentions/{pushed.pk}/responses"
    payload = {"text": "Hallo!", "channel": "email", "seen_response_id": seen}
    conflict = api.post(url, payload, format="json")
    assert conflict.status_code == 409
    error = conflict.json()["error"]
    assert error["code"] == "conflict"
    assert error["fields"]["answered_by"] == ["Alice Admin"]
    assert "Alice Admin answered at" in error["message"]
    assert api.post(url, {**payload, "confirm": True}, format="json").status_code == 201
    # Rejected replies and one's own do not count as "someone answered".
    own = api.post(url, {**payload, "text": "Nachtrag", "seen_response_id": seen}, format="json")
    assert own.status_code == 409  # still Alice's answer rita has not seen
    latest_alice = conflict.json()["error"]["fields"]["latest_response_id"][0]
    again = {**payload, "text": "Nachtrag", "seen_response_id": int(latest_alice)}
    assert api.post(url, again, format="json").status_code == 201


# -- who may respond -----------------------------------------------------------------------
def test_viewers_may_not_respond_and_staff_only_where_they_see(world, pushed):
    vera = public_api(world, world.vera)
    url = f"/api/v1/mentions/{pushed.pk}/responses"
    assert vera.get(url).status_code == 200
    assert vera.post(url, {"text": "Hi", "channel": "dm"}, format="json").status_code == 403
    connection.set_tenant(world.acme.client)
    staff_upsert(user_id=world.rita.pk, name="Rita", departments=["legal"])
    rita = public_api(world)
    assert rita.post(url, {"text": "Hi", "channel": "dm"}, format="json").status_code == 404
    assert (
        rita.post(f"{url}/check", {"text": "Hi", "channel": "dm"}, format="json").status_code == 404
    )


def test_another_clients_users_never_see_or_act_on_responses(world, toot):
    response = response_create(mention=toot, text="Danke", channel="public", by=world.rita)
    connection.set_schema_to_public()
    bob = api_client(world.globex, world.globex.token)
    assert bob.get("/api/v1/responses/").json()["results"] == []
    assert bob.post(f"/api/v1/responses/{response.pk}/approve").status_code == 404
    bob_session = api_client(world.acme)
    bob_session.force_login(world.bob)
    assert bob_session.get(f"/api/v1/mentions/{toot.pk}/responses").status_code == 403
    assert bob_session.post(f"/api/v1/responses/{response.pk}/approve").status_code == 403
    bob_web = web_client(world.acme)
    bob_web.force_login(world.bob)
    page = bob_web.get("/responses/approvals/")
    assert page.status_code == 403 and b"Danke" not in page.content
    with tenant_context(world.acme.client):
        assert Response.objects.get().status == ResponseStatus.PENDING_APPROVAL


def test_hostile_text_is_stored_intact_and_escaped_on_pages(world, pushed):
    text = '<img src=x onerror="alert(1)"> & </textarea>'
    response = response_create(mention=pushed, text=text, channel="dm", by=world.rita)
    assert response.text == text
    connection.set_schema_to_public()
    page = web_client(world.acme, world.rita).get(f"/mentions/{pushed.pk}/").content.decode()
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &lt;/textarea&gt;" in page
    assert '<img src=x onerror="alert(1)">' not in page


def test_check_endpoint_shows_findings_before_sending(world, toot):
    connection.set_tenant(world.acme.client)
    from routing.services.policy import response_policy_update

    response_policy_update(changes={"banned_phrases": ["leider"]}, by=world.alice)
    api = public_api(world)
    result = api.post(
        f"/api/v1/mentions/{toot.pk}/responses/check",
        {"text": "Leider nein", "channel": "public"},
        format="json",
    ).json()
    assert result["blocked"] is True
    assert result["text"] == f"Leider nein\n{DASH} Rita Responder"
    banned = [f for f in result["findings"] if f["code"] == "banned_phrase"]
    assert [(f["start"], f["end"]) for f in banned] == [(0, 6)]


# -- saved replies, policy, certification --------------------------------------------------
def test_saved_replies_crud_for_managers(world, in_acme):
    manager = user_create_or_update(
        email="mona@acme.test",
        password=PASSWORD,
        name="Mona Manager",
        client=world.acme.client,
        role=Role.MANAGER,
    )
    rita = public_api(world)
    payload = {
        "title": "Entschuldigung",
        "text": "Hallo {author}, sorry! {agent}",
        "language": "de",
    }
    assert rita.post("/api/v1/saved-replies/", payload, format="json").status_code == 403
    mona = public_api(world, manager)
    created = mona.post("/api/v1/saved-replies/", payload, format="json")
    assert created.status_code == 201
    reply_id = created.json()["id"]
    assert mona.post("/api/v1/saved-replies/", payload, format="json").status_code == 400
    assert mona.post("/api/v1/saved-replies/", {"title": ""}, format="json").status_code == 400
    english = {"title": "Sorry", "text": "Hi {author}", "language": "en"}
    mona.post("/api/v1/saved-replies/", english, format="json")
    german = rita.get("/api/v1/saved-replies/?language=de").json()
    assert [r["title"] for r in german] == ["Entschuldigung"]
    changed = mona.patch(
        f"/api/v1/saved-replies/{reply_id}/", {"text": "<b>{brand}</b>"}, format="json"
    )
    assert changed.json()["text"] == "<b>{brand}</b>"
    assert mona.delete(f"/api/v1/saved-replies/{reply_id}/").status_code == 204
    connection.set_tenant(world.acme.client)
    assert list(
        AuditEntry.objects.filter(target_type="saved_reply")
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        "saved_reply.created",
        "saved_reply.created",
        "saved_reply.updated",
        "saved_reply.deleted",
    ]


def test_variables_are_filled_for_the_composer(world, toot):
    text = variables_fill(
        "Hallo {author}, {agent} von {brand}. {unknown}",
        mention=toot,
        agent=world.rita,
        client=world.acme.client,
    )
    assert text == "Hallo Author 1, Rita Responder von Acme Rail. {unknown}".replace(
        "Author 1", toot.author.name
    )


def test_policy_api_is_read_by_members_and_changed_by_client_admins(world, in_acme):
    rita = public_api(world)
    assert rita.get("/api/v1/routing/response-policy").json()["require_signature"] is True
    refused = rita.patch(
        "/api/v1/routing/response-policy", {"approval_crisis": False}, format="json"
    )
    assert refused.status_code == 403
    alice = public_api(world, world.alice)
    bad = alice.patch(
        "/api/v1/routing/response-policy", {"approval_min_followers": -1}, format="json"
    )
    assert bad.status_code == 400
    unknown = alice.patch(
        "/api/v1/routing/response-policy", {"approval_segments": ["celebrity"]}, format="json"
    )
    assert unknown.status_code == 400 and "approval_segments" in unknown.json()["error"]["fields"]
    changed = alice.patch(
        "/api/v1/routing/response-policy",
        {"banned_phrases": ["  leider  nicht ", "Leider nicht"], "approval_min_followers": None},
        format="json",
    )
    assert changed.status_code == 200
    assert changed.json()["banned_phrases"] == ["leider nicht"]
    assert changed.json()["approval_min_followers"] is None
    certified = alice.post(
        f"/api/v1/routing/staff/{world.rita.pk}/certification",
        {"certified": True, "signature": "^RR"},
        format="json",
    )
    assert certified.status_code == 200 and certified.json()["certified"] is True
    outsider = alice.post(
        f"/api/v1/routing/staff/{world.bob.pk}/certification", {"certified": True}, format="json"
    )
    assert outsider.status_code == 404
    connection.set_tenant(world.acme.client)
    entry = AuditEntry.objects.get(action="policy.updated")
    assert entry.after == {"banned_phrases": ["leider nicht"], "approval_min_followers": None}


def test_the_api_schema_documents_responses(world):
    schema = api_client(world.acme).get("/api/v1/schema/?format=json").json()
    for path in (
        "/api/v1/mentions/{id}/responses",
        "/api/v1/mentions/{id}/responses/check",
        "/api/v1/responses/{id}/approve",
        "/api/v1/responses/{id}/reject",
        "/api/v1/saved-replies/",
        "/api/v1/routing/response-policy",
    ):
        assert path in schema["paths"], path


# -- pages -----------------------------------------------------------------------------------
def page(world, user):
    connection.set_schema_to_public()
    return web_client(world.acme, user)


def test_composer_offers_saved_replies_with_variables_and_the_sources_channels(world, toot):
    from mentions.responses import saved_reply_create

    saved_reply_create(
        data={"title": "Sorry", "text": "Hallo {author}, {agent} von {brand} <3"}, by=world.alice
    )
    html = page(world, world.rita).get(f"/mentions/{toot.pk}/").content.decode()
    assert 'id="composer"' in html
    assert "Hallo Author" in html and "Rita Responder von Acme Rail &lt;3" in html
    assert 'value="public"' in html and 'value="phone"' in html
    viewer = page(world, world.vera).get(f"/mentions/{toot.pk}/").content.decode()
    assert 'id="composer"' not in viewer and "No responses yet." in viewer


def test_pushed_mentions_offer_only_answered_elsewhere(world, pushed):
    html = page(world, world.rita).get(f"/mentions/{pushed.pk}/").content.decode()
    assert 'value="public"' not in html and 'value="dm"' in html


def test_recording_an_answer_on_the_page(world, pushed):
    rita = page(world, world.rita)
    response = rita.post(
        f"/mentions/{pushed.pk}/respond",
        {"text": "Telefonisch geklärt", "channel": "phone", "seen_response_id": "0"},
    )
    assert response.status_code == 302
    html = rita.get(f"/mentions/{pushed.pk}/").content.decode()
    assert "Telefonisch geklärt" in html and "Recorded (answered elsewhere)" in html
    assert "Recorded as answered." in html


def test_the_page_asks_before_sending_when_a_colleague_answered(world, pushed):
    rita = page(world, world.rita)
    connection.set_tenant(world.acme.client)
    response_create(mention=pushed, text="Per Mail erledigt", channel="email", by=world.alice)
    rita = page(world, world.rita)
    draft = {"text": "Meine Antwort", "channel": "dm", "seen_response_id": "0"}
    conflict = rita.post(f"/mentions/{pushed.pk}/respond", draft)
    assert conflict.status_code == 409
    html = conflict.content.decode()
    assert "Someone answered while you were writing" in html and "Alice Admin answered" in html
    assert 'name="confirm" value="1"' in html and 'value="Meine Antwort"' in html
    confirmed = rita.post(f"/mentions/{pushed.pk}/respond", {**draft, "confirm": "1"})
    assert confirmed.status_code == 302


def test_policy_errors_keep_the_draft_on_the_page(world, pushed):
    connection.set_tenant(world.acme.client)
    from routing.services.policy import response_policy_update

    response_policy_update(changes={"banned_phrases": ["unmöglich"]}, by=world.alice)
    response = page(world, world.rita).post(
        f"/mentions/{pushed.pk}/respond", {"text": "Das ist unmöglich!", "channel": "dm"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "may not be used in replies" in html and "Das ist unmöglich!</textarea>" in html


def test_approval_queue_page(world, toot):
    first = response_create(
        mention=toot, text="Antwort <b>eins</b>", channel="public", by=world.rita
    )
    second = response_create(
        mention=toot, text="Antwort zwei", channel="public", by=world.rita, confirm=True
    )
    response_create(mention=toot, text="Per Telefon", channel="phone", by=world.rita, confirm=True)
    rita_page = page(world, world.rita).get("/responses/approvals/").content.decode()
    assert rita_page.count("Answered meanwhile by Rita Responder (phone") == 2
    assert "Antwort &lt;b&gt;eins&lt;/b&gt;" in rita_page and "Approve and send" not in rita_page
    # Answered meanwhile: the API asks for confirmation, the page says so on the button.
    refused = public_api(world, world.alice).post(f"/api/v1/responses/{first.pk}/approve")
    assert refused.status_code == 409
    assert refused.json()["error"]["fields"]["answered_by"] == ["Rita Responder"]
    alice = page(world, world.alice)
    html = alice.get("/responses/approvals/").content.decode()
    assert "Approve and send anyway" in html and "you need the Responder certificate" in html
    assert 'name="confirm" value="1"' in html
    approve = {"action": "approve", "next": "/responses/approvals/"}
    unconfirmed = alice.post(f"/responses/{first.pk}/action", approve, follow=True)
    assert "Rita Responder answered at" in unconfirmed.content.decode()
    approved = alice.post(f"/responses/{first.pk}/action", {**approve, "confirm": "1"})
    assert approved.status_code == 302 and approved["Location"] == "/responses/approvals/"
    alice.post(f"/responses/{second.pk}/action", {"action": "reject", "reason": "Doppelt"})
    assert "Nothing waits for approval." in alice.get("/responses/approvals/").content.decode()
    rita_view = page(world, world.rita).get(f"/mentions/{toot.pk}/").content.decode()
    assert (
        "Rejected by Alice Admin: Doppelt" in rita_view and "Approved by Alice Admin." in rita_view
    )
    assert page(world, world.vera).get("/responses/approvals/").status_code == 403


def test_saved_replies_and_policy_pages(world, in_acme):
    alice = page(world, world.alice)
    created = alice.post(
        "/responses/saved/", {"title": "Dank", "text": "Danke {author}! <3", "language": "de"}
    )
    assert created.status_code == 302
    assert "Danke {author}! &lt;3" in alice.get("/responses/saved/").content.decode()
    assert alice.post("/responses/saved/", {"title": "", "text": ""}).status_code == 400
    assert (
        page(world, world.rita).post("/responses/saved/", {"title": "x", "text": "y"}).status_code
        == 403
    )

    saved = alice.post(
        "/responses/policy/",
        {
            "banned_phrases": "Schnauze\n\n kein Kommentar ",
            "require_signature": "on",
            "approval_crisis": "on",
            "approval_min_followers": "5000",
        },
    )
    assert saved.status_code == 302
    html = alice.get("/responses/policy/").content.decode()
    assert "Schnauze\nkein Kommentar</textarea>" in html
    assert alice.post("/responses/policy/", {"approval_min_followers": "viele"}).status_code == 400
    certified = alice.post(
        "/responses/policy/",
        {"form": "staff", "user_id": str(world.rita.pk), "certified": "on", "signature": "^RR"},
    )
    assert certified.status_code == 302
    assert page(world, world.rita).get("/responses/policy/").status_code == 403
    connection.set_tenant(world.acme.client)
    policy = ResponsePolicy.objects.get()
    assert policy.banned_phrases == ["Schnauze", "kein Kommentar"]
    assert policy.approval_uncertified is False and policy.approval_min_followers == 5000
    assert policy.approval_segments == []  # the mass-connector box was left unticked
    assert set(AuditEntry.objects.values_list("action", flat=True)) >= {
        "saved_reply.created",
        "policy.updated",
        "staff.certified",
    }


def test_first_response_times_for_reports(world, pushed, mastodon):
    from datetime import timedelta

    from django.utils import timezone

    from mentions.selectors import first_response_times

    Mention.objects.filter(pk=pushed.pk).update(received_at=timezone.now() - timedelta(minutes=30))
    pushed.refresh_from_db()
    response_create(mention=pushed, text="Erledigt", channel="phone", by=world.rita)
    response_create(mention=pushed, text="Nachtrag", channel="email", by=world.alice, confirm=True)
    other = ingest(mastodon, text="Frage zur Bahncard")
    response_create(mention=other, text="Per Mail", channel="email", by=world.rita)
    now = timezone.now()
    [rita] = first_response_times(since=now - timedelta(hours=1), until=now + timedelta(minutes=1))
    assert (rita.author_name, rita.answered) == ("Rita Responder", 2)  # alice's was not first
    assert 1790 <= rita.longest_seconds <= 1810
    assert rita.department_id == pushed.department_id


def test_a_reply_stuck_sending_is_sent_again_only_after_a_while(world, toot, server):
    from datetime import timedelta

    from django.utils import timezone

    staff_certification_set(user=world.rita, certified=True, by=world.alice)
    posted_status(server, "3003")
    response = response_create(
        mention=toot, text="Wir prüfen das.", channel="public", by=world.rita
    )
    # A worker began sending and died: a redelivered task leaves a fresh attempt alone.
    Response.objects.filter(pk=response.pk).update(status="sending", sending_at=timezone.now())
    assert response_deliver(response_id=response.pk).status == ResponseStatus.SENDING
    assert not server.requests
    Response.objects.filter(pk=response.pk).update(
        sending_at=timezone.now() - timedelta(minutes=11)
    )
    html = page(world, world.rita).get(f"/mentions/{toot.pk}/").content.decode()
    assert "Sending did not finish" in html and "Retry sending" in html
    connection.set_tenant(world.acme.client)
    assert response_deliver(response_id=response.pk).status == ResponseStatus.SENT


def test_a_phrase_banned_while_the_reply_waited_blocks_its_approval(world, toot):
    from routing.services.policy import response_policy_update

    rita = public_api(world)
    created = rita.post(
        f"/api/v1/mentions/{toot.pk}/responses",
        {"text": "Kostenlos erstatten wir alles!", "channel": "public", "seen_response_id": 0},
        format="json",
    ).json()
    assert created["status"] == "pending_approval"
    with tenant_context(world.acme.client):
        response_policy_update(changes={"banned_phrases": ["kostenlos"]}, by=world.alice)
    alice = public_api(world, world.alice)
    refused = alice.post(f"/api/v1/responses/{created['id']}/approve")
    assert refused.status_code == 400
    assert "kostenlos" in str(refused.json()["error"]["fields"]["text"])
    with tenant_context(world.acme.client):
        assert Response.objects.get(pk=created["id"]).status == ResponseStatus.PENDING_APPROVAL
