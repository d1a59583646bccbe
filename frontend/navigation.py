"""Navigation by role: the header offers a page only to people the page lets in.

Whether a page lets someone in is the page's own rule, recorded by its access decorator
(`frontend.access.PageAccess`); this module only asks it, so navigation and pages cannot
disagree. Templates ask the same question for links inside pages (`{% may_open %}`)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import (
    NoReverseMatch,
    Resolver404,
    get_script_prefix,
    get_urlconf,
    resolve,
    reverse,
)

from accounts.models import Client, User
from accounts.selectors import membership_role_for
from frontend.access import may_open, page_access


@dataclass(frozen=True)
class NavEntry:
    key: str  # what the template hangs a badge on ("approvals", "training", ...)
    label: str
    href: str


# The header's pages on a client's host, in order: (key, label, URL name).
HEADER: tuple[tuple[str, str, str], ...] = (
    ("inbox", "Inbox", "home"),
    ("notifications", "Notifications", "notifications"),
    ("alerts", "Alerts", "alerts"),
    ("reports", "Reports", "reports"),
    ("training", "Training", "training"),
    ("approvals", "Approvals", "approvals"),
    ("routing", "Routing", "routing"),
    ("staff", "Staff", "staff"),
    ("triage", "Triage", "triage"),
    ("sources", "Sources", "sources"),
    ("webhooks", "Webhooks", "webhooks"),
    ("api", "API", "api-docs"),
    ("settings", "Settings", "client-settings"),
)


# The agency host's header (agency overview, onboarding, agency tokens, API docs).
AGENCY_HEADER: tuple[tuple[str, str, str], ...] = (
    ("clients", "Clients", "home"),
    ("new-client", "Onboard a client", "client-new"),
    ("api-tokens", "API tokens", "api-tokens"),
    ("api", "API", "api-docs"),
)


def agency_url_may_open(*, user: User, agency: Client, href: str) -> bool:
    """Whether the agency host's page at `href` lets `user` (logged in) in: the page's own
    recorded rule (`frontend.access.agency_admin_required`); a page without one (the
    overview, the API docs) asks only for a login."""
    try:
        view = resolve(href.split("?", 1)[0]).func
    except Resolver404:
        return False
    if page_access(view) is None:
        return True
    return may_open(user=user, role=membership_role_for(user=user, client=agency), view=view)


def agency_nav_entries(*, user: User, agency: Client) -> list[NavEntry]:
    """The agency header's links for this person: only pages that let them in."""
    if not user.is_authenticated:
        return []
    entries = []
    for key, label, name in AGENCY_HEADER:
        href = reverse(name)
        if agency_url_may_open(user=user, agency=agency, href=href):
            entries.append(NavEntry(key=key, label=label, href=href))
    return entries


@functools.lru_cache(maxsize=16)
def _header_pages(
    urlconf: str | None, prefix: str, header: tuple[tuple[str, str, str], ...]
) -> tuple[tuple[str, str, str, Callable[..., Any] | None], ...]:
    """Each header entry's URL and view, looked up once per URL configuration (the
    configuration is code: it does not change while a process runs)."""
    pages = []
    for key, label, name in header:
        href = reverse(name, urlconf=urlconf)
        try:
            view: Callable[..., Any] | None = resolve(href.split("?", 1)[0], urlconf).func
        except Resolver404:
            view = None
        pages.append((key, label, href, view))
    return tuple(pages)


def url_may_open(*, user: User, client: Client, href: str) -> bool:
    """Whether the page at `href` (a path on this client's host) lets `user` in."""
    try:
        view = resolve(href.split("?", 1)[0]).func
    except Resolver404:
        return False
    role = membership_role_for(user=user, client=client)
    return may_open(user=user, role=role, view=view)


def name_may_open(*, user: User, client: Client, name: str) -> bool:
    """Whether the page called `name` in the URL configuration lets `user` in."""
    try:
        href = reverse(name)
    except NoReverseMatch:
        return False
    return url_may_open(user=user, client=client, href=href)


def nav_entries(*, user: User, client: Client | None) -> list[NavEntry]:
    """The header's links for this person in this client: only pages that let them in."""
    if client is None or not user.is_authenticated:
        return []
    role = membership_role_for(user=user, client=client)
    if role is None:
        return []
    return [
        NavEntry(key=key, label=label, href=href)
        for key, label, href, view in _header_pages(
            get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), HEADER
        )
        if view is not None and may_open(user=user, role=role, view=view)
    ]
