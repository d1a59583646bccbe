"""Pages run no inline script: the Content-Security-Policy allows this site's files only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import web_client

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "frontend" / "templates").rglob("*.html"))
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_templates_have_no_inline_script_handler_or_style_element(template):
    text = template.read_text(encoding="utf-8")
    for pattern in (INLINE_SCRIPT, HANDLER, STYLE_ELEMENT):
        found = pattern.search(text)
        assert found is None, f"{template.name}: {found.group(0) if found else ''}"


@pytest.mark.django_db
def test_pages_carry_a_policy_without_inline_script(world):
    response = web_client(world.acme, world.alice).get("/")
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["style-src-elem"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
