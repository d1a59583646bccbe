"""Lessons and guidelines are Markdown, rendered without raw HTML: markdown-it escapes any
HTML in the source and refuses `javascript:`/`vbscript:`/`data:` links, so the output is
safe to mark as such."""

from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def markdown_render(text: str) -> SafeString:
    return mark_safe(_renderer.render(text or ""))  # noqa: S308 -- raw HTML is escaped
