"""Approvals: approvers are told when a reply waits (an in-app notice and a badge on every
page), and may edit the text before approving; the edit and the original are both kept and
audited, and the edited text is what the network gets."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from django.db import connection

from accounts.audit.models import AuditEntry
from accounts.models import Role
from accounts.services import user_create_or_update
from mentions.models import Response, ResponseStatus
from mentions.responses import response_create, response_deliver
from routing.models import Notification
from routing.services.policy import response_policy_update
from tests.conftest import PASSWORD
from tests.test_responses import (  # noqa: F401 (fixtures)
    DASH,
    mastodon,
    page,
    posted_status,
    public_api,
    server,
    toot,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def mia(world):
    return user_create_or_update(
        email="mia@acme.test",
        password=PASSWORD,
        name="Mia Manager",
        client=world.acme.client,
        role=Role.MANAGER,
    )


@pytest.fixture
def waiting(world, toot, mia):  # noqa: F811
    return response_create(
        mention=toot, text="Das tut uns leid, wir kümmern uns", channel="public", by=world.rita
    )


def test_approvers_get_a_notice_when_a_reply_waits(world, waiting, mia):
    assert waiting.status == ResponseStatus.PENDING_APPROVAL
    notices = Notification.objects.filter(text__contains="waits for your approval")
    # Managers and up: the client's (Alice, Mia) and the agency's (Ada).
    assert set(notices.values_list("user_id", flat=True)) == {world.alice.pk, mia.pk, world.ada.pk}
    notice = notices.get(user_id=mia.pk)
    assert notice.text == (
        f"Rita Responder's reply on mention {waiting.mention_id} waits for your approval"
    )
    assert notice.link == f"/responses/approvals/#approval-{waiting.pk}"
    # The writer, and people who cannot approve, are not told.
    assert not Notification.objects.filter(user_id__in=[world.rita.pk, world.vera.pk]).exists()


def test_replies_sent_at_once_notify_nobody(world, toot, mia):  # noqa: F811
    response_create(mention=toot, text="Per Telefon geklärt", channel="phone", by=world.rita)
    assert not Notification.objects.exists()


def test_approvers_see_a_badge_on_every_page(world, waiting, mia):
    for path in ("/", "/notifications/", "/reports/"):
        html = page(world, mia).get(path).content.decode()
        assert 'class="approvals-link" aria-label="Approvals, 1 waiting"' in html, path
        assert '<span class="count pending">1</span>' in html
    rita_html = page(world, world.rita).get("/").content.decode()
    assert 'class="count pending"' not in rita_html
    approve = {"action": "approve", "next": "/responses/approvals/"}
    page(world, mia).post(f"/responses/{waiting.pk}/action", approve)
    assert 'class="count pending"' not in page(world, mia).get("/").content.decode()


def test_an_approver_edits_the_reply_before_approving(world, waiting, mia, server):  # noqa: F811
    posted_status(server)
    original = waiting.text
    edited = f"Das tut uns leid! Ein Ersatzbus ist unterwegs.\n{DASH} Rita Responder"
    mia_page = page(world, mia)
    html = mia_page.get("/responses/approvals/").content.decode()
    assert 'name="text" rows="4"' in html and "the original is kept" in html
    response = mia_page.post(
        f"/responses/{waiting.pk}/action",
        {"action": "approve", "text": edited, "next": "/responses/approvals/"},
        follow=True,
    )
    assert "Approved with your changes" in response.content.decode()
    connection.set_tenant(world.acme.client)
    stored = Response.objects.get(pk=waiting.pk)
    assert (stored.status, stored.text, stored.original_text) == ("queued", edited, original)
    edit = AuditEntry.objects.get(action="response.edited")
    assert edit.actor_id == mia.pk
    assert edit.before["text"] == original and edit.after["text"] == edited
    assert edit.after["original_text"] == original
    approved = AuditEntry.objects.get(action="response.approved")
    assert approved.after["edited"] is True and "with changes" in approved.summary
    assert Notification.objects.filter(
        user_id=world.rita.pk, text__contains="edited and approved"
    ).exists()
    # The network gets the approver's text.
    response_deliver(response_id=waiting.pk)
    [post] = [r for r in server.requests if r.method == "POST"]
    assert parse_qs(post.body.decode())["status"] == [edited]
    mention_page = page(world, world.rita).get(f"/mentions/{waiting.mention_id}/").content.decode()
    assert "Approved by Mia Manager, who edited it." in mention_page
    assert "As Rita Responder wrote it" in mention_page


def test_approving_unchanged_text_is_no_edit(world, waiting, mia):
    api = public_api(world, mia)
    done = api.post(
        f"/api/v1/responses/{waiting.pk}/approve", {"text": waiting.text + "  "}, format="json"
    )
    assert done.status_code == 200 and done.json()["original_text"] == ""
    connection.set_tenant(world.acme.client)
    assert not AuditEntry.objects.filter(action="response.edited").exists()


def test_a_browsers_crlf_line_breaks_are_no_edit(world, toot, mia):  # noqa: F811
    multi = response_create(
        mention=toot,
        text=f"Das tut uns leid.\n{DASH} Rita Responder",
        channel="public",
        by=world.rita,
    )
    page(world, mia).post(
        f"/responses/{multi.pk}/action",
        {"action": "approve", "text": multi.text.replace("\n", "\r\n"), "next": "/"},
    )
    connection.set_tenant(world.acme.client)
    stored = Response.objects.get(pk=multi.pk)
    assert (stored.status, stored.text, stored.original_text) == ("queued", multi.text, "")
    assert not AuditEntry.objects.filter(action="response.edited").exists()


def test_an_edit_must_keep_to_the_policy(world, waiting, mia):
    connection.set_tenant(world.acme.client)
    response_policy_update(changes={"banned_phrases": ["Pech gehabt"]}, by=world.alice)
    api = public_api(world, mia)
    refused = api.post(
        f"/api/v1/responses/{waiting.pk}/approve", {"text": "Pech gehabt."}, format="json"
    )
    assert refused.status_code == 400 and "text" in refused.json()["error"]["fields"]
    empty = api.post(f"/api/v1/responses/{waiting.pk}/approve", {"text": "   "}, format="json")
    assert empty.status_code == 400
    connection.set_tenant(world.acme.client)
    stored = Response.objects.get(pk=waiting.pk)
    assert stored.status == "pending_approval" and stored.original_text == ""
    assert not AuditEntry.objects.filter(action="response.edited").exists()


def test_responders_cannot_edit_by_approving(world, waiting):
    api = public_api(world)  # rita's token
    refused = api.post(f"/api/v1/responses/{waiting.pk}/approve", {"text": "Mine"}, format="json")
    assert refused.status_code == 403
    connection.set_tenant(world.acme.client)
    assert Response.objects.get(pk=waiting.pk).text != "Mine"


def test_the_api_schema_documents_the_edit(world):
    schema = public_api(world).get("/api/v1/schema/?format=json").json()
    approve = schema["components"]["schemas"]["ApproveRequest"]["properties"]
    assert "text" in approve
    assert "original_text" in schema["components"]["schemas"]["Response"]["properties"]
