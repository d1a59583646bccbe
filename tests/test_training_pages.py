"""Training pages: My training with the header badge, taking a quiz (no right answers in
the page before submitting), the guidelines, authoring, the people page and its CSV."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Client
from routing.training.library.models import LibraryModule
from routing.training.models import Certificate, CertificationLevel, Module
from routing.training.selectors import module_get
from routing.training.services import (
    assignment_create,
    guideline_publish,
    level_update,
    module_create,
)
from tests.conftest import web_client
from tests.test_training import QUIZ

pytestmark = pytest.mark.django_db


@pytest.fixture
def module(world):
    with tenant_context(world.acme.client):
        module = module_create(
            data={
                "title": "Guidelines basics",
                "lesson": "# Be kind\n<script>x</script>",
                "questions": QUIZ,
            },
            by=world.alice,
        )
        level_update(
            level=CertificationLevel.objects.get(name="Responder"),
            module_ids=[module.pk],
            by=world.alice,
        )
        assignment_create(
            module=module, role="responder", due_date=timezone.localdate(), by=world.alice
        )
    connection.set_schema_to_public()
    return module


def form_answers(module, *, right):
    with tenant_context_acme(module):
        full = module_get(module_id=module.pk)
        data = {}
        for q in full.questions.all():
            picked = [str(c.pk) for c in q.choices.all() if c.correct == right]
            data[f"q{q.pk}"] = picked if q.multiple else picked[:1]
    return data


def tenant_context_acme(module):
    return tenant_context(Client.objects.get(slug="acme"))


def test_my_training_lists_the_assignment_and_the_header_shows_a_badge(world, module):
    web = web_client(world.acme, world.rita)
    html = web.get("/training/").content.decode()
    assert "Guidelines basics" in html and "to do" in html
    assert 'class="count due"' in html
    assert "No certificates yet" in html


def test_the_quiz_hides_the_answers_until_submitted_then_explains(world, module):
    web = web_client(world.acme, world.rita)
    page = web.get(f"/training/modules/{module.pk}/").content.decode()
    assert "<h1>Be kind</h1>" in page and "<script>x</script>" not in page  # raw HTML escaped
    assert "right</span>" not in page and "A named employee signs" not in page
    failed = web.post(f"/training/modules/{module.pk}/", form_answers(module, right=False))
    html = failed.content.decode()
    assert "Not passed: 0 %" in html and "A named employee signs every public reply." in html
    passed = web.post(
        f"/training/modules/{module.pk}/", form_answers(module, right=True)
    ).content.decode()
    assert "Passed: 100 %" in passed and "certified as <strong>Responder</strong>" in passed
    html = web.get("/training/").content.decode()
    assert "passed" in html and 'class="count due"' not in html


def test_guidelines_are_acknowledged_and_managers_see_who(world, module):
    with tenant_context(world.acme.client):
        guideline_publish(body="Be **kind**.", by=world.alice)
    connection.set_schema_to_public()
    rita = web_client(world.acme, world.rita)
    html = rita.get("/training/guidelines/").content.decode()
    assert "<strong>kind</strong>" in html and "I have read version 1" in html
    assert "Publish a new version" not in html
    assert (
        rita.post("/training/guidelines/", {"action": "acknowledge", "version": "1"}).status_code
        == 302
    )
    assert (
        "You have acknowledged this version" in rita.get("/training/guidelines/").content.decode()
    )
    forbidden = rita.post("/training/guidelines/", {"action": "publish", "body": "x"})
    assert forbidden.status_code == 403
    alice = web_client(world.acme, world.alice).get("/training/guidelines/").content.decode()
    assert "Who acknowledged version 1" in alice and "Rita Responder" in alice


def test_managers_author_copy_from_the_library_and_viewers_cannot(world):
    LibraryModule.objects.update_or_create(
        slug="tone-and-signature", defaults={"title": "Tone and signature", "questions": QUIZ}
    )
    vera = web_client(world.acme, world.vera)
    assert vera.get("/training/manage/").status_code == 403
    rita = web_client(world.acme, world.rita)
    assert rita.post("/training/manage/", {"form": "module", "title": "X"}).status_code == 403
    alice = web_client(world.acme, world.alice)
    assert "Tone and signature" in alice.get("/training/manage/").content.decode()
    assert (
        alice.post("/training/manage/", {"form": "copy", "slug": "tone-and-signature"}).status_code
        == 302
    )
    created = alice.post("/training/manage/", {"form": "module", "title": "Own module"})
    with tenant_context(world.acme.client):
        own = Module.objects.get(title="Own module")
        assert Module.objects.filter(library_slug="tone-and-signature").count() == 1
    assert created["Location"] == f"/training/modules/{own.pk}/edit"
    saved = alice.post(
        f"/training/modules/{own.pk}/edit",
        {
            "title": "Own module",
            "lesson": "Hello",
            "pass_percent": "50",
            "max_attempts": "2",
            "cooldown_minutes": "10",
            "quiz": "? Sky?\n* blue\n- green\n> It is blue.\n\n"
            "?? Fruits?\n* apple\n* pear\n- stone",
        },
    )
    assert saved.status_code == 302
    with tenant_context(world.acme.client):
        full = module_get(module_id=own.pk)
        assert [q.multiple for q in full.questions.all()] == [False, True]
        assert full.pass_mark == 0.5 and full.max_attempts == 2
    bad = alice.post(
        f"/training/modules/{own.pk}/edit",
        {
            "title": "Own",
            "pass_percent": "50",
            "max_attempts": "1",
            "cooldown_minutes": "1",
            "quiz": "? Q\n- a\n- b",
        },
    )
    assert bad.status_code == 400 and "right choice" in bad.content.decode()
    assert alice.get("/training/modules/999999/").status_code == 404


def test_people_page_filters_by_department_and_exports_csv(world, module):
    web = web_client(world.acme, world.rita)
    web.post(f"/training/modules/{module.pk}/", form_answers(module, right=True))
    alice = web_client(world.acme, world.alice)
    assert web.get("/training/people/").status_code == 403
    html = alice.get("/training/people/").content.decode()
    assert "Rita Responder" in html and "Responder</span>" in html and "1/1" in html
    assert "Who signs a public reply?" in html
    csv_text = alice.get("/training/people/?format=csv").content.decode()
    assert csv_text.splitlines()[0].startswith("name,email,role")
    assert "Rita Responder" in csv_text and "Responder until" in csv_text
    assert alice.get("/training/people/?department=abc").status_code == 200


def test_another_client_sees_none_of_it(world, module):
    web = web_client(world.acme, world.rita)
    web.post(f"/training/modules/{module.pk}/", form_answers(module, right=True))
    bob = web_client(world.globex, world.bob)
    assert bob.get(f"/training/modules/{module.pk}/").status_code == 404
    html = bob.get("/training/people/").content.decode()
    assert "Rita" not in html and "Guidelines basics" not in html
    with tenant_context(world.globex.client):
        assert not Certificate.objects.exists()
