"""Navigation by role: a page a person may not use is not in their navigation. For every role
we log in, collect the links of the inbox (and of the agency overview), follow each, and
collect the links of those pages too; none of them answers 403."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from accounts.services import user_create_or_update
from mentions.models import Author, Mention
from reports.models import Alert
from routing.models import Department
from routing.services.assignment import staff_upsert
from tests.conftest import PASSWORD, web_client

pytestmark = pytest.mark.django_db

# Links that change state or leave the session on a GET are not walked.
SKIP = ("/logout/", "/switch/", "/handoff/", "/static/", "/api/v1/", "/admin/")


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.in_nav = 0
        self.nav: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "nav":
            self.in_nav += 1
        if tag == "a":
            href = dict(attrs).get("href") or ""
            self.found.append(href)
            if self.in_nav:
                self.nav.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self.in_nav -= 1


def links(page: str) -> Links:
    parser = Links()
    parser.feed(page)
    return parser


def local_path(href: str, base: str) -> str | None:
    """The path (with query) of a link to this host, or None for other hosts and anchors."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not href or href.startswith("#"):
        return None
    if href.startswith("?"):
        return base + href
    if not href.startswith("/") or href.startswith(SKIP):
        return None
    return href


def walk(web, start: str, depth: int = 2) -> dict[str, int]:
    """Every link reached from `start` within `depth` clicks, with its answer's status."""
    seen: dict[str, int] = {}
    frontier = [start]
    for _ in range(depth + 1):
        following: list[str] = []
        for path in frontier:
            if path in seen:
                continue
            response = web.get(path)
            seen[path] = response.status_code
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            base = path.split("?")[0]
            for href in links(response.content.decode()).found:
                found = local_path(href, base)
                if found and found not in seen:
                    following.append(found)
        frontier = following
    return seen


def person(world, email, name, role):
    return user_create_or_update(
        email=email, password=PASSWORD, name=name, client=world.acme.client, role=role
    )


@pytest.fixture
def people(world):
    """One of each role in acme, a responder limited to HR, a mention and an open alert."""
    mia = person(world, "mia@acme.test", "Mia Manager", Role.MANAGER)
    hanna = person(world, "hanna@acme.test", "Hanna HR", Role.RESPONDER)
    connection.set_tenant(world.acme.client)
    staff_upsert(user_id=hanna.pk, name="Hanna HR", departments=["hr"])
    author = Author.objects.create(network="test", handle="kunde")
    Mention.objects.create(
        source=world.acme.source,
        external_id="nav-1",
        text="Die App stürzt ab",
        author=author,
        published_at=timezone.now(),
        department=Department.objects.get(slug="hr"),
    )
    Alert.objects.create(
        kind="volume",
        window_minutes=15,
        volume=40,
        negative=10,
        baseline_volume=5,
        baseline_share=0.1,
        basis="3 weeks",
        peak_volume=40,
        peak_share=0.25,
    )
    connection.set_schema_to_public()
    return {
        "agency admin": world.ada,
        "client admin": world.alice,
        "manager": mia,
        "responder": world.rita,
        "department-limited responder": hanna,
        "viewer": world.vera,
    }


ROLES = [
    "agency admin",
    "client admin",
    "manager",
    "responder",
    "department-limited responder",
    "viewer",
]


@pytest.mark.parametrize("role", ROLES)
def test_no_link_a_person_sees_answers_403(world, people, role):
    user = people[role]
    web = web_client(world.acme, user)
    inbox = web.get("/")
    assert inbox.status_code == 200
    assert links(inbox.content.decode()).nav, "the inbox has a navigation"
    statuses = walk(web, "/")
    refused = sorted(path for path, status in statuses.items() if status == 403)
    assert refused == [], f"{role} is offered pages that refuse them: {refused}"
    assert len(statuses) > 10


@pytest.mark.parametrize("role", ROLES)
def test_the_agency_overview_links_only_to_pages_that_open(world, people, role):
    web = web_client(None, people[role])
    statuses = walk(web, "/", depth=1)
    assert statuses["/"] == 200
    refused = sorted(path for path, status in statuses.items() if status == 403)
    assert refused == [], f"{role} is offered pages that refuse them: {refused}"


def test_the_overview_sends_only_agency_admins_straight_to_a_clients_alerts(world, people):
    ada = web_client(None, people["agency admin"]).get("/").content.decode()
    assert re.search(r'href="http://acme\.localhost:\d+/alerts/">1 open', ada)
    hanna = web_client(None, people["department-limited responder"]).get("/").content.decode()
    assert 'href="/switch/acme/">1 open' in hanna and "/alerts/" not in hanna


def nav_of(web) -> list[str]:
    return [href.split("?")[0] for href in links(web.get("/").content.decode()).nav]


def test_each_role_sees_the_pages_it_may_use(world, people):
    navs = {role: nav_of(web_client(world.acme, people[role])) for role in ROLES}
    assert {"/sources/", "/webhooks/", "/alerts/", "/responses/approvals/"} <= set(
        navs["client admin"]
    )
    assert "/sources/" in navs["manager"] and "/webhooks/" not in navs["manager"]
    assert "/alerts/" in navs["responder"]  # sees the whole client
    assert "/alerts/" not in navs["department-limited responder"]
    assert "/sources/" not in navs["responder"]
    assert "/responses/approvals/" not in navs["viewer"]
    assert "/" in navs["viewer"] and "/reports/" in navs["viewer"]


def test_the_walk_would_notice_a_refusal(world, people):
    """The walk itself can fail: a viewer asked for a manager's page gets a 403."""
    web = web_client(world.acme, people["viewer"])
    assert walk(web, "/sources/", depth=0) == {"/sources/": 403}
