"""Small defects of issue 13: no markup in any page's tab title (the policy page once had a
card's HTML there), and a favicon: linked from every page, and /favicon.ico, which browsers
ask for by themselves, answers with it instead of a 404."""

from __future__ import annotations

import re

import pytest

from tests.conftest import web_client
from tests.test_nav_walk import walk

pytestmark = pytest.mark.django_db

TITLE = re.compile(r"<title>(.*?)</title>", re.S)


def title_of(page: str) -> str:
    found = TITLE.search(page)
    assert found is not None, "the page has a title"
    return found.group(1)


def test_the_policy_page_title_is_plain_text(world):
    page = web_client(world.acme, world.alice).get("/responses/policy/").content.decode()
    assert title_of(page) == "Response policy · Acme Rail"


def test_no_page_puts_markup_in_its_title(world):
    web = web_client(world.acme, world.alice)
    pages = [path for path, status in walk(web, "/", depth=1).items() if status == 200]
    assert "/responses/policy/" in pages or web.get("/responses/policy/").status_code == 200
    for path in {*pages, "/responses/policy/"}:
        response = web.get(path)
        if "text/html" not in response.get("Content-Type", ""):
            continue
        title = title_of(response.content.decode())
        assert "<" not in title and "&lt;" not in title and "\n" not in title.strip(), path


@pytest.mark.parametrize("host", ["acme", "agency"])
def test_browsers_find_a_favicon(world, host):
    web = web_client(world.acme if host == "acme" else None)
    asked = web.get("/favicon.ico")
    assert asked.status_code in (301, 302)
    assert asked["Location"] == "/static/frontend/favicon.svg"
    icon = web.get(asked["Location"])
    assert icon.status_code == 200
    assert icon["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in b"".join(icon.streaming_content)


def test_every_page_links_the_icon(world):
    pages = [web_client(world.acme, world.rita).get("/"), web_client(None).get("/login/")]
    for response in pages:
        page = response.content.decode()
        assert '<link rel="icon" href="/static/frontend/favicon.svg" type="image/svg+xml">' in page
