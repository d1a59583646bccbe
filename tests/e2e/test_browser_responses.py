"""In a real Chromium with the real stack: a responder composes a reply from a saved reply,
sees the policy findings, sends it for approval; a manager approves it in the queue; the
worker posts it to a fake Mastodon on loopback, and the responder's page shows it sent."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from mentions.models import Mention
from mentions.pipeline import mentions_store
from mentions.responses import saved_reply_create
from routing.services.policy import response_policy_update
from sources.formats import mention_item_validate
from sources.models import Source
from sources.services.polling import source_create_polled
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser_inbox import browser, logged_in_page  # noqa: F401
from tests.factories import mention_item
from tests.replay import ReplayServer

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_compose_approve_and_deliver_a_reply(browser, live_stack, live_db):  # noqa: F811
    world = live_db
    with ReplayServer() as server:
        server.add(
            "POST",
            "/api/v1/statuses",
            body={"id": "9001", "url": "https://social.example/@acme/9001"},
        )
        with tenant_context(world.acme.client):
            source = source_create_polled(
                kind="mastodon",
                name="Fediverse",
                config={"instance": server.url, "hashtags": ["acme"], "search": False},
                credentials={"access_token": "tok"},
            )
            # Not polled during the test: beat would ask the fake server for timelines.
            Source.objects.filter(pk=source.pk).update(
                next_poll_at=timezone.now() + timedelta(days=1)
            )
            item, _ = mention_item_validate(
                mention_item(
                    external_id="4242",
                    text="Zug schon wieder ausgefallen, danke für nichts",
                    author={"handle": "pendlerin", "name": "Paula Pendler", "followers": 80},
                )
            )
            with transaction.atomic():
                mentions_store(source=source, items=[item])
            mention = Mention.objects.get(external_id="4242")
            saved_reply_create(
                data={
                    "title": "Ausfall",
                    "text": "Hallo {author}, das tut uns leid! Wir melden uns per DM. <3",
                },
                by=world.alice,
            )
            response_policy_update(changes={"banned_phrases": ["danke für nichts"]}, by=world.alice)

        try:
            path = f"/mentions/{mention.pk}/"
            rita = logged_in_page(browser, live_stack, "acme", world.rita.email, path)
            rita.select_option("#saved-reply", label="Ausfall")
            text = rita.locator("#response-text")
            assert text.input_value().startswith("Hallo Paula Pendler, das tut uns leid!")
            rita.locator(".finding-signature_added").wait_for(timeout=5_000)
            rita.locator(".finding-approval", has_text="Responder certificate").wait_for()
            # A banned phrase is marked and blocks; removing it clears the finding.
            text.press("End")
            text.type(" Und danke für nichts.")
            rita.locator("#response-preview-text mark", has_text="danke für nichts").wait_for()
            rita.locator(".finding-banned_phrase.blocking").wait_for()
            rita.locator("#composer").scroll_into_view_if_needed()
            rita.screenshot(path=str(ARTIFACTS / "composer.png"), full_page=True)
            text.fill(text.input_value().replace(" Und danke für nichts.", ""))
            rita.locator(".finding-banned_phrase").wait_for(state="detached", timeout=5_000)
            rita.get_by_role("button", name="Send for approval").click()
            rita.locator(".message.success", has_text="waits for a manager").wait_for()
            rita.locator(".response .response-status", has_text="Waiting for approval").wait_for()
            rita.locator("#live-state.on").wait_for(timeout=10_000)

            alice = logged_in_page(
                browser, live_stack, "acme", world.alice.email, "/responses/approvals/"
            )
            row = alice.locator("tr", has_text="Paula Pendler")
            row.wait_for()
            assert "<3" in row.inner_text()  # shown as text
            alice.screenshot(path=str(ARTIFACTS / "approval-queue.png"), full_page=True)
            row.get_by_role("button", name="Approve and send").click()
            alice.locator(".empty", has_text="Nothing waits for approval.").wait_for()

            # The worker posts it; the responder's open page follows live.
            rita.locator(".response .response-status", has_text="Sent").wait_for(timeout=20_000)
            rita.locator(".response a.on-network").wait_for()
            rita.screenshot(path=str(ARTIFACTS / "response-sent.png"), full_page=True)
            [posted] = [r for r in server.requests if r.method == "POST"]
            body = parse_qs(posted.body.decode())
            assert body["in_reply_to_id"] == ["4242"]
            assert body["status"][0].endswith("<3\n\u2013 Rita Responder")
            with tenant_context(world.acme.client):
                mention.refresh_from_db()
                assert mention.status == "responded" and mention.first_response_at is not None
                response = mention.responses.get()
                assert response.external_url == "https://social.example/@acme/9001"

            # The pages where managers keep saved replies and admins the policy.
            alice.goto(f"http://{live_stack.host('acme')}/responses/saved/")
            alice.locator("tr", has_text="Ausfall").wait_for()
            alice.screenshot(path=str(ARTIFACTS / "saved-replies.png"), full_page=True)
            alice.goto(f"http://{live_stack.host('acme')}/responses/policy/")
            alice.get_by_label(
                "Banned phrases (one per line; replies containing them cannot be sent)"
            ).fill("danke für nichts\nkein Kommentar")
            alice.get_by_role("button", name="Save policy").click()
            alice.locator(".message.success", has_text="Saved the response policy").wait_for()
            alice.screenshot(path=str(ARTIFACTS / "response-policy.png"), full_page=True)
        finally:
            with tenant_context(world.acme.client):
                Source.objects.filter(pk=source.pk).update(enabled=False)
