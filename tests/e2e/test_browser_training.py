"""The training journey in a real Chromium, for both clients: the uncertified agent is
told to acknowledge the guidelines and which module to take; acknowledges them; their
public reply waits for approval; they fail the quiz once and pass it; their next public
reply goes out without approval; the manager's people page shows the certificate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role
from accounts.services import user_create_or_update
from mentions.models import Mention
from mentions.pipeline import mentions_store
from routing.training.library.content import LIBRARY, STARTER_GUIDELINES, STARTER_LEVELS
from routing.training.models import Module
from routing.training.selectors import module_get
from routing.training.services import library_templates_ensure, training_starter_apply
from sources.formats import mention_item_validate
from sources.models import Source
from sources.services.polling import source_create_polled
from tests.conftest import PASSWORD
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser_inbox import browser, logged_in_page  # noqa: F401
from tests.factories import mention_item
from tests.replay import ReplayServer

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def _setup(tenant, admin, server):
    with tenant_context(tenant.client):
        training_starter_apply(
            by=admin,
            levels=STARTER_LEVELS,
            guidelines=STARTER_GUIDELINES,
            acknowledge_user_ids=[admin.pk],
        )
        source = source_create_polled(
            kind="mastodon",
            name="Fediverse",
            config={"instance": server.url, "hashtags": ["x"], "search": False},
            credentials={"access_token": "tok"},
        )
        Source.objects.filter(pk=source.pk).update(next_poll_at=timezone.now() + timedelta(days=1))
        mentions = []
        for external_id, text in (("501", "Mein Zug fällt aus"), ("502", "App stürzt ab")):
            item, _ = mention_item_validate(
                mention_item(
                    external_id=external_id,
                    text=text,
                    author={"handle": f"kunde{external_id}", "name": "Kim Kunde", "followers": 40},
                )
            )
            with transaction.atomic():
                mentions_store(source=source, items=[item])
            mentions.append(Mention.objects.get(external_id=external_id))
        basics = Module.objects.get(library_slug="guidelines-basics")
        full = module_get(module_id=basics.pk)
        key = {
            q.pk: (
                [c.text for c in q.choices.all() if c.correct],
                [c.text for c in q.choices.all() if not c.correct],
            )
            for q in full.questions.all()
        }
    return source, mentions, basics, key


def _answer(page, key, *, right):
    for right_texts, wrong_texts in key.values():
        for text in right_texts if right else wrong_texts[:1]:
            page.get_by_label(text, exact=True).check()
    page.get_by_role("button", name="Submit answers").click()


@pytest.mark.parametrize("slug", ["acme", "globex"])
def test_training_decides_who_answers_in_public(browser, live_stack, live_db, slug):  # noqa: F811
    world = live_db
    tenant = getattr(world, slug)
    admin = world.alice if slug == "acme" else world.bob
    agent = world.rita
    if slug == "globex":
        agent = user_create_or_update(
            email="tariq@globex.test",
            password=PASSWORD,
            name="Tariq Haddad",
            client=tenant.client,
            role=Role.RESPONDER,
        )
    library_templates_ensure(templates=LIBRARY)
    host = live_stack.host(slug)
    with ReplayServer() as server:
        server.add(
            "POST", "/api/v1/statuses", body={"id": "7001", "url": "https://social.example/@b/7001"}
        )
        source, (first, second), basics, key = _setup(tenant, admin, server)
        try:
            page = logged_in_page(browser, live_stack, slug, agent.email, f"/mentions/{first.pk}/")
            # 0. The composer blocks until the guidelines are acknowledged, and names the module.
            page.locator("#response-text").fill("Das tut uns leid, wir kümmern uns.")
            page.locator(".finding-guidelines.blocking").wait_for(timeout=10_000)
            page.locator(".finding-approval", has_text="Social media guidelines basics").wait_for()
            assert page.locator(".training-link .count.due").is_visible()
            page.screenshot(
                path=str(ARTIFACTS / f"training-{slug}-composer-blocked.png"), full_page=True
            )
            # 1. The agent acknowledges the guidelines (the composer links to them).
            page.locator(".finding-guidelines a.finding-link").click()
            page.wait_for_url(f"http://{host}/training/guidelines/")
            page.screenshot(path=str(ARTIFACTS / f"training-{slug}-guidelines.png"), full_page=True)
            page.locator("#acknowledge").click()
            page.locator(
                ".message.success", has_text="Thank you: version 1 acknowledged"
            ).wait_for()
            # 2. The uncertified agent's public reply waits for approval.
            page.goto(f"http://{host}/mentions/{first.pk}/")
            page.locator("#response-text").fill("Das tut uns leid, wir kümmern uns.")
            page.locator(".finding-approval", has_text="Responder certificate").wait_for(
                timeout=10_000
            )
            assert page.locator(".finding-guidelines").count() == 0
            page.get_by_role("button", name="Send for approval").click()
            page.locator(".message.success", has_text="waits for a manager").wait_for()
            # 3. My training: the module is due; the quiz is failed once, then passed.
            page.goto(f"http://{host}/training/")
            page.screenshot(
                path=str(ARTIFACTS / f"training-{slug}-my-training.png"), full_page=True
            )
            page.get_by_role("link", name="Social media guidelines basics").first.click()
            page.wait_for_url(f"http://{host}/training/modules/{basics.pk}/")
            _answer(page, key, right=False)
            page.locator(".result-failed").wait_for()
            page.screenshot(
                path=str(ARTIFACTS / f"training-{slug}-quiz-failed.png"), full_page=True
            )
            _answer(page, key, right=True)
            page.locator(".result-passed").wait_for()
            page.locator(".message.success", has_text="certified as Responder").wait_for()
            page.screenshot(
                path=str(ARTIFACTS / f"training-{slug}-quiz-passed.png"), full_page=True
            )
            # 4. The next public reply goes out without approval.
            page.goto(f"http://{host}/mentions/{second.pk}/")
            page.locator("#response-text").fill("Danke für den Hinweis, wir schauen es uns an.")
            page.get_by_role("button", name="Send reply").wait_for(timeout=10_000)
            assert page.locator(".finding-approval").count() == 0
            page.get_by_role("button", name="Send reply").click()
            page.locator(".message.success", has_text="being sent").wait_for()
            status = page.locator(".response .response-status").first
            for _ in range(30):  # live, or on a reload when the worker was busy
                if status.inner_text() in ("Sent", "Failed"):
                    break
                page.wait_for_timeout(1_000)
                page.reload()
            with tenant_context(tenant.client):
                response = second.responses.get()
            assert (response.status, response.error) == ("sent", ""), response.error
            page.screenshot(path=str(ARTIFACTS / f"training-{slug}-reply-sent.png"), full_page=True)
            assert len([r for r in server.requests if r.method == "POST"]) == 1
            # 5. The manager's people page shows the certificate.
            manager = logged_in_page(browser, live_stack, slug, admin.email)
            manager.goto(f"http://{host}/training/people/")
            row = manager.locator("tr", has_text=agent.display_name)
            row.locator(".badge", has_text="Responder").wait_for()
            manager.screenshot(path=str(ARTIFACTS / f"training-{slug}-people.png"), full_page=True)
            # At phone width the pages still fit.
            manager.set_viewport_size({"width": 390, "height": 844})
            manager.screenshot(
                path=str(ARTIFACTS / f"training-{slug}-people-phone.png"), full_page=True
            )
            page.set_viewport_size({"width": 390, "height": 844})
            page.goto(f"http://{host}/training/modules/{basics.pk}/")
            page.screenshot(path=str(ARTIFACTS / f"training-{slug}-quiz-phone.png"), full_page=True)
        finally:
            with tenant_context(tenant.client):
                Source.objects.filter(pk=source.pk).update(enabled=False)
